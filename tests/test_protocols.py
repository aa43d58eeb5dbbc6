"""Tests for protocols as data and for the engine that runs them (``run_debate``)."""

from __future__ import annotations

import asyncio
import random
from typing import ClassVar

import pytest
from pydantic import Field

from debate.engine import choose_shown, run_debate
from debate.errors import ConfigError
from debate.protocol import (
    Protocol,
    Round,
    build_protocol,
    registered_protocols,
    resolve_protocol,
)
from debate.types import (
    AgentInfo,
    DebaterView,
    JudgeView,
    Question,
    Seat,
    Speech,
    Verdict,
)
from protocols import Consultancy, NaiveJudge, SequentialDebate, SimultaneousDebate

# --- helpers -----------------------------------------------------------------------------


def question(n_options: int = 2, correct_index: int = 0) -> Question:
    return Question(
        id="q1",
        text="Which door hides the prize?",
        options=[f"door {i}" for i in range(n_options)],
        correct_index=correct_index,
        context="The prize is behind door 0.",
    )


class RecordingDebater:
    """Records every view it is given and answers with a speech naming seat and round."""

    def __init__(self, name: str = "recorder") -> None:
        self.name = name
        self.views: list[DebaterView] = []

    async def __call__(self, view: DebaterView) -> Speech:
        self.views.append(view)
        await asyncio.sleep(0)  # let any other speaker of the round run in between
        return Speech(text=f"{view.seat.name} speaks in round {view.round}")

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="test", name=self.name)


class FailingDebater(RecordingDebater):
    """Speaks normally until ``fail_round``, then raises."""

    def __init__(self, fail_round: int) -> None:
        super().__init__("failing")
        self.fail_round = fail_round

    async def __call__(self, view: DebaterView) -> Speech:
        if view.round == self.fail_round:
            raise RuntimeError("boom in the debater")
        return await super().__call__(view)


class FixedJudge:
    """Returns the given probabilities for every debate and records the views."""

    def __init__(self, probabilities: list[float]) -> None:
        self.probabilities = probabilities
        self.views: list[JudgeView] = []

    async def __call__(self, view: JudgeView) -> Verdict:
        self.views.append(view)
        return Verdict(probabilities=self.probabilities)

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="test", name="fixed")


class MyProto(Protocol):
    """A user-defined protocol, resolved via ``module:Class`` (deliberately not registered)."""

    name: ClassVar[str] = "my-proto"

    speeches: int = Field(default=1, ge=1)

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return [Seat(name="solo", position=0)]

    def schedule(self) -> list[Round]:
        return [Round(kind="sequential", speakers=["solo"]) for _ in range(self.speeches)]


# --- built-in protocols: seats and schedules --------------------------------------------


def test_builtin_protocols_are_registered_by_name() -> None:
    known = registered_protocols()
    assert known["naive"] is NaiveJudge
    assert known["consultancy"] is Consultancy
    assert known["debate-sequential"] is SequentialDebate
    assert known["debate-simultaneous"] is SimultaneousDebate


def test_naive_has_no_seats_and_no_rounds() -> None:
    proto = build_protocol("naive")
    assert proto.seats(question(), [0, 1], random.Random(0)) == []
    assert proto.schedule() == []


async def test_naive_debate_calls_no_debater_and_records_no_turns() -> None:
    debater = FailingDebater(fail_round=0)
    judge = FixedJudge([0.6, 0.4])
    transcript = await run_debate(
        question(), build_protocol("naive"), debater, judge, swap=False, raise_errors=True
    )
    assert debater.views == []
    assert transcript.turns == []
    assert transcript.debaters == {}
    assert judge.views[0].turns == []
    assert transcript.correct is True


def test_consultancy_has_one_seat_and_sequential_rounds() -> None:
    proto = build_protocol("consultancy", {"rounds": 3, "assignment": "correct"})
    seats = proto.seats(question(), [0, 1], random.Random(0))
    assert [s.name for s in seats] == ["consultant"]
    schedule = proto.schedule()
    assert len(schedule) == 3
    assert all(r.kind == "sequential" and r.speakers == ["consultant"] for r in schedule)
    assert [r.label for r in schedule] == ["opening", "rebuttal", "closing"]


