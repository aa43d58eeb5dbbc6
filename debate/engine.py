"""Run one debate (``run_debate``) or many concurrently (``run_many``).

Flow: question -> shown answers and seats -> rounds (simultaneous speakers awaited together)
-> judge's view -> verdict -> one whole transcript. Failures are recorded in the transcript
(counted wrong), so a batch never loses or silently drops a debate.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from debate.progress import NullProgress, ProgressReporter
from debate.protocol import Protocol, Round
from debate.roles import Debater, Judge
from debate.seeds import derive_seed
from debate.types import (
    DebaterView,
    DebateSetup,
    JudgeView,
    Question,
    Seat,
    Transcript,
    Turn,
    Usage,
    Verdict,
)
from transcripts.evidence import EvidencePolicy, find_quotes
from transcripts.store import TranscriptSink

Debaters = Debater | Mapping[str, Debater]
"""One debater for every seat (self-play), or one per seat name."""


def choose_shown(
    question: Question, n_answers: int, rng: random.Random, swap: bool | None
) -> list[int]:
    """The correct answer plus random distractors, in random order unless ``swap`` is given.

    ``swap=False`` lists the correct answer first, ``swap=True`` reverses that order, so a
    position-swapped pair of debates differs only in answer order.
    """
    distractors = [i for i in range(len(question.options)) if i != question.correct_index]
    shown = [question.correct_index, *rng.sample(distractors, min(n_answers - 1, len(distractors)))]
    if swap is None:
        rng.shuffle(shown)
    elif swap:
        shown.reverse()
    return shown


def _debater_for(debaters: Debaters, seat: Seat) -> Debater:
    if isinstance(debaters, Mapping):
        if seat.name not in debaters:
            raise KeyError(f"no debater given for seat {seat.name!r}")
        return debaters[seat.name]
    return debaters


async def _speak(
    debater: Debater, view: DebaterView, index: int, round_index: int, policy: EvidencePolicy
) -> Turn:
    started_at, clock = time.time(), time.perf_counter()
    speech = await debater(view)
    context = view.setup.question.context
    return Turn(
        index=index,
        round=round_index,
        kind="judge_question" if view.seat.role == "judge" else "speech",
        speaker=view.seat.name,
        position=view.seat.position,
        text=speech.text,
        evidence=speech.evidence,
        data=speech.data,
        confidence=speech.confidence,
        quotes=find_quotes(speech.text, context, policy) if context else [],
        started_at=started_at,
        duration_s=time.perf_counter() - clock,
        usage=speech.usage,
        request=speech.request,
    )


async def _run_round(
    rnd: Round,
    round_index: int,
    n_rounds: int,
    base: dict[str, Any],
    setup: DebateSetup,
    debaters: Debaters,
    turns: list[Turn],
    policy: EvidencePolicy,
) -> None:
    def view(seat_name: str, visible: list[Turn]) -> DebaterView:
        return DebaterView(
            **base,
            setup=setup,
            seat=setup.seat(seat_name),
            round=round_index,
            rounds=n_rounds,
            label=rnd.label,
            turns=list(visible),
            instruction=rnd.instruction,
        )

    if rnd.kind == "simultaneous":
        visible = list(turns)
        try:  # a TaskGroup cancels the other speakers if one fails
            async with asyncio.TaskGroup() as group:
                tasks = [
                    group.create_task(
                        _speak(
                            _debater_for(debaters, setup.seat(name)),
                            view(name, visible),
                            len(turns) + i,
                            round_index,
                            policy,
                        )
                    )
                    for i, name in enumerate(rnd.speakers)
                ]
        except ExceptionGroup as group_error:
            raise group_error.exceptions[0] from None
        spoken = [task.result() for task in tasks]
        turns.extend(spoken)
    else:
        for name in rnd.speakers:
            seat_view = view(name, turns)
            turns.append(
                await _speak(
                    _debater_for(debaters, seat_view.seat),
                    seat_view,
                    len(turns),
                    round_index,
                    policy,
                )
            )


async def run_debate(
    question: Question,
    protocol: Protocol,
    debaters: Debaters,
    judge: Judge,
    *,
    seed: int = 0,
    debate_id: str | None = None,
    swap: bool | None = None,
    cell: Mapping[str, Any] | None = None,
    raise_errors: bool = False,
    evidence: EvidencePolicy | None = None,
) -> Transcript:
    """Run one debate and return its whole transcript.

    An exception from a debater or the judge is recorded in ``transcript.error`` (the debate
    counts as wrong) unless ``raise_errors`` is set. Quotes of the hidden passage are checked
    under ``evidence`` (default: normalised exact match).
    """
    policy = evidence or EvidencePolicy()
    debate_id = debate_id or f"{question.id}-{protocol.name}-{seed}"
    rng = random.Random(derive_seed(seed, "setup"))
    shown = choose_shown(question, protocol.n_answers, rng, swap)
    setup = DebateSetup(
        question=question, shown=shown, seats=protocol.seats(question, shown, rng), seed=seed
    )
    seat_debaters = {s.name: _debater_for(debaters, s) for s in setup.seats} if setup.seats else {}
    turns: list[Turn] = []
    verdict: Verdict | None = None
    error: str | None = None
    started_at = time.time()
    try:
        schedule = protocol.schedule()
        base = {"debate_id": debate_id, "protocol": protocol.name}
        for round_index, rnd in enumerate(schedule):
            await _run_round(rnd, round_index, len(schedule), base, setup, debaters, turns, policy)
        verdict = await judge(
            JudgeView(
                debate_id=debate_id,
                protocol=protocol.name,
                question=question.text,
                answers=[question.options[i] for i in shown],
                turns=turns,
                seed=seed,
                question_id=question.id,
                public_data=question.public_data,
                protocol_settings=protocol.settings(),
            )
        )
        if len(verdict.probabilities) != len(shown):
            raise ValueError(
                f"judge gave {len(verdict.probabilities)} probabilities for {len(shown)} answers"
            )
    except Exception as exc:
        if raise_errors:
            raise
        error = f"{type(exc).__name__}: {exc}"
    return _transcript(
        debate_id, protocol, setup, seat_debaters, judge, turns, verdict, error, started_at, cell
    )


def _transcript(
    debate_id: str,
    protocol: Protocol,
    setup: DebateSetup,
    seat_debaters: Mapping[str, Debater],
    judge: Judge,
    turns: list[Turn],
    verdict: Verdict | None,
    error: str | None,
    started_at: float,
    cell: Mapping[str, Any] | None,
) -> Transcript:
    correct_pos = setup.correct_position
    ok = error is None and verdict is not None
    usage = sum((t.usage for t in turns), Usage()) + (verdict.usage if verdict else Usage())
    return Transcript(
        debate_id=debate_id,
        cell=dict(cell or {}),
        protocol=protocol.name,
        protocol_settings=protocol.settings(),
        setup=setup,
        debaters={name: d.describe() for name, d in seat_debaters.items()},
        judge=judge.describe(),
        turns=turns,
        verdict=verdict if ok else None,
        correct=bool(ok and verdict is not None and verdict.decision == correct_pos),
        p_correct=verdict.probabilities[correct_pos] if ok and verdict else None,
        error=error,
        started_at=started_at,
        finished_at=time.time(),
        usage=usage,
    )


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
    cell: Mapping[str, Any] = field(default_factory=dict)
    evidence: EvidencePolicy | None = None


async def run_many(
    jobs: Iterable[DebateJob],
    *,
    store: TranscriptSink | None = None,
    concurrency: int = 16,
    progress: ProgressReporter | None = None,
) -> list[Transcript]:
    """Run jobs concurrently; append each finished transcript to ``store`` at once.

    Jobs whose id the store already holds are skipped (resume). Returns the transcripts
    produced by this call, in job order.
    """
    if concurrency < 1:
        raise ValueError("concurrency must be at least 1")
    all_jobs = list(jobs)
    ids = [job.debate_id for job in all_jobs]
    if len(set(ids)) != len(ids):
        raise ValueError("debate ids in a batch must be unique")
    done = store.ids() if store is not None else set()
    pending: Sequence[DebateJob] = [job for job in all_jobs if job.debate_id not in done]
    progress = progress or NullProgress()
    progress.start(total=len(all_jobs), skipped=len(all_jobs) - len(pending))
    results: dict[str, Transcript] = {}
    queue = iter(pending)

    async def worker() -> None:
        for job in queue:
            transcript = await run_debate(
                job.question,
                job.protocol,
                job.debaters,
                job.judge,
                seed=job.seed,
                debate_id=job.debate_id,
                swap=job.swap,
                cell=job.cell,
                evidence=job.evidence,
            )
            if store is not None:
                store.append(transcript)
            results[job.debate_id] = transcript
            progress.advance(transcript)

    try:
        async with asyncio.TaskGroup() as group:
            for _ in range(min(concurrency, len(pending))):
                group.create_task(worker())
    finally:
        progress.finish()
    return [results[job.debate_id] for job in pending]
