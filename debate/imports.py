"""Resolve ``module:attribute`` references from configs (user protocols, functions)."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

from debate.errors import ConfigError


def _cwd_importable() -> None:
    cwd = os.getcwd()
    if cwd not in sys.path and "" not in sys.path:
        sys.path.append(cwd)


def importable(folder: Path) -> None:
    """Make modules in ``folder`` importable (a config's own folder: its ``plugins`` and
    ``module:Class`` targets may sit beside it), after installed packages."""
    where = str(folder.resolve())
    if where not in sys.path:
        sys.path.append(where)


def import_plugins(modules: list[str]) -> None:
    """Import the modules a config lists under ``plugins``, so the kinds they register
    (``@register``) can be named in it; one line if one cannot be imported."""
    _cwd_importable()
    for name in modules:
        if not isinstance(name, str) or not name.replace(".", "").replace("_", "").isalnum():
            raise ConfigError(f"plugins: {name!r} is not a module name")
        try:
            importlib.import_module(name)
        except Exception as exc:
            reason = " ".join(str(exc).split())
            raise ConfigError(f"plugin module {name!r}: {type(exc).__name__}: {reason}") from None


def import_target(target: str) -> Any:
    """The object named by ``module:attribute`` (dots allowed in both), with a one-line error
    if it is not there.

    The working directory is importable, as it is for ``python -m``: the ``debate`` command
    would otherwise not find a ``my_judges.py`` beside the config without ``PYTHONPATH``.
    It is searched after installed packages, so a local file cannot shadow one of them.
    """
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"target {target!r} must look like 'module:attribute'")
    _cwd_importable()
    try:
        found: Any = importlib.import_module(module_name)
        for part in attr.split("."):
            found = getattr(found, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import {target!r}: {exc}") from None
    except Exception as exc:  # the user's module raised while importing
        reason = " ".join(str(exc).split())
        raise ConfigError(
            f"importing {module_name!r} for {target!r} failed: {type(exc).__name__}: {reason}"
        ) from None
    return found