@pytest.mark.parametrize("shown", [[0, 1], [1, 0], [2, 0], [0, 3]])
def test_consultancy_assignment_correct_and_incorrect_are_honoured(shown: list[int]) -> None:
    q = question(n_options=4, correct_index=0)
    correct_position = shown.index(0)
    honest = Consultancy(assignment="correct")
    liar = Consultancy(assignment="incorrect")
    for seed in range(50):
        assert honest.seats(q, shown, random.Random(seed))[0].position == correct_position
        assert liar.seats(q, shown, random.Random(seed))[0].position != correct_position


def test_consultancy_random_assignment_is_correct_about_half_the_time() -> None:
    q = question(n_options=2, correct_index=1)
    proto = Consultancy(assignment="random")
    draws = 2000
    honest = sum(
        proto.seats(q, [1, 0], random.Random(seed))[0].position == 0 for seed in range(draws)
    )
    assert 0.45 <= honest / draws <= 0.55


async def test_consultancy_random_assignment_through_run_debate_varies_with_seed() -> None:
    proto = Consultancy(assignment="random", rounds=1)
    honest = 0
    n = 200
    for seed in range(n):
        transcript = await run_debate(
            question(), proto, RecordingDebater(), FixedJudge([0.5, 0.5]), seed=seed
        )
        seat = transcript.setup.seat("consultant")
        honest += seat.position == transcript.setup.correct_position
    assert 0.35 <= honest / n <= 0.65


@pytest.mark.parametrize("name", ["debate-sequential", "debate-simultaneous"])
def test_debate_protocols_seat_one_debater_per_shown_answer(name: str) -> None:
    proto = build_protocol(name, {"rounds": 3})
    seats = proto.seats(question(), [1, 0], random.Random(0))
    assert seats == [Seat(name="debater_A", position=0), Seat(name="debater_B", position=1)]
    schedule = proto.schedule()
    kind = "sequential" if name == "debate-sequential" else "simultaneous"
    assert [r.kind for r in schedule] == [kind] * 3
    assert all(r.speakers == ["debater_A", "debater_B"] for r in schedule)
    assert [r.label for r in schedule] == ["opening", "rebuttal", "closing"]


async def test_sequential_second_speaker_sees_first_speech_of_same_round() -> None:
    debater = RecordingDebater()
    transcript = await run_debate(
        question(), SequentialDebate(rounds=3), debater, FixedJudge([0.5, 0.5]), swap=False
    )
    assert transcript.error is None
    assert len(debater.views) == 6
    for k, view in enumerate(debater.views):
        # each speaker sees exactly the turns spoken before it, its own round included
        assert [t.index for t in view.turns] == list(range(k))
        assert view.round == k // 2
        assert view.rounds == 3
    second = debater.views[3]  # debater_B in round 1
    assert second.seat.name == "debater_B"
    assert second.turns[-1].speaker == "debater_A"
    assert second.turns[-1].round == 1


async def test_sequential_turn_indices_rounds_and_speakers() -> None:
    transcript = await run_debate(
        question(), SequentialDebate(rounds=3), RecordingDebater(), FixedJudge([0.5, 0.5])
    )
    turns = transcript.turns
    assert [t.index for t in turns] == [0, 1, 2, 3, 4, 5]
    assert [t.round for t in turns] == [0, 0, 1, 1, 2, 2]
    assert [t.speaker for t in turns] == ["debater_A", "debater_B"] * 3
    assert [t.position for t in turns] == [0, 1] * 3
    assert turns[4].text == "debater_A speaks in round 2"
    assert set(transcript.debaters) == {"debater_A", "debater_B"}


async def test_simultaneous_speakers_see_only_turns_before_the_round() -> None:
    debater = RecordingDebater()
    transcript = await run_debate(
        question(), SimultaneousDebate(rounds=3), debater, FixedJudge([0.5, 0.5])
    )
    assert transcript.error is None
    assert len(debater.views) == 6
    for view in debater.views:
        assert [t.index for t in view.turns] == list(range(2 * view.round))
        assert all(t.round < view.round for t in view.turns)
    by_round: dict[int, set[str]] = {}
    for view in debater.views:
        by_round.setdefault(view.round, set()).add(view.seat.name)
    assert by_round == {r: {"debater_A", "debater_B"} for r in range(3)}
    assert [t.index for t in transcript.turns] == [0, 1, 2, 3, 4, 5]
    assert [t.round for t in transcript.turns] == [0, 0, 1, 1, 2, 2]
    assert [t.speaker for t in transcript.turns] == ["debater_A", "debater_B"] * 3


