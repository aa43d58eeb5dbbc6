"""Resolve ``module:attribute`` references from configs (user protocols, functions)."""

from __future__ import annotations

import importlib
from typing import Any

from debate.errors import ConfigError


def import_target(target: str) -> Any:
    """The object named by ``module:attribute``, with a one-line error if it is not there."""
    module_name, sep, attr = target.partition(":")
    if not sep or not module_name or not attr:
        raise ConfigError(f"target {target!r} must look like 'module:attribute'")
    try:
        return getattr(importlib.import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"cannot import {target!r}: {exc}") from None
