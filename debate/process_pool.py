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
from debate.quiet import quiet_in_worker
from debate.registry import registering_modules
from debate.runner import Job, R


class WorkerStopped(DebateError, StopsRun):
    """A worker's job hit an error every debate would hit (re-raised in the driver)."""


_loop: asyncio.AbstractEventLoop | None = None
_components: Components | None = None


def _start_worker(data_root: str | None) -> None:
    global _loop, _components
    quiet_in_worker()  # a worker started by the CLI keeps library warnings out of its log
    _loop = asyncio.new_event_loop()
    _components = Components(data_root=Path(data_root) if data_root else None)
    loop, components = _loop, _components

    def close() -> None:  # on the worker's exit: release what its roles opened
        loop.run_until_complete(components.aclose())
        loop.close()

    Finalize(None, close, exitpriority=10)


Wire = tuple[str, str, list[str]]
"""A job as it crosses to a worker: class path, JSON, plug-in modules (``job_to_wire``)."""


Outcome = tuple[str, Any]
"""A job's outcome as it crosses back: ("ok", result), ("stop", reason) or ("bug", text)."""


async def run_wire(wire: Wire, components: Components) -> Outcome:
    """Run one job that arrived as data; its result, or the error as one line (what any
    worker, here or on a cluster, sends back: the driver alone stores results)."""
    job = job_from_wire(*wire)
    try:
        result = await job.run(components)
    except StopsRun as exc:
        notes = getattr(exc, "__notes__", None) or [describe_error(exc)]
        return "stop", str(notes[-1])
    except Exception as exc:  # a bug, not a failed debate (those are in the transcript)
        return "bug", f"{type(exc).__name__}: {exc}"
    return "ok", result


def outcome_result(job: Job[R], outcome: Outcome) -> R:
    """The driver's side of ``run_wire``: the result, or the worker's error raised here."""
    status, value = outcome
    if status == "stop":
        raise WorkerStopped(value)
    if status == "bug":
        raise RuntimeError(f"job {job.debate_id!r} failed in a worker: {value}")
    result: R = value
    return result


def _run_batch(wires: list[Wire]) -> list[Outcome]:
    """A batch of jobs, run concurrently on the worker's loop: one round trip for many
    cheap debates, and overlapping waits for debates that call models."""
    assert _loop is not None and _components is not None
    components = _components

    async def run_all() -> list[Outcome]:
        return list(await asyncio.gather(*(run_wire(w, components) for w in wires)))

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
        self._waiting: list[tuple[Wire, asyncio.Future[Outcome]]] = []
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

    async def run(self, job: Job[R], observer: DebateObserver | None = None) -> R:
        wire = data_job_wire(job, observer, self._plugins)
        if self._pool is None:
            raise RuntimeError("enter the executor (async with) before running jobs")
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append((wire, done))
        self._send()
        return outcome_result(job, await done)

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
        call: asyncio.Future[list[Outcome]],
        *,
        batch: list[tuple[Wire, asyncio.Future[Outcome]]],
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


def data_job_wire(job: Job[Any], observer: DebateObserver | None, plugins: list[str]) -> Wire:
    """``job`` as it crosses to another process, or one line saying why it cannot."""
    if observer is not None:
        raise ConfigError("a live observer needs the debates in this process")
    if not isinstance(job, BaseModel):
        raise ConfigError(
            f"job {job.debate_id!r} holds live objects; only data jobs (DebateJob) can "
            "run in another process"
        )
    return job_to_wire(job, plugins)


def worker_count(requested: Any) -> int:
    """``workers = "auto"``: one per CPU this process may use."""
    import os

    if requested == "auto":
        return max(1, len(os.sched_getaffinity(0)))
    return int(requested)
