"""Results remembered by the identity of an immutable object (a turn's moves, a protocol's
schedule): a hot path computes each once without hashing the object's contents.

Each entry holds its object, so an id cannot be reused by another object while it is
remembered; the table is bounded, oldest entries first out.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")


class IdentityMemo:
    def __init__(self, size: int = 4096) -> None:
        self.size = size
        self._entries: dict[tuple[int, Hashable], tuple[object, Any]] = {}

    def get(self, owner: object, key: Hashable, make: Callable[[], T]) -> T:
        """``make()`` for (``owner``, ``key``), computed once while remembered."""
        slot = (id(owner), key)
        hit = self._entries.get(slot)
        if hit is not None and hit[0] is owner:
            value: T = hit[1]
            return value
        made = make()
        if len(self._entries) >= self.size:
            self._entries.pop(next(iter(self._entries)))
        self._entries[slot] = (owner, made)
        return made
