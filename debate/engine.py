"""Run one debate (``run_debate``; ``debate.batch.run_many`` runs many concurrently).

Flow: question -> shown answers and seats -> rounds (simultaneous speakers awaited together)
-> judge's view -> verdict -> one whole transcript. Failures are recorded in the transcript
(counted wrong), so a batch never loses or silently drops a debate.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Mapping, Sequence
from typing import Any, cast

from debate.errors import ConfigError, StopsRun
from debate.failures import RoleFailed, describe_error, role
from debate.moves import MoveError, Stance
from debate.positions import checked_shown, choose_shown
from debate.progress import DebateObserver, NullObserver
from debate.protocol import JUDGE, Protocol, Round
from debate.quotes import EvidencePolicy, find_quotes
from debate.roles import Debater, Judge, QuestioningJudge
from debate.seating import Debaters, debater_for
from debate.seeds import derive_seed
from debate.types import (
    DebaterView,
    DebateSetup,
    JudgeView,
    Question,
    Quote,
    Said,
    Seat,
    Speech,
    Transcript,
    Turn,
    TurnKind,
    Usage,
    Verdict,
)


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
    async with role(view.seat.name):
        speech = await debater(view)
        seat = _stated(view, speech) if view.seat.open else view.seat
    context = view.setup.question.context
    quotes = find_quotes(speech.text, context, policy) if context else []
    turn = _recorded(speech, index, round_index, kind, seat, quotes, started_at, clock)
    observer.turn_finished(view.debate_id, turn)
    return turn


def _stated(view: DebaterView, speech: Speech) -> Seat:
    """An open seat's turn is recorded at the answer its ``Stance`` states (the debater's
    fault, and one line naming it, if it states none or one that is not shown)."""
    stance = speech.move(Stance)
    shown = len(view.setup.shown)
    if stance is None or stance.position >= shown:
        what = "no stance" if stance is None else f"stance {stance.position}"
        ending = " ".join(speech.text.split())[-80:]
        raise MoveError(
            f"open seat {view.seat.name} gave {what}; it must state one of the {shown} "
            f"shown answers (a Stance move); its reply ended {ending!r}"
        )
    return view.seat.model_copy(update={"position": stance.position})


def _recorded(
    speech: Speech,
    index: int,
    round_index: int,
    kind: TurnKind,
    seat: Seat | None,
    quotes: list[Quote],
    started_at: float,
    clock: float,
) -> Turn:
    """The one way a spoken turn is recorded, a debater's or (``seat`` None) the judge's.
    Its parts are validated already (a ``Speech``, checked quotes): not validated again."""
    return Turn.model_construct(
        index=index,
        round=round_index,
        kind=kind,
        speaker=JUDGE if seat is None else seat.name,
        position=None if seat is None else seat.position,
        text=speech.text,
        evidence=speech.evidence,
        data=speech.data,
        confidence=speech.confidence,
        quotes=quotes,
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
    protocol: Protocol,
    setup: DebateSetup,
    debaters: Debaters,
    turns: list[Turn],
    policy: EvidencePolicy,
    observer: DebateObserver,
) -> DebateSetup:
    """Run one round of debaters; return the setup after it (``Protocol.bind`` may have
    bound open seats: a sequential round's later speakers already see them bound)."""

    def view(seat_name: str, visible: list[Turn]) -> DebaterView:
        # Built from values the engine already holds validated: not validated again.
        return DebaterView.model_construct(
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
                            debater_for(debaters, setup.seat(name), setup),
                            view(name, visible),
                            len(turns) + i,
                            round_index,
                            policy,
                            observer,
                            rnd.turn_kind,
                        )
                    )
                    for i, name in enumerate(rnd.speakers)
                ]
        except ExceptionGroup as group_error:
            raise group_error.exceptions[0] from None
        spoken = [task.result() for task in tasks]
        turns.extend(spoken)
        setup = protocol.bind(setup, turns)
        for i in range(len(turns) - len(spoken), len(turns)):
            protocol.check_turn(setup, turns[:i], turns[i])
        return setup
    for name in rnd.speakers:
        seat_view = view(name, turns)
        turns.append(
            await _speak(
                debater_for(debaters, seat_view.seat, setup),
                seat_view,
                len(turns),
                round_index,
                policy,
                observer,
                rnd.turn_kind,
            )
        )
        setup = protocol.bind(setup, turns)
        # Checked at once, so a later speaker never reads an illegal turn (and fails on it
        # in its own words instead of the rule's).
        protocol.check_turn(setup, turns[:-1], turns[-1])
    return setup


