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

from debate.errors import ConfigError
from debate.progress import DebateObserver, NullObserver, NullProgress, ProgressReporter
from debate.protocol import JUDGE, Protocol, Round
from debate.roles import Debater, Judge, QuestioningJudge
from debate.seeds import derive_seed
from debate.types import (
    DebaterView,
    DebateSetup,
    JudgeView,
    Question,
    Said,
    Seat,
    Transcript,
    Turn,
    TurnKind,
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
    debater: Debater,
    view: DebaterView,
    index: int,
    round_index: int,
    policy: EvidencePolicy,
    observer: DebateObserver,
    kind: TurnKind = "speech",
) -> Turn:
    observer.turn_started(view.debate_id, view.seat)
    started_at, clock = time.time(), time.perf_counter()
    speech = await debater(view)
    context = view.setup.question.context
    turn = Turn(
        index=index,
        round=round_index,
        kind="judge_question" if view.seat.role == "judge" else kind,
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
    observer.turn_finished(view.debate_id, turn)
    return turn


async def _run_round(
    rnd: Round,
    round_index: int,
    n_rounds: int,
    base: dict[str, Any],
    setup: DebateSetup,
    debaters: Debaters,
    turns: list[Turn],
    policy: EvidencePolicy,
    observer: DebateObserver,
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
                            observer,
                            rnd.turn,
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
                    observer,
                    rnd.turn,
                )
            )


async def _ask_judge(
    judge: QuestioningJudge, view: JudgeView, round_index: int, observer: DebateObserver
) -> Turn:
    """A ``judge_question`` round: the judge's question, recorded as a turn of its own."""
    started_at, clock = time.time(), time.perf_counter()
    question = await judge.ask(view)
    turn = Turn(
        index=len(view.turns),
        round=round_index,
        kind="judge_question",
        speaker=JUDGE,
        position=None,
        text=str(question),
        started_at=started_at,
        duration_s=time.perf_counter() - clock,
        usage=question.usage if isinstance(question, Said) else Usage(),
        request=question.request if isinstance(question, Said) else None,
    )
    observer.turn_finished(view.debate_id, turn)
    return turn


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
    observer: DebateObserver | None = None,
) -> Transcript:
    """Run one debate and return its whole transcript.

    An exception from a debater or the judge is recorded in ``transcript.error`` (the debate
    counts as wrong) unless ``raise_errors`` is set. Quotes of the hidden passage are checked
    under ``evidence`` (default: normalised exact match). ``observer`` sees the debate as it
    runs (a live display), with only what the judge may see.
    """
    policy = evidence or EvidencePolicy()
    observer = observer or NullObserver()
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

    def judge_view() -> JudgeView:
        return JudgeView(
            debate_id=debate_id,
            protocol=protocol.name,
            question=question.text,
            answers=[question.options[i] for i in shown],
            turns=list(turns),
            seed=seed,
            question_id=question.id,
            public_data=question.public_data,
            protocol_settings=protocol.settings(),
        )

    try:
        schedule = protocol.schedule()
        base = {"debate_id": debate_id, "protocol": protocol.name}
        observer.debate_started(judge_view())
        asker = judge if isinstance(judge, QuestioningJudge) else None
        if protocol.needs_questioning_judge() and asker is None:
            raise ConfigError(
                f"protocol {protocol.name!r} needs a judge that asks questions; "
                f"{type(judge).__name__} cannot"
            )
        for round_index, rnd in enumerate(schedule):
            if rnd.asks_judge:
                assert asker is not None  # needs_questioning_judge() covers every such round
                turns.append(await _ask_judge(asker, judge_view(), round_index, observer))
                continue
            before = len(turns)
            await _run_round(
                rnd, round_index, len(schedule), base, setup, debaters, turns, policy, observer
            )
            for i in range(before, len(turns)):
                protocol.check_turn(setup, turns[:i], turns[i])
        verdict = await judge(judge_view())
        if len(verdict.probabilities) != len(shown):
            raise ValueError(
                f"judge gave {len(verdict.probabilities)} probabilities for {len(shown)} answers"
            )
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"
        if raise_errors:
            observer.debate_finished(debate_id, error)
            raise
    observer.debate_finished(debate_id, error)
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
    observer: DebateObserver | None = None,
    max_cost_usd: float | None = None,
) -> list[Transcript]:
    """Run jobs concurrently; append each finished transcript to ``store`` at once.

    Jobs whose id the store already holds are skipped (resume). Returns the transcripts
    produced by this call, in job order. ``observer`` watches every debate as it runs.
    Once the debates finished by this call have cost ``max_cost_usd``, no new debate starts
    (those in flight finish and are stored); the result is then shorter than the pending
    jobs, and a ``--resume`` later runs the rest.
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
    spent = 0.0

    async def worker() -> None:
        nonlocal spent
        for job in queue:
            if max_cost_usd is not None and spent >= max_cost_usd:
                return
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
                observer=observer,
            )
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
    return [results[job.debate_id] for job in pending if job.debate_id in results]