async def test_simultaneous_speakers_of_a_round_run_concurrently() -> None:
    """Each speaker waits until both have started: a sequential engine would never finish."""
    started: dict[int, int] = {}
    both = {r: asyncio.Event() for r in range(2)}

    class Barrier(RecordingDebater):
        async def __call__(self, view: DebaterView) -> Speech:
            started[view.round] = started.get(view.round, 0) + 1
            if started[view.round] == 2:
                both[view.round].set()
            await both[view.round].wait()
            return await super().__call__(view)

    transcript = await asyncio.wait_for(
        run_debate(
            question(),
            SimultaneousDebate(rounds=2),
            Barrier(),
            FixedJudge([0.5, 0.5]),
            raise_errors=True,
        ),
        timeout=5,
    )
    assert len(transcript.turns) == 4


async def test_per_seat_debaters_each_get_their_own_seat() -> None:
    a, b = RecordingDebater("a"), RecordingDebater("b")
    transcript = await run_debate(
        question(), SequentialDebate(rounds=2), {"debater_A": a, "debater_B": b}, FixedJudge([1, 0])
    )
    assert {v.seat.name for v in a.views} == {"debater_A"}
    assert {v.seat.name for v in b.views} == {"debater_B"}
    assert transcript.debaters["debater_A"].name == "a"
    assert transcript.debaters["debater_B"].name == "b"


# --- building protocols from config ------------------------------------------------------


@pytest.mark.parametrize("name", ["consultancy", "debate-sequential", "debate-simultaneous"])
def test_zero_rounds_is_rejected_naming_the_field(name: str) -> None:
    with pytest.raises(ConfigError) as info:
        build_protocol(name, {"rounds": 0})
    message = str(info.value)
    assert "rounds" in message
    assert name in message


def test_unknown_setting_is_rejected() -> None:
    with pytest.raises(ConfigError, match="round"):
        build_protocol("naive", {"round": 2})


def test_unknown_protocol_lists_known_names() -> None:
    with pytest.raises(ConfigError) as info:
        build_protocol("debate-telepathic")
    message = str(info.value)
    assert "debate-telepathic" in message
    for known in ("consultancy", "debate-sequential", "debate-simultaneous", "naive"):
        assert known in message


def test_module_colon_class_resolves_a_user_protocol() -> None:
    target = f"{__name__}:MyProto"
    assert resolve_protocol(target) is MyProto
    proto = build_protocol(target, {"speeches": 3})
    assert isinstance(proto, MyProto)
    assert len(proto.schedule()) == 3
    with pytest.raises(ConfigError, match="speeches"):
        build_protocol(target, {"speeches": 0})


def test_module_colon_target_must_be_a_protocol() -> None:
    with pytest.raises(ConfigError, match="not a Protocol"):
        resolve_protocol(f"{__name__}:question")
    with pytest.raises(ConfigError, match="cannot import"):
        resolve_protocol(f"{__name__}:NoSuchProtocol")


async def test_user_protocol_runs_through_the_engine() -> None:
    debater = RecordingDebater()
    transcript = await run_debate(
        question(), MyProto(speeches=2), debater, FixedJudge([0.5, 0.5]), raise_errors=True
    )
    assert transcript.protocol == "my-proto"
    assert transcript.protocol_settings == {"speeches": 2}
    assert [t.speaker for t in transcript.turns] == ["solo", "solo"]
    assert [t.round for t in transcript.turns] == [0, 1]


# --- choose_shown ------------------------------------------------------------------------


def test_choose_shown_swap_false_puts_correct_first_and_true_last() -> None:
    q = question(n_options=2, correct_index=1)
    for seed in range(20):
        assert choose_shown(q, 2, random.Random(seed), swap=False) == [1, 0]
        assert choose_shown(q, 2, random.Random(seed), swap=True) == [0, 1]