async def _ask_judge(
    judge: QuestioningJudge, view: JudgeView, rnd: Round, round_index: int, observer: DebateObserver
) -> Turn:
    """A ``judge_question`` round: the judge's question (text, or a speech carrying a move
    such as a challenge), recorded as a turn of its own."""
    started_at, clock = time.time(), time.perf_counter()
    async with role(JUDGE):
        said = await judge.ask(view)
    if not isinstance(said, Speech):
        usage, request = (said.usage, said.request) if isinstance(said, Said) else (Usage(), None)
        said = Speech(text=str(said), usage=usage, request=request)
    turn = _recorded(said, len(view.turns), round_index, rnd.turn_kind, None, [], started_at, clock)
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
    shown: Sequence[int] | None = None,
    cell: Mapping[str, Any] | None = None,
    raise_errors: bool = False,
    evidence: EvidencePolicy | None = None,
    observer: DebateObserver | None = None,
) -> Transcript:
    """Run one debate and return its whole transcript.

    An exception from a debater or the judge is recorded in ``transcript.error`` (the debate
    counts as wrong) unless ``raise_errors`` is set. Quotes of the hidden passage are checked
    under ``evidence`` (default: normalised exact match). ``observer`` sees the debate as it
    runs (a live display), with only what the judge may see. ``shown`` fixes the answer
    order (option indices); without it ``swap`` decides (see ``choose_shown``).
    """
    policy = evidence or EvidencePolicy()
    observer = observer or NullObserver()
    debate_id = debate_id or f"{question.id}-{protocol.name}-{seed}"
    rng = random.Random(derive_seed(seed, "setup"))
    if shown is None:
        shown = choose_shown(question, protocol.n_answers, rng, swap)
    else:
        shown = checked_shown(question, shown)
    setup = DebateSetup(
        question=question, shown=shown, seats=protocol.seats(question, shown, rng), seed=seed
    )
    if any(seat.role == "judge" for seat in setup.seats):
        raise ConfigError(
            f"protocol {protocol.name!r} seats the judge; a judge speaks only in judge_question "
            "rounds (its ask), never from a seat"
        )
    seat_debaters = {s.name: debater_for(debaters, s, setup) for s in setup.seats}
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
        schedule = protocol.cached_schedule()
        base = {"debate_id": debate_id, "protocol": protocol.name}
        observer.debate_started(judge_view())
        # A judge that can ask (``QuestioningJudge``), tested by its one extra method: the
        # runtime protocol check costs more than a short debate.
        asker = cast(QuestioningJudge, judge) if callable(getattr(judge, "ask", None)) else None
        if protocol.needs_questioning_judge() and asker is None:
            raise ConfigError(
                f"protocol {protocol.name!r} needs a judge that asks questions; "
                f"{type(judge).__name__} cannot"
            )
        for round_index, rnd in enumerate(schedule):
            if rnd.asks_judge:
                assert asker is not None  # needs_questioning_judge() covers every such round
                turns.append(await _ask_judge(asker, judge_view(), rnd, round_index, observer))
                protocol.check_turn(setup, turns[:-1], turns[-1])
            else:
                setup = await _run_round(
                    rnd,
                    round_index,
                    len(schedule),
                    base,
                    protocol,
                    setup,
                    debaters,
                    turns,
                    policy,
                    observer,
                )
        async with role(JUDGE):
            verdict = await judge(judge_view())
        if len(verdict.probabilities) != len(shown):
            raise ValueError(
                f"judge gave {len(verdict.probabilities)} probabilities for {len(shown)} answers"
            )
    except RoleFailed as failure:
        error = str(failure)
        if raise_errors or isinstance(failure.cause, StopsRun):
            observer.debate_finished(debate_id, error)
            # A run-stopping error (a rejected key) is not this debate's result: not recorded.
            failure.cause.add_note(error)  # the message naming the role, for the stop line
            raise failure.cause from None
    except Exception as exc:
        error = describe_error(exc)
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
        correct=bool(ok and verdict is not None and verdict.score(correct_pos) == 1.0),
        p_correct=verdict.probabilities[correct_pos] if ok and verdict else None,
        error=error,
        started_at=started_at,
        finished_at=time.time(),
        usage=usage,
    )
