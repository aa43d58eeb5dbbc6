"""Failures of one role in a debate, named: which seat (or the judge) raised what.

A batch records every failed debate; the record is only useful if it says who failed and
why in one line, whatever the exception carried.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator


def describe_error(exc: BaseException) -> str:
    """``Type: message`` on one line, with a placeholder for an error that says nothing."""
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text or '(no message)'}"


class RoleFailed(Exception):
    """An error raised by one role (a debater's seat or the judge), named in its message."""

    def __init__(self, role: str, cause: Exception) -> None:
        super().__init__(f"{role}: {describe_error(cause)}")
        self.role = role
        self.cause = cause


@contextlib.asynccontextmanager
async def role(name: str) -> AsyncIterator[None]:
    """Whatever the block raises is re-raised as ``RoleFailed`` naming ``name``."""
    try:
        yield
    except RoleFailed:
        raise
    except Exception as exc:
        raise RoleFailed(name, exc) from exc
