"""Run data jobs on a Ray cluster (or a local one Ray starts), behind the ``Executor``
interface: the same ``run_jobs`` owns resume, dedup, retries, budget and progress.

Exactly once: workers only run jobs and stream each result back as it finishes; the
driver alone appends to the store. A worker that dies mid-batch loses nothing stored: the
jobs whose results had not come back are sent to a fresh worker, and a job that loses its
worker ``max_attempts`` times stops the run with one line. Each worker keeps one
``Components`` for its life (a local model is loaded once per worker and batched across
its jobs), and model roles take their slots and rate tokens from one ``GateKeeper`` actor,
so limits hold across all workers together.

Ray is an optional extra (``pip install 'debate-lab[ray]'``), imported only here.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Self

from debate.components import Components
from debate.errors import ConfigError, DebateError
from debate.process_pool import Outcome, Wire, data_job_wire, outcome_result, run_wire
from debate.progress import DebateObserver
from debate.ray_limits import GateKeeper, RayGates
from debate.registry import registering_modules
from debate.runner import Job, R


class WorkerLost(DebateError):
    """A job's worker died ``max_attempts`` times while running it (it is not stored)."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise ConfigError(
            "the Ray executor needs Ray: pip install 'debate-lab[ray]' (or choose "
            "--executor local or processes)"
        ) from None
    return ray


class RayWorker:
    """One worker (a Ray actor): a ``Components`` for its life, and jobs run concurrently
    on its event loop, each result streamed back as soon as it is done."""

    def __init__(self, data_root: str | None, keeper: Any, holder: str, paths: list[str]) -> None:
        for path in reversed(paths):  # the driver's import paths (a config's plug-ins)
            if path not in sys.path and os.path.isdir(path):
                sys.path.insert(0, path)
        self.holder = holder
        self.components = Components(
            data_root=Path(data_root) if data_root else None, gates=RayGates(keeper, holder)
        )

    async def hello(self) -> tuple[str, int]:
        return self.holder, os.getpid()

    async def run_batch(self, wires: list[Wire]) -> AsyncIterator[list[tuple[int, Outcome]]]:
        """Yield the outcomes as they finish, together those done since the last yield:
        one object a yield, so cheap debates do not pay a round trip each."""
        done: asyncio.Queue[tuple[int, Outcome]] = asyncio.Queue()

        async def one(index: int, wire: Wire) -> None:
            done.put_nowait((index, await run_wire(wire, self.components)))

        tasks = [asyncio.ensure_future(one(i, w)) for i, w in enumerate(wires)]
        left = len(tasks)
        while left:
            ready = [await done.get()]
            await asyncio.sleep(0)  # let outcomes finishing now join this yield
            while not done.empty():
                ready.append(done.get_nowait())
            left -= len(ready)
            yield ready

    async def close(self) -> None:
        await self.components.aclose()


@dataclass(eq=False)
class _Waiting:
    debate_id: str
    wire: Wire
    done: asyncio.Future[Outcome]
    attempts: int = 0


@dataclass(eq=False)
class _Worker:
    handle: Any
    holder: str
    pid: int = 0
    running: int = 0
    alive: bool = True
    streams: set[asyncio.Task[None]] = field(default_factory=set)


