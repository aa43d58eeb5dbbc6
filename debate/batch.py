"""``run_many``: the in-process form of ``debate.runner.run_jobs``, kept for callers that
pass a concurrency rather than an executor (the API's simplest way in)."""

from __future__ import annotations

from collections.abc import Iterable

from debate.jobs import DebateJob, LiveJob
from debate.progress import DebateObserver, ProgressReporter
from debate.runner import InProcessExecutor, Job, RunStopped, run_jobs
from debate.sinks import TranscriptSink
from debate.types import Transcript

__all__ = ["DebateJob", "LiveJob", "RunStopped", "run_many"]


async def run_many(
    jobs: Iterable[Job[Transcript]],
    *,
    store: TranscriptSink | None = None,
    concurrency: int = 16,
    progress: ProgressReporter | None = None,
    observer: DebateObserver | None = None,
    max_cost_usd: float | None = None,
    retry_failed: bool = False,
) -> list[Transcript]:
    """``run_jobs`` on an in-process executor running ``concurrency`` debates at once."""
    return await run_jobs(
        jobs,
        store,
        InProcessExecutor(concurrency),
        progress=progress,
        observer=observer,
        max_cost_usd=max_cost_usd,
        retry_failed=retry_failed,
    )
