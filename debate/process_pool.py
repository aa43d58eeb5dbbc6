"""Run data jobs in a pool of worker processes (CPU-bound roles: simulated judges and
players, search, local classifiers), behind the same ``Executor`` interface.

A job crosses the boundary as JSON (``debate.jobs.job_to_wire``); each worker keeps one
event loop and one ``Components`` for its life, so the roles a worker builds are shared
by every job it runs, as in process. Live objects cannot be sent: only data jobs run here.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import ProcessPoolExecutor as _Pool
from multiprocessing.util import Finalize
from pathlib import Path
from typing import Any, Self

from pydantic import BaseModel

from debate.components import Components
from debate.errors import ConfigError, DebateError, StopsRun
from debate.failures import describe_error
from debate.jobs import job_from_wire, job_to_wire
from debate.progress import DebateObserver
from debate.runner import Job
from debate.types import Transcript


class WorkerStopped(DebateError, StopsRun):
    """A worker's job hit an error every debate would hit (re-raised in the driver)."""


_loop: asyncio.AbstractEventLoop | None = None
_components: Components | None = None


def _start_worker(data_root: str | None) -> None:
    global _loop, _components
    _loop = asyncio.new_event_loop()
    _components = Components(data_root=Path(data_root) if data_root else None)
    loop, components = _loop, _components

    def close() -> None:  # on the worker's exit: release what its roles opened
        loop.run_until_complete(components.aclose())
        loop.close()

    Finalize(None, close, exitpriority=10)


def _run_in_worker(target: str, text: str, plugins: list[str]) -> tuple[str, str]:
    assert _loop is not None and _components is not None
    job = job_from_wire(target, text, plugins)
    try:
        transcript = _loop.run_until_complete(job.run(_components))
    except StopsRun as exc:
        notes = getattr(exc, "__notes__", None) or [describe_error(exc)]
        return "stop", str(notes[-1])
    return "ok", transcript.model_dump_json()


class ProcessPoolExecutor:
    """``workers`` processes, each running one job at a time (``capacity`` = workers).

    Workers start with ``spawn`` (no forked copy of the driver's threads or event loop) and
    import what a job needs on first use."""

    def __init__(self, workers: int = 2, *, data_root: Path | None = None) -> None:
        if workers < 1:
            raise ValueError("a process pool needs at least one worker")
        self.capacity = workers
        self._data_root = str(data_root) if data_root else None
        self._pool: _Pool | None = None

    async def __aenter__(self) -> Self:
        self._pool = _Pool(
            max_workers=self.capacity,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(self._data_root,),
        )
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await asyncio.get_running_loop().run_in_executor(None, pool.shutdown)

    async def run(self, job: Job, observer: DebateObserver | None = None) -> Transcript:
        if self._pool is None:
            raise RuntimeError("enter the executor (async with) before running jobs")
        if observer is not None:
            raise ConfigError("a live observer needs the debates in this process")
        if not isinstance(job, BaseModel):
            raise ConfigError(
                f"job {job.debate_id!r} holds live objects; only data jobs (DebateJob) can "
                "run in another process"
            )
        loop = asyncio.get_running_loop()
        status, text = await loop.run_in_executor(self._pool, _run_in_worker, *job_to_wire(job))
        if status == "stop":
            raise WorkerStopped(text)
        return Transcript.model_validate_json(text)


def worker_count(requested: Any) -> int:
    """``workers = "auto"``: one per CPU this process may use."""
    import os

    if requested == "auto":
        return max(1, len(os.sched_getaffinity(0)))
    return int(requested)