class RayExecutor:
    """``workers`` Ray actors, each running up to ``per_worker`` jobs at once.

    ``address``: None starts a local Ray cluster on this machine (shut down on exit);
    ``"auto"`` or ``"HOST:PORT"`` joins a running one. If Ray is already initialised in
    this process (a notebook, a test), that cluster is used and left running.
    ``workers`` None: one per GPU where the cluster has GPUs, else one per CPU.
    ``gpus_per_worker`` None: 1 where the cluster has a GPU per worker, else 0.
    """

    def __init__(
        self,
        workers: int | None = None,
        *,
        address: str | None = None,
        per_worker: int = 64,
        gpus_per_worker: float | None = None,
        data_root: Path | None = None,
        max_attempts: int = 3,
    ) -> None:
        if (workers is not None and workers < 1) or per_worker < 1 or max_attempts < 1:
            raise ValueError("a Ray executor needs at least one worker, job and attempt")
        self.address = address
        self.workers = workers or 0
        self.per_worker = per_worker
        self.capacity = (workers or 1) * per_worker
        self.gpus_per_worker = gpus_per_worker
        self.max_attempts = max_attempts
        self.replaced = 0
        """Workers that died during this run and were replaced."""
        self._data_root = str(data_root) if data_root else None
        self._ray: Any = None
        self._started = False
        self._keeper: Any = None
        self._pool: list[_Worker] = []
        self._waiting: list[_Waiting] = []
        self._plugins: list[str] = []
        self._sending = False
        self._cpus_per_worker = 1.0

    async def __aenter__(self) -> Self:
        ray = self._ray = import_ray()
        if not ray.is_initialized():
            self._started = True
            try:
                ray.init(
                    address=self.address,
                    include_dashboard=False,
                    configure_logging=False,
                    log_to_driver=False,
                )
            except (ConnectionError, ValueError, RuntimeError) as exc:
                where = self.address or "a local cluster"
                raise ConfigError(f"could not start Ray on {where}: {exc}") from None
        resources = ray.cluster_resources()
        gpus = float(resources.get("GPU", 0))
        if not self.workers:
            self.workers = int(gpus) or max(1, int(resources.get("CPU", 1)))
        if self.gpus_per_worker is None:
            self.gpus_per_worker = 1.0 if gpus >= self.workers else 0.0
        # More workers than CPUs share them, instead of waiting forever to be placed.
        self._cpus_per_worker = min(1.0, float(resources.get("CPU", 1)) / self.workers)
        self.capacity = self.workers * self.per_worker
        self._plugins = registering_modules()  # once a run, not once a job
        self._keeper = ray.remote(GateKeeper).options(num_cpus=0, max_concurrency=100_000).remote()
        self._pool = [self._new_worker() for _ in range(self.workers)]
        await asyncio.gather(*(self._greet(w) for w in self._pool))
        return self

    def _new_worker(self) -> _Worker:
        holder = uuid.uuid4().hex
        actor = self._ray.remote(RayWorker).options(
            num_cpus=self._cpus_per_worker,
            num_gpus=self.gpus_per_worker,
            max_concurrency=self.per_worker + 8,
        )
        handle = actor.remote(self._data_root, self._keeper, holder, list(sys.path))
        return _Worker(handle, holder)

    async def _greet(self, worker: _Worker) -> None:
        _, worker.pid = await worker.handle.hello.remote()

    async def __aexit__(self, *exc: object) -> None:
        for worker in self._pool:
            for stream in worker.streams:
                stream.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*(w.handle.close.remote() for w in self._pool))
        for worker in self._pool:
            self._ray.kill(worker.handle)
        if self._keeper is not None:
            self._ray.kill(self._keeper)
        self._pool = []
        if self._started:
            self._ray.shutdown()

    def worker_pids(self) -> list[int]:
        """The process ids of the live workers (a test kills one)."""
        return [w.pid for w in self._pool]

    async def run(self, job: Job[R], observer: DebateObserver | None = None) -> R:
        wire = data_job_wire(job, observer, self._plugins)
        if not self._pool:
            raise RuntimeError("enter the executor (async with) before running jobs")
        done: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        self._waiting.append(_Waiting(job.debate_id, wire, done))
        self._schedule()
        return outcome_result(job, await done)

    def _schedule(self) -> None:
        """Send on the next turn of the loop, so jobs queued together go in one call."""
        if not self._sending:
            self._sending = True
            asyncio.get_running_loop().call_soon(self._send)

    def _send(self) -> None:
        """Share what is waiting among the workers with room, evenly (a costly job, such as
        a chunk of games, should not queue behind another while a worker idles)."""
        self._sending = False
        open_ = [w for w in self._pool if w.alive and w.running < self.per_worker]
        open_.sort(key=lambda w: w.running)
        for place, worker in enumerate(open_):
            if not self._waiting:
                return
            share = -(-len(self._waiting) // (len(open_) - place))
            take = min(self.per_worker - worker.running, share)
            batch, self._waiting = self._waiting[:take], self._waiting[take:]
            worker.running += len(batch)
            stream = asyncio.ensure_future(self._stream(worker, batch))
            worker.streams.add(stream)
            stream.add_done_callback(worker.streams.discard)

    async def _stream(self, worker: _Worker, batch: list[_Waiting]) -> None:
        left = dict(enumerate(batch))
        try:
            async for ref in worker.handle.run_batch.remote([w.wire for w in batch]):
                for index, outcome in await ref:
                    waiting = left.pop(index)
                    worker.running -= 1
                    if not waiting.done.done():
                        waiting.done.set_result(outcome)
                self._schedule()
        except self._ray.exceptions.RayActorError as error:
            await self._lost(worker, list(left.values()), error)

    async def _lost(self, worker: _Worker, unfinished: list[_Waiting], error: Exception) -> None:
        """``worker`` died: release its slots, replace it, and send its unfinished jobs again
        (their results never reached the driver, so nothing of them is stored)."""
        if worker.alive:
            worker.alive = False
            self.replaced += 1
            with contextlib.suppress(Exception):
                await self._keeper.forget.remote(worker.holder)
            fresh = self._new_worker()
            self._pool[self._pool.index(worker)] = fresh
            await self._greet(fresh)
        retry = []
        for waiting in unfinished:
            waiting.attempts += 1
            if waiting.attempts >= self.max_attempts:
                waiting.done.set_exception(
                    WorkerLost(
                        f"job {waiting.debate_id!r} lost its worker {waiting.attempts} times "
                        f"(last: {type(error).__name__}); it was not stored"
                    )
                )
            else:
                retry.append(waiting)
        self._waiting[:0] = retry
        self._schedule()
