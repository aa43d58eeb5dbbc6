"""The on-disk response cache, with its disk I/O on one thread of its own.

A sqlite write blocks for a fraction of a millisecond, long enough to stall every other
call on the event loop when it runs there. diskcache opens one sqlite connection per
thread, so the reads and writes all run on a single dedicated thread: the connection it
opens is the one ``close`` closes, and writes run in order, so a read after a write of the
same key sees it. Writes are not awaited by the caller (its reply does not depend on them);
``aclose`` waits for the ones still queued, so nothing is lost; a write that fails (a full
disk) is logged, since the reply it would have saved was already returned.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

from debate.models.base import GenerateRequest, GenerateResponse

log = logging.getLogger(__name__)

CACHE_KEY_VERSION = 1
"""Bump when the cache key or stored value changes meaning, so old entries stop matching."""


def cache_key(identity: dict[str, Any], request: GenerateRequest) -> str:
    """sha256 of canonical JSON of the backend identity and the whole request."""
    payload = {
        "v": CACHE_KEY_VERSION,
        "backend": identity,
        "request": request.model_dump(mode="json"),
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


class ResponseCache:
    """Stored replies by key, read and written off the event loop."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._io: ThreadPoolExecutor | None = ThreadPoolExecutor(
            max_workers=1, thread_name_prefix="debate-cache"
        )
        self._cache: Any = None  # opened on the I/O thread, on first use

    def _thread(self) -> ThreadPoolExecutor:
        if self._io is None:
            raise RuntimeError(f"response cache {self.directory} is closed")
        return self._io

    def _open(self) -> Any:
        if self._cache is None:
            import diskcache

            self._cache = diskcache.Cache(str(self.directory))
        return self._cache

    def _get(self, key: str) -> str | None:
        stored = self._open().get(key)
        return stored if isinstance(stored, str) else None

    def _set(self, key: str, value: str) -> None:
        self._open().set(key, value)

    async def get(self, key: str) -> GenerateResponse | None:
        """The stored reply for ``key``, else None."""
        stored = await asyncio.get_running_loop().run_in_executor(self._thread(), self._get, key)
        return None if stored is None else GenerateResponse.model_validate_json(stored)

    def put(self, key: str, response: GenerateResponse) -> None:
        """Queue ``response`` to be stored under ``key`` (returns at once)."""
        write = self._thread().submit(self._set, key, response.model_dump_json())
        write.add_done_callback(self._report)

    def _report(self, write: Future[None]) -> None:
        error = write.exception()
        if error is not None:
            log.warning("response cache %s: a write failed: %s", self.directory, error)

    def _close(self) -> None:
        if self._cache is not None:
            self._cache.close()
            self._cache = None

    async def aclose(self) -> None:
        """Finish queued writes, then close the connection (safe to call twice)."""
        if self._io is None:
            return
        io, self._io = self._io, None
        # The thread runs this after every queued write, on the connection it opened.
        await asyncio.get_running_loop().run_in_executor(io, self._close)
        io.shutdown(wait=True)
