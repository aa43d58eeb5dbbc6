"""Keep third-party libraries' warnings and log chatter out of the CLI's output.

A run's output is its progress, its results table and the project's own warnings and
errors. Libraries add noise a user cannot act on (transformers' generation-config advice,
torch's deprecations, the tokenizers fork notice), and in a piped log it buries what matters.
``quiet_libraries`` is scoped to one CLI command and undoes everything on exit:

- Python ``warnings`` are routed by who issued them: the frame that called ``warnings.warn``
  (found by walking the stack from the display hook, so a library's ``stacklevel=2``, which
  names the caller's file, still counts as the library's). The project's own packages are
  shown as before; anything else goes to the ``debate.library`` logger at DEBUG.
- Library loggers that print themselves (transformers has its own stderr handler) are set
  to ERROR, and records that would reach Python's last-resort handler from outside the
  project are dropped: errors still show, and the project's own log records are untouched.
- Environment defaults switch off what libraries print before Python can see it:
  ``TOKENIZERS_PARALLELISM=false`` (a notice printed from Rust on fork), transformers'
  verbosity and advisory warnings, Hugging Face hub progress bars. Worker processes
  inherit them and route warnings the same way (``quiet_in_worker``).

``DEBATE_LIBRARY_WARNINGS=show`` lets everything through, for debugging a library.
"""

from __future__ import annotations

import logging
import os
import sys
import warnings
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import TextIO

PROJECT_PACKAGES = frozenset({"debate", "evals", "judges", "protocols", "transcripts"})
"""Top-level packages whose warnings and log records are the project's own."""
SHOW_ENV = "DEBATE_LIBRARY_WARNINGS"
"""Set to ``show`` to let library warnings through."""
WORKER_ENV = "DEBATE_QUIET_LIBRARIES"
"""Set while a quiet scope is active, so worker processes it starts are quiet too."""
ENV_DEFAULTS = {
    "TOKENIZERS_PARALLELISM": "false",
    "TRANSFORMERS_VERBOSITY": "error",
    "TRANSFORMERS_NO_ADVISORY_WARNINGS": "1",
    "HF_HUB_DISABLE_PROGRESS_BARS": "1",
    WORKER_ENV: "1",
}
"""Set only where the user has not set them."""
LIBRARY_LOGGERS = ("transformers", "torch", "accelerate", "huggingface_hub", "datasets")
"""Loggers of libraries that attach their own handlers (a level is the only way in)."""
routed = logging.getLogger("debate.library")
"""Where hidden library warnings go (DEBUG): configure logging to see them."""


def _project_name(name: str) -> bool:
    return name.partition(".")[0] in PROJECT_PACKAGES


def _issuer(frame: FrameType | None) -> str:
    """The module that called ``warnings.warn``: the first frame outside ``warnings``."""
    while frame is not None and frame.f_globals.get("__name__") == "warnings":
        frame = frame.f_back
    return "" if frame is None else str(frame.f_globals.get("__name__", ""))


class _Router:
    """A ``warnings.showwarning`` that shows the project's warnings and routes the rest."""

    def __init__(self, show: Callable[..., None]) -> None:
        self.show = show

    def __call__(
        self,
        message: Warning | str,
        category: type[Warning],
        filename: str,
        lineno: int,
        file: TextIO | None = None,
        line: str | None = None,
    ) -> None:
        issuer = _issuer(sys._getframe(1))
        if _project_name(issuer):
            self.show(message, category, filename, lineno, file, line)
        else:
            routed.debug("%s: %s (%s:%s)", category.__name__, message, filename, lineno)


class _ProjectOrErrors(logging.Filter):
    """Lets through the project's records, and any library's errors."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR or _project_name(record.name)


def _route_warnings() -> None:
    warnings.showwarning = _Router(warnings.showwarning)


@contextmanager
def quiet_libraries() -> Iterator[None]:
    """Within the block, third-party warnings and log chatter stay out of the output."""
    if os.environ.get(SHOW_ENV, "").lower() == "show":
        yield
        return
    env = {key: os.environ.get(key) for key in ENV_DEFAULTS}
    for key, value in ENV_DEFAULTS.items():
        os.environ.setdefault(key, value)
    levels = {name: logging.getLogger(name).level for name in LIBRARY_LOGGERS}
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    last_resort = logging.lastResort
    guard = _ProjectOrErrors()
    if last_resort is not None:
        last_resort.addFilter(guard)
    try:
        with warnings.catch_warnings():
            _route_warnings()
            yield
    finally:
        if last_resort is not None:
            last_resort.removeFilter(guard)
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
        for key, old in env.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def quiet_in_worker() -> None:
    """In a worker process started from a quiet scope: route warnings and quiet library
    loggers for the process's life (it has no output of its own to keep)."""
    if os.environ.get(WORKER_ENV) != "1":
        return
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(logging.ERROR)
    if logging.lastResort is not None:
        logging.lastResort.addFilter(_ProjectOrErrors())
    _route_warnings()
