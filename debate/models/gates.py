"""Call gates: where a model call waits for a concurrency slot and a rate token.

A ``Model`` takes both from its gate for every attempt. In one process the gate is local
(a semaphore and a sliding-window throttler); on a cluster every worker's copy of a role
shares one gate held by a Ray actor (``debate.ray_limits``), so a limit in the config
holds across all workers together, not once per worker.
"""

from __future__ import annotations

import asyncio
from contextlib import AbstractAsyncContextManager
from types import TracebackType
from typing import Protocol

from asyncio_throttle.throttler import Throttler


class CallGate(Protocol):
    """``async with gate.attempt():`` holds a slot (and has taken a rate token) for one
    attempt of a call; backoff sleeps happen outside, so they do not hold a slot."""

    def attempt(self) -> AbstractAsyncContextManager[None]: ...


def throttler(requests_per_minute: float) -> Throttler:
    """A sliding-window throttler with about a one-second window.

    asyncio_throttle takes an integer count per period; a ~1 s window allows short bursts
    while keeping fractional and very high rates exact (period = 60 * count / rpm).
    """
    count = max(1, round(requests_per_minute / 60))
    return Throttler(rate_limit=count, period=60.0 * count / requests_per_minute)


def limited(max_concurrency: int | None, requests_per_minute: float | None) -> bool:
    return max_concurrency is not None or bool(requests_per_minute)


class LocalGate:
    """``max_concurrency`` attempts at once and at most ``requests_per_minute`` started,
    for the callers in this process (None: no such limit)."""

    def __init__(
        self, max_concurrency: int | None, requests_per_minute: float | None = None
    ) -> None:
        self.max_concurrency = max_concurrency
        self._semaphore: asyncio.Semaphore | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._throttler = throttler(requests_per_minute) if requests_per_minute else None

    def _slots(self) -> asyncio.Semaphore | None:
        """The semaphore for the running loop; a new loop (a second asyncio.run) gets a fresh
        one, since asyncio primitives bind to the first loop that waits on them."""
        if self.max_concurrency is None:
            return None
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._semaphore is None:
            self._loop = loop
            self._semaphore = asyncio.Semaphore(self.max_concurrency)
        return self._semaphore

    async def acquire(self) -> None:
        """Take a slot, then a rate token (the split form, for a gate held for others)."""
        slots = self._slots()
        if slots is not None:
            await slots.acquire()
        if self._throttler is not None:
            try:
                async with self._throttler:
                    pass
            except BaseException:
                self.release()
                raise

    def release(self) -> None:
        if self._semaphore is not None and self.max_concurrency is not None:
            self._semaphore.release()

    def attempt(self) -> _Held:
        return _Held(self)


class _Held:
    """One attempt's hold on a ``LocalGate`` (a class, not an async generator: it is entered
    on every attempt of every call)."""

    __slots__ = ("gate",)

    def __init__(self, gate: LocalGate) -> None:
        self.gate = gate

    async def __aenter__(self) -> None:
        await self.gate.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.gate.release()
