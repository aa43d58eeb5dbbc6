"""Limits that hold across a cluster: one Ray actor keeps every model role's gate.

Each worker builds its own copy of a role, but a config's ``max_concurrency`` and
``requests_per_minute`` are promises about the provider, so all copies must share them.
The ``GateKeeper`` actor holds one ``LocalGate`` per role and grants slots to whichever
worker asks; leases are recorded by holder, so when a worker dies the driver releases
what it held (``forget``) and the limit does not shrink.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from debate.models.gates import LocalGate

if TYPE_CHECKING:
    from debate.models import ModelConfig


GRANT_SLACK_S = 1.0
"""Rate tokens are granted as if each minute were this much longer: a grant takes time to
reach the provider (an actor message, then the worker's own scheduling), and those delays
vary, so arrivals bunch; the slack keeps any 60 s of arrivals within the limit when the
delays differ by up to this long, at 1/61 of the rate."""

_BACKGROUND: set[asyncio.Future[None]] = set()
"""Releases still waiting for a grant their caller stopped waiting for."""


class GateKeeper:
    """The cluster's gates, by role key (run as an async Ray actor, never in a worker)."""

    def __init__(self) -> None:
        self._gates: dict[str, LocalGate] = {}
        self._leases: dict[str, Counter[str]] = {}
        self._gone: set[str] = set()
        self.granted = 0

    async def acquire(
        self,
        key: str,
        max_concurrency: int | None,
        requests_per_minute: float | None,
        holder: str,
    ) -> None:
        gate = self._gates.get(key)
        if gate is None:
            rate = requests_per_minute and requests_per_minute * 60 / (60 + GRANT_SLACK_S)
            gate = self._gates[key] = LocalGate(max_concurrency, rate)
        await gate.acquire()
        self.granted += 1
        if holder in self._gone:  # granted after its worker died: hand the slot back
            gate.release()
            return
        self._leases.setdefault(holder, Counter())[key] += 1

    def release(self, key: str, holder: str) -> None:
        leases = self._leases.get(holder)
        if leases is None or leases[key] <= 0:
            return  # already released by ``forget``
        leases[key] -= 1
        self._gates[key].release()

    def forget(self, holder: str) -> int:
        """Release every slot ``holder`` (a dead worker) still holds; returns how many."""
        self._gone.add(holder)
        released = 0
        for key, count in self._leases.pop(holder, Counter()).items():
            for _ in range(count):
                self._gates[key].release()
            released += count
        return released

    def stats(self) -> dict[str, int]:
        return {"granted": self.granted, "gates": len(self._gates)}


class RayGate:
    """One role's gate as a worker sees it: each attempt asks the keeper for a slot."""

    def __init__(self, keeper: Any, key: str, config: ModelConfig, holder: str) -> None:
        self._keeper = keeper
        self._key = key
        self._limits = (config.max_concurrency, config.requests_per_minute)
        self._holder = holder

    @asynccontextmanager
    async def attempt(self) -> AsyncIterator[None]:
        granted = self._keeper.acquire.remote(self._key, *self._limits, self._holder)
        try:
            await granted
        except asyncio.CancelledError:  # the slot may still be granted: give it back then
            release = asyncio.ensure_future(self._release_when(granted))
            _BACKGROUND.add(release)
            release.add_done_callback(_BACKGROUND.discard)
            raise
        try:
            yield
        finally:
            self._keeper.release.remote(self._key, self._holder)

    async def _release_when(self, granted: Any) -> None:
        try:
            await granted
        finally:
            self._keeper.release.remote(self._key, self._holder)


class RayGates:
    """A worker's ``GateProvider``: every role's gate lives in the keeper."""

    def __init__(self, keeper: Any, holder: str) -> None:
        self._keeper = keeper
        self._holder = holder

    def gate(self, key: str, config: ModelConfig) -> RayGate:
        return RayGate(self._keeper, key, config, self._holder)
