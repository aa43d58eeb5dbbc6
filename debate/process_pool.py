"""Run data jobs in a pool of worker processes (CPU-bound roles: simulated judges and
players, search, local classifiers), behind the same ``Executor`` interface.

A job crosses the boundary as JSON (``debate.jobs.job_to_wire``); each worker keeps one
event loop and one ``Components`` for its life, so the roles a worker builds are shared
by every job it runs, as in process. Live objects cannot be sent: only data jobs run here.
"""

from __future__ import annotations

import asyncio
import functools
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
from debate.registry import registering_modules
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


Wire = tuple[str, str, list[str]]
"""A job as it crosses to a worker: class path, JSON, plug-in modules (``job_to_wire``)."""


async def _run_one(wire: Wire) -> tuple[str, str]:
    assert _components is not None
    job = job_from_wire(*wire)
    try:
        transcript = await job.run(_components)
    except StopsRun as exc:
        notes = getattr(exc, "__notes__", None) or [describe_error(exc)]
        return "stop", str(notes[-1])
    except Exception as exc:  # a bug, not a failed debate (those are in the transcript)
        return "bug", f"{type(exc).__name__}: {exc}"
    return "ok", transcript.model_dump_json()


def _run_batch(wires: list[Wire]) -> list[tuple[str, str]]:
    """A batch of jobs, run concurrently on the worker's loop: one round trip for many
    cheap debates, and overlapping waits for debates that call models."""
    assert _loop is not None

    async def run_all() -> list[tuple[str, str]]:
        return list(await asyncio.gather(*(_run_one(w) for w in wires)))

    return _loop.run_until_complete(run_all())


class ProcessPoolExecutor:
    """``workers`` processes, each running up to ``per_worker`` jobs at once on its own
    event loop (``capacity`` = workers x per_worker).

    Jobs waiting for a worker are sent together, a batch per round trip, so the cost of
    crossing the process boundary is paid per batch, not per debate. Workers start with
    ``spawn`` (no forked copy of the driver's threads or event loop) and import what a job
    needs on first use."""

    def __init__(
        self, workers: int = 2, *, per_worker: int = 32, data_root: Path | None = None
    ) -> None:
        if workers < 1 or per_worker < 1:
            raise ValueError("a process pool needs at least one worker and one job a worker")
        self.workers = workers
        self.per_worker = per_worker
        self.capacity = workers * per_worker
        self._data_root = str(data_root) if data_root else None
        self._pool: _Pool | None = None
        self._waiting: list[tuple[Wire, asyncio.Future[tuple[str, str]]]] = []
        self._calls = 0
        self._plugins: list[str] = []

    async def __aenter__(self) -> Self:
        self._plugins = registering_modules()  # once a run, not once a job
        self._pool = _Pool(
            max_workers=self.workers,
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
        if observer is not None:
            raise ConfigError("a live observer needs the debates in this process")
        if not isinstance(job, BaseModel):
            raise ConfigError(
                f"job {job.debate_id!r} holds live objects; only data jobs (DebateJob) can "
                "run in another process"
            )
        if self._pool is None:
            raise RuntimeError("enter the executor (async with) before running jobs")
        done: asyncio.Future[tuple[str, str]] = asyncio.get_running_loop().create_future()
        self._waiting.append((job_to_wire(job, self._plugins), done))
        self._send()
        status, text = await done
        if status == "stop":
            raise WorkerStopped(text)
        if status == "bug":
            raise RuntimeError(f"job {job.debate_id!r} failed in a worker: {text}")
        return Transcript.model_validate_json(text)

    def _send(self) -> None:
        """Send waiting jobs while a worker is free, up to ``per_worker`` a batch."""
        loop = asyncio.get_running_loop()
        while self._waiting and self._calls < self.workers and self._pool is not None:
            batch, self._waiting = (
                self._waiting[: self.per_worker],
                self._waiting[self.per_worker :],
            )
            self._calls += 1
            call = loop.run_in_executor(self._pool, _run_batch, [wire for wire, _ in batch])
            call.add_done_callback(functools.partial(self._finished, batch=batch))

    def _finished(
        self,
        call: asyncio.Future[list[tuple[str, str]]],
        *,
        batch: list[tuple[Wire, asyncio.Future[tuple[str, str]]]],
    ) -> None:
        self._calls -= 1
        error = call.exception()
        for index, (_, done) in enumerate(batch):
            if done.done():
                continue
            if error is not None:
                done.set_exception(error)
            else:
                done.set_result(call.result()[index])
        self._send()


def worker_count(requested: Any) -> int:
    """``workers = "auto"``: one per CPU this process may use."""
    import os

    if requested == "auto":
        return max(1, len(os.sched_getaffinity(0)))
    return int(requested)