def test_choose_shown_with_four_options_shows_two_including_correct() -> None:
    distractors_seen: set[int] = set()
    orders_seen: set[int] = set()
    for seed in range(200):
        # The distractor depends on the question (so a swapped pair shows the same one).
        q = question(n_options=4, correct_index=2).model_copy(update={"id": f"q{seed}"})
        for swap in (False, True, None):
            shown = choose_shown(q, 2, random.Random(seed), swap=swap)
            assert len(shown) == 2
            assert len(set(shown)) == 2
            assert 2 in shown
            assert all(0 <= i < 4 for i in shown)
            if swap is False:
                assert shown[0] == 2
            elif swap is True:
                assert shown[-1] == 2
            else:
                orders_seen.add(shown.index(2))
            distractors_seen.update(i for i in shown if i != 2)
    assert distractors_seen == {0, 1, 3}
    assert orders_seen == {0, 1}


def test_choose_shown_three_answers_swap_true_puts_correct_last() -> None:
    q = question(n_options=5, correct_index=3)
    for seed in range(30):
        shown = choose_shown(q, 3, random.Random(seed), swap=True)
        assert len(shown) == 3
        assert shown[-1] == 3


# --- run_debate outcome bookkeeping ------------------------------------------------------


@pytest.mark.parametrize(("swap", "correct", "p_correct"), [(False, True, 0.8), (True, False, 0.2)])
async def test_run_debate_records_verdict_correct_and_p_correct(
    swap: bool, correct: bool, p_correct: float
) -> None:
    judge = FixedJudge([0.8, 0.2])
    transcript = await run_debate(
        question(), SequentialDebate(rounds=1), RecordingDebater(), judge, swap=swap, seed=7
    )
    assert transcript.error is None
    assert transcript.verdict is not None
    assert transcript.verdict.probabilities == [0.8, 0.2]
    assert transcript.correct is correct
    assert transcript.p_correct == pytest.approx(p_correct)
    assert transcript.setup.seed == 7
    assert transcript.debate_id == "q1-debate-sequential-7"
    # the judge sees the answers in shown order and every turn
    view = judge.views[0]
    assert view.answers == [transcript.setup.answer_text(p) for p in range(2)]
    assert len(view.turns) == 2


async def test_debater_exception_is_recorded_and_counted_wrong() -> None:
    debater = FailingDebater(fail_round=1)
    judge = FixedJudge([1.0, 0.0])
    transcript = await run_debate(
        question(), SequentialDebate(rounds=2), debater, judge, swap=False
    )
    assert transcript.error is not None
    assert "RuntimeError" in transcript.error
    assert "boom in the debater" in transcript.error
    assert transcript.correct is False
    assert transcript.verdict is None
    assert transcript.p_correct is None
    assert judge.views == []  # the judge never ran
    assert [t.round for t in transcript.turns] == [0, 0]  # turns before the failure are kept


async def test_debater_exception_is_reraised_with_raise_errors() -> None:
    with pytest.raises(RuntimeError, match="boom in the debater"):
        await run_debate(
            question(),
            SequentialDebate(rounds=2),
            FailingDebater(fail_round=0),
            FixedJudge([1.0, 0.0]),
            raise_errors=True,
        )


async def test_judge_with_wrong_number_of_probabilities_is_an_error() -> None:
    transcript = await run_debate(
        question(), NaiveJudge(), RecordingDebater(), FixedJudge([0.5, 0.25, 0.25]), swap=False
    )
    assert transcript.error is not None
    assert "3 probabilities for 2 answers" in transcript.error
    assert transcript.correct is False


async def test_failing_simultaneous_speaker_cancels_the_other() -> None:
    """One speaker failing ends the round: the other is cancelled, not left running."""
    from debate.domains.evidence import evidence_questions
    from judges import SimulatedJudge

    cancelled: list[str] = []

    class Fails:
        def describe(self) -> AgentInfo:
            return AgentInfo(kind="test", name="fails")

        async def __call__(self, view: DebaterView) -> Speech:
            raise RuntimeError("boom")

    class Slow:
        def describe(self) -> AgentInfo:
            return AgentInfo(kind="test", name="slow")

        async def __call__(self, view: DebaterView) -> Speech:
            try:
                await asyncio.sleep(10)
            except asyncio.CancelledError:
                cancelled.append(view.seat.name)
                raise
            return Speech(text="late")

    question = evidence_questions(1, seed=0)[0]
    transcript = await run_debate(
        question,
        SimultaneousDebate(rounds=1),
        {"debater_A": Fails(), "debater_B": Slow()},
        SimulatedJudge(),
        seed=0,
    )
    assert transcript.error == "debater_A: RuntimeError: boom"
    assert cancelled == ["debater_B"]
