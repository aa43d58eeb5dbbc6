"""Failures of one role in a debate, named: which seat (or the judge) raised what.

A batch records every failed debate; the record is only useful if it says who failed and
why in one line, whatever the exception carried.
"""

from __future__ import annotations

from types import TracebackType


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


class RoleGuard:
    """``async with role(name):`` (a class, not an async generator: it is entered on every
    turn of every debate, and an async generator costs a hook call and a weakref each)."""

    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    async def __aenter__(self) -> None:
        return None

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(exc, Exception) and not isinstance(exc, RoleFailed):
            raise RoleFailed(self.name, exc) from exc


def role(name: str) -> RoleGuard:
    """Whatever the block raises is re-raised as ``RoleFailed`` naming ``name``."""
    return RoleGuard(name)
