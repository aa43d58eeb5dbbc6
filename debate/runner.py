"""One runner for every batch of debates: ``run_jobs`` owns resume, dedup, retry of
failures, the cost budget, the stop on errors every debate would hit, and progress; an
executor only runs jobs (in this process, in a process pool, next on a cluster).

Only the driver appends to the store, so a store never sees two writers, and every
finished debate is flushed as soon as it returns, wherever it ran.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar

from debate.collector import batch_collection
from debate.components import Components
from debate.errors import DebateError, StopsRun
from debate.failures import describe_error
from debate.progress import DebateObserver, NullProgress, ProgressReporter
from debate.sinks import RecordSink, RetryableSink
from debate.types import Transcript

Result = TypeVar("Result", covariant=True)
R = TypeVar("R")


class Job(Protocol[Result]):
    """What the runner needs of a job: a stable id, and a way to run it on components.
    A debate's result is its transcript; a sweep cell's or a game chunk's is its record."""

    @property
    def debate_id(self) -> str: ...

    async def run(
        self, components: Components, observer: DebateObserver | None = None
    ) -> Result: ...


class Executor(Protocol):
    """Runs jobs, ``capacity`` at once; entered (``async with``) around a batch."""

    capacity: int

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...

    async def run(self, job: Job[R], observer: DebateObserver | None = None) -> R:
        """The job's result; an error marked ``StopsRun`` propagates (it stops the run)."""
        ...


class InProcessExecutor:
    """Runs jobs as asyncio tasks in this process: concurrency without copies, sharing each
    built role (and its connection pool or loaded model) across every debate that uses it.

    Components it creates it also closes; ``components`` passed in stay the caller's."""

    def __init__(self, concurrency: int = 16, components: Components | None = None) -> None:
        if concurrency < 1:
            raise ValueError("concurrency must be at least 1")
        self.capacity = concurrency
        self._owned = components is None
        self.components = components or Components()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._owned:
            await self.components.aclose()

    async def run(self, job: Job[R], observer: DebateObserver | None = None) -> R:
        return await job.run(self.components, observer)


class RunStopped(DebateError):
    """A batch stopped scheduling debates because of an error every debate would hit."""

    def __init__(self, message: str, transcripts: list[Any]) -> None:
        super().__init__(message)
        self.transcripts = transcripts
        """The debates this call did finish (all stored)."""


def pending_jobs(
    jobs: Sequence[Job[R]], sink: RecordSink[R] | None, retry_failed: bool
) -> list[Job[R]]:
    """The jobs not yet stored (resume); with ``retry_failed`` also those stored as failures."""
    ids = [job.debate_id for job in jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("debate ids in a batch must be unique")
    done = sink.ids() if sink is not None else set()
    if retry_failed and sink is not None:
        if not isinstance(sink, RetryableSink):
            raise ValueError(f"{type(sink).__name__} cannot rerun failed debates")
        done -= sink.failed_ids()
    return [job for job in jobs if job.debate_id not in done]


async def run_jobs(
    jobs: Iterable[Job[R]],
    sink: RecordSink[R] | None = None,
    executor: Executor | None = None,
    *,
    progress: ProgressReporter | None = None,
    observer: DebateObserver | None = None,
    max_cost_usd: float | None = None,
    retry_failed: bool = False,
    components: Components | None = None,
) -> list[R]:
    """Run the jobs ``sink`` does not hold yet on ``executor``; append each finished
    result (a transcript, or a job's own record) to ``sink`` at once. ``components`` (the
    roles a caller built, e.g. to check a config) are closed when the run ends, on this
    event loop, however it ends.

    With ``retry_failed`` the debates stored as failures run again and their new record
    supersedes the old one (the sink is compacted at the end, so no debate is left twice).
    Returns the transcripts produced by this call, in job order. Once the debates finished
    by this call have cost ``max_cost_usd``, no new debate starts (those in flight finish
    and are stored); a ``--resume`` later runs the rest. An error marked ``StopsRun`` (a
    rejected API key) stops scheduling at once: the debates it hit are not recorded, and
    ``RunStopped`` is raised once those in flight have finished.
    """
    all_jobs = list(jobs)
    pending = pending_jobs(all_jobs, sink, retry_failed)
    executor = executor or InProcessExecutor()
    progress = progress or NullProgress()
    progress.start(total=len(all_jobs), skipped=len(all_jobs) - len(pending))
    results: dict[str, R] = {}
    queue = iter(pending)
    spent = 0.0
    stopped: list[StopsRun] = []

    async def worker() -> None:
        nonlocal spent
        for job in queue:
            if stopped or (max_cost_usd is not None and spent >= max_cost_usd):
                return
            try:
                result = await executor.run(job, observer)
            except StopsRun as exc:
                stopped.append(exc)
                return  # the others finish the debates they are in, then stop too
            if sink is not None:
                sink.append(result)
            results[job.debate_id] = result
            if isinstance(result, Transcript):  # records without usage count as one unit
                spent += result.usage.cost_usd
                progress.advance(result)
            else:
                progress.advance(count=getattr(result, "units", 1))

    try:
        with batch_collection():
            async with executor, asyncio.TaskGroup() as group:
                for _ in range(min(executor.capacity, len(pending))):
                    group.create_task(worker())
    except ExceptionGroup as errors:  # a bug, not a failed debate: raise it as itself
        raise errors.exceptions[0] from None
    finally:
        progress.finish()
        if retry_failed and isinstance(sink, RetryableSink):
            sink.compact()
        if components is not None:
            await components.aclose()
    finished = [results[job.debate_id] for job in pending if job.debate_id in results]
    if stopped:
        raise _stopped(stopped[0], len(pending) - len(finished), finished)
    return finished


def _stopped(first: StopsRun, left: int, finished: list[Any]) -> RunStopped:
    reason: Any = (getattr(first, "__notes__", None) or [describe_error(first)])[-1]
    return RunStopped(
        f"stopped: {reason}; no new debate was started ({left} not run, none of them "
        "recorded); fix the cause and rerun with --resume",
        finished,
    )
