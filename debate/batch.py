"""Run many debates concurrently (``run_many``): resume, retry of failures, a cost budget,
and a stop on errors every debate would hit, around the engine's ``run_debate``."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from debate.engine import Debaters, run_debate
from debate.errors import DebateError, StopsRun
from debate.failures import describe_error
from debate.progress import DebateObserver, NullProgress, ProgressReporter
from debate.protocol import Protocol
from debate.quotes import EvidencePolicy
from debate.roles import Judge
from debate.sinks import RetryableSink, TranscriptSink
from debate.types import Question, Transcript


@dataclass(frozen=True)
class DebateJob:
    """One debate of a batch. ``debate_id`` must be stable so ``--resume`` can skip it."""

    debate_id: str
    question: Question
    protocol: Protocol
    debaters: Debaters
    judge: Judge
    seed: int
    swap: bool | None = None
    shown: tuple[int, ...] | None = None
    """The answer order (option indices); None: chosen by ``swap``."""
    cell: Mapping[str, Any] = field(default_factory=dict)
    evidence: EvidencePolicy | None = None


class RunStopped(DebateError):
    """A batch stopped scheduling debates because of an error every debate would hit."""

    def __init__(self, message: str, transcripts: list[Transcript]) -> None:
        super().__init__(message)
        self.transcripts = transcripts
        """The debates this call did finish (all stored)."""


async def run_many(
    jobs: Iterable[DebateJob],
    *,
    store: TranscriptSink | None = None,
    concurrency: int = 16,
    progress: ProgressReporter | None = None,
    observer: DebateObserver | None = None,
    max_cost_usd: float | None = None,
    retry_failed: bool = False,
) -> list[Transcript]:
    """Run jobs concurrently; append each finished transcript to ``store`` at once.

    Jobs whose id the store already holds are skipped (resume); with ``retry_failed`` those
    stored as failures are run again and their new record supersedes the old one (the store
    is compacted at the end, so no debate is left twice). Returns the transcripts produced by
    this call, in job order. ``observer`` watches every debate as it runs. Once the debates
    finished by this call have cost ``max_cost_usd``, no new debate starts (those in flight
    finish and are stored); the result is then shorter than the pending jobs, and a
    ``--resume`` later runs the rest. An error marked ``StopsRun`` (a rejected API key) stops
    scheduling at once: the debates it hit are not recorded, and ``RunStopped`` is raised
    once those in flight have finished.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    all_jobs = list(jobs)
    ids = [job.debate_id for job in all_jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("debate ids in a batch must be unique")
    done = store.ids() if store is not None else set()
    if retry_failed and store is not None:
        if not isinstance(store, RetryableSink):
            raise ValueError(f"{type(store).__name__} cannot rerun failed debates")
        done -= store.failed_ids()
    pending: Sequence[DebateJob] = [job for job in all_jobs if job.debate_id not in done]
    progress = progress or NullProgress()
    progress.start(total=len(all_jobs), skipped=len(all_jobs) - len(pending))
    results: dict[str, Transcript] = {}
    queue = iter(pending)
    spent = 0.0
    stopped: list[StopsRun] = []

    async def worker() -> None:
        nonlocal spent
        for job in queue:
            if stopped or (max_cost_usd is not None and spent >= max_cost_usd):
                return
            try:
                transcript = await run_debate(
                    job.question,
                    job.protocol,
                    job.debaters,
                    job.judge,
                    seed=job.seed,
                    debate_id=job.debate_id,
                    swap=job.swap,
                    shown=job.shown,
                    cell=job.cell,
                    evidence=job.evidence,
                    observer=observer,
                )
            except StopsRun as exc:
                stopped.append(exc)
                return  # the others finish the debates they are in, then stop too
            if store is not None:
                store.append(transcript)
            results[job.debate_id] = transcript
            spent += transcript.usage.cost_usd
            progress.advance(transcript)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(pending))):
                group.create_task(worker())
    finally:
        progress.finish()
        if retry_failed and isinstance(store, RetryableSink):
            store.compact()
    finished = [results[job.debate_id] for job in pending if job.debate_id in results]
    if stopped:
        left = len(pending) - len(finished)
        first = stopped[0]
        reason = (getattr(first, "__notes__", None) or [describe_error(first)])[-1]
        raise RunStopped(
            f"stopped: {reason}; no new debate was started ({left} not run, none of them "
            "recorded); fix the cause and rerun with --resume",
            finished,
        )
    return finished
