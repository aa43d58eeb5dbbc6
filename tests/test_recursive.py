"""Rules of recursive debate over tree-sum claims, played through the engine."""

from __future__ import annotations

import asyncio
import random

import pytest

from debate import Transcript, run_debate
from debate.domains.treesum import Tree, TreeSumDebater, disputed, treesum_questions
from debate.errors import ConfigError
from debate.moves import Challenge, Decomposition
from debate.protocol import Protocol, build_protocol
from debate.types import JudgeView, Question, Seat, Speech
from evals.metrics import wilson_interval
from judges import PositionBias, RandomError, SystematicError
from judges.errors import ErrorModel
from judges.treesum import TreeSumJudge
from protocols import NaiveJudge, RecursiveConsultancy, RecursiveDebate, RecursiveEveryLevel


def play(
    protocol: Protocol,
    judge: TreeSumJudge,
    debater: TreeSumDebater,
    n: int,
    depth: int,
    branching: int = 2,
    seed: int = 0,
) -> list[Transcript]:
    questions = treesum_questions(n, seed, branching, depth)

    async def run_all() -> list[Transcript]:
        return [
            await run_debate(q, protocol, debater, judge, seed=i, raise_errors=True)
            for i, q in enumerate(questions)
        ]

    return asyncio.run(run_all())


def claimant_honest(t: Transcript) -> bool:
    claimant = t.setup.seat("claimant").position
    return t.setup.shown[claimant] == t.setup.question.correct_index


def assert_matches(transcripts: list[Transcript], theory: float) -> None:
    k, n = sum(t.correct for t in transcripts), len(transcripts)
    low, high = wilson_interval(k, n)
    assert low <= theory <= high, f"accuracy {k / n:.3f} [{low:.3f}, {high:.3f}] vs {theory:.3f}"


@pytest.mark.parametrize("protocol", [RecursiveDebate(depth=4), RecursiveEveryLevel(depth=4)])
def test_perfect_judge_catches_every_liar_at_a_false_leaf(protocol: Protocol) -> None:
    transcripts = play(protocol, TreeSumJudge(), TreeSumDebater(), n=60, depth=4)
    liars = [t for t in transcripts if not claimant_honest(t)]
    assert 15 < len(liars) < 45
    for t in transcripts:
        assert t.correct, t.debate_id
    for t in liars:
        question, claimant = t.setup.question, t.setup.seat("claimant").position
        lo, hi, value = disputed(question, t.turns, int(t.setup.answer_text(claimant)))
        assert hi - lo == 1
        assert value != Tree(question).block_sum(lo, hi), "the liar is caught at a false leaf"
        assert t.verdict is not None and t.verdict.decision == 1 - claimant


@pytest.mark.parametrize(
    ("protocol", "debater"),
    [
        (RecursiveDebate(depth=5), TreeSumDebater()),
        (RecursiveDebate(depth=5), TreeSumDebater(search=0)),
        (RecursiveDebate(depth=5), TreeSumDebater(blind_spots=[SystematicError(rate=0.3)])),
        (RecursiveConsultancy(depth=5), TreeSumDebater()),
    ],
    ids=["full-search", "no-search", "aware-liar-challenger", "judge-challenges"],
)
def test_an_honest_claim_always_survives_a_perfect_judge(
    protocol: Protocol, debater: TreeSumDebater
) -> None:
    honest = [
        t for t in play(protocol, TreeSumJudge(), debater, n=60, depth=5) if claimant_honest(t)
    ]
    assert len(honest) > 15
    assert all(t.correct for t in honest)


def test_decompositions_are_consistent_and_the_game_ends_on_one_leaf() -> None:
    for t in play(
        RecursiveDebate(depth=3, branching=3),
        TreeSumJudge(),
        TreeSumDebater(),
        n=20,
        depth=3,
        branching=3,
    ):
        assert [turn.speaker for turn in t.turns] == ["claimant", "challenger"] * 3
        claimant = t.setup.seat("claimant").position
        value = int(t.setup.answer_text(claimant))
        for index in range(0, 6, 2):
            claims = t.turns[index].expect_move(Decomposition).claims
            assert len(claims) == 3 and sum(claims) == value
            value = claims[t.turns[index + 1].expect_move(Challenge).index]


def test_protocol_refuses_a_question_of_another_depth() -> None:
    question = treesum_questions(1, 0, branching=2, depth=3)[0]
    with pytest.raises(ConfigError, match="depth=4"):
        asyncio.run(
            run_debate(
                question,
                RecursiveDebate(depth=4),
                TreeSumDebater(),
                TreeSumJudge(),
                raise_errors=True,
            )
        )


def test_every_level_judging_compounds_error_with_depth() -> None:
    eps, depth = 0.15, 3
    transcripts = play(
        RecursiveEveryLevel(depth=depth),
        TreeSumJudge([RandomError(epsilon=eps)]),
        TreeSumDebater(),
        n=800,
        depth=depth,
        seed=11,
    )
    assert_matches(transcripts, (1 - eps) ** (depth + 1))


def test_leaf_only_judging_keeps_accuracy_one_minus_epsilon() -> None:
    transcripts = play(
        RecursiveDebate(depth=6),
        TreeSumJudge([RandomError(epsilon=0.2)]),
        TreeSumDebater(),
        n=800,
        depth=6,
        seed=12,
    )
    assert_matches(transcripts, 0.8)


def test_a_liar_hides_its_flaw_from_a_limited_search() -> None:
    """Obfuscated arguments: with 1 check among 4 sub-claims the flaw is found w.p. 1/2 a level."""
    depth, p = 3, 0.5
    transcripts = play(
        RecursiveDebate(depth=depth, branching=4),
        TreeSumJudge(),
        TreeSumDebater(search=1),
        n=800,
        depth=depth,
        branching=4,
        seed=13,
    )
    assert_matches(transcripts, 0.5 + 0.5 * p**depth)


def test_aware_debaters_exploit_systematic_blind_spots_with_depth() -> None:
    rate, depth = 0.05, 4
    blind = SystematicError(rate=rate)
    transcripts = play(
        RecursiveDebate(depth=depth),
        TreeSumJudge([blind]),
        TreeSumDebater(blind_spots=[blind]),
        n=800,
        depth=depth,
        seed=14,
    )
    assert_matches(transcripts, (1 - rate) ** (2**depth))


# --- the naive judge (no debate): distinct leaves, ties ---------------------------------------


@pytest.mark.parametrize(("depth", "extra"), [(1, 0), (2, 0), (3, 0), (1, 1), (2, 5)])
def test_a_naive_budget_of_every_leaf_reads_the_whole_program(depth: int, extra: int) -> None:
    """Budget >= N reads N distinct leaves, so the estimate is the total: never wrong without
    errors. (Sampling with replacement read both leaves of a depth-1 tree only half the time:
    accuracy 0.744 at budget 2.)"""
    budget = 2**depth + extra
    transcripts = play(NaiveJudge(), TreeSumJudge(budget=budget), TreeSumDebater(), 100, depth)
    assert all(t.correct and not t.tie for t in transcripts)


def halfway_question() -> Question:
    """Two leaves worth 3 each (total 6), shown answers 5 and 7: any estimate is 6, halfway.
    (Neither answer is the total; the judge never sees which one is marked correct.)"""
    return Question(
        id="halfway",
        text="What is the sum?",
        options=["5", "7"],
        correct_index=0,
        public_data={"branching": 2, "depth": 1, "leaves": [["add", 1, 2], ["add", 2, 1]]},
    )


@pytest.mark.parametrize(
    "errors",
    [[], [RandomError(epsilon=1.0)], [SystematicError(rate=1.0)], [PositionBias(strength=1.0)]],
    ids=["none", "random", "systematic", "position"],
)
@pytest.mark.parametrize("budget", [1, 2])
def test_a_naive_estimate_halfway_is_a_fifty_fifty_tie(
    errors: list[ErrorModel], budget: int
) -> None:
    """The judge says 50/50, no error model can break it, and it scores 1/2 (``Verdict.score``):
    the simulator's expectation of a fair pick, which it scores the same way."""
    for seed in range(6):
        t = asyncio.run(
            run_debate(
                halfway_question(),
                NaiveJudge(),
                TreeSumDebater(),
                TreeSumJudge(errors, budget=budget),
                seed=seed,
                raise_errors=True,
            )
        )
        assert t.verdict is not None and t.verdict.probabilities == [0.5, 0.5]
        assert t.tie and t.score == 0.5 and not t.correct


def test_in_consultancy_the_judge_challenges_in_its_own_rounds_and_holds_no_seat() -> None:
    """One way for a judge to speak: its challenges are judge_question turns from its ``ask``
    (speaker "judge", no answer position), in rounds of their own between the claimant's."""
    for t in play(RecursiveConsultancy(depth=3), TreeSumJudge(), TreeSumDebater(), n=10, depth=3):
        assert [s.name for s in t.setup.seats] == ["claimant"]
        assert [(x.kind, x.speaker) for x in t.turns] == [
            ("speech", "claimant"),
            ("judge_question", "judge"),
        ] * 3
        assert all(x.position is None for x in t.turns[1::2])
        lo, hi, _ = disputed(t.setup.question, t.turns, int(t.setup.answer_text(0)))
        assert hi - lo == 1


def test_an_old_consultancy_transcript_is_judged_as_it_was() -> None:
    """Transcripts written when a debater played the judge's challenges from a seat (role
    "judge", speaker "challenger") still load and get the verdict the new ones get."""
    judge = TreeSumJudge([RandomError(epsilon=0.3)])
    for t in play(RecursiveConsultancy(depth=3), judge, TreeSumDebater(), n=20, depth=3):
        claimant = t.setup.seat("claimant")
        old_seat = Seat(name="challenger", position=1 - claimant.position, role="judge")
        old_turns = [
            x.model_copy(update={"speaker": "challenger", "position": old_seat.position})
            if x.kind == "judge_question"
            else x
            for x in t.turns
        ]
        old = t.model_copy(
            update={
                "setup": t.setup.model_copy(update={"seats": [claimant, old_seat]}),
                "turns": old_turns,
            }
        )
        loaded = Transcript.model_validate_json(old.model_dump_json())
        view = JudgeView(
            debate_id=loaded.debate_id,
            protocol=loaded.protocol,
            question=loaded.setup.question.text,
            answers=[loaded.setup.answer_text(p) for p in range(2)],
            turns=loaded.turns,
            seed=loaded.setup.seed,
            question_id=loaded.setup.question.id,
            public_data=loaded.setup.question.public_data,
            protocol_settings=loaded.protocol_settings,
        )
        assert asyncio.run(judge(view)) == t.verdict


class _TextJudge(TreeSumJudge):
    """A judge whose question carries no challenge (as a model judge's would not)."""

    async def ask(self, view: JudgeView) -> Speech:
        return Speech(text="Which half is wrong?")


def test_a_judge_turn_without_a_challenge_fails_the_debate_naming_it() -> None:
    question = treesum_questions(1, 0, branching=2, depth=2)[0]
    t = asyncio.run(
        run_debate(question, RecursiveConsultancy(depth=2), TreeSumDebater(), _TextJudge())
    )
    assert t.error is not None and "turn 1 by judge carries no challenge" in t.error


class _SeatedJudge(RecursiveDebate):
    name = "seated-judge"

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return [
            Seat(name="claimant", position=0),
            Seat(name="challenger", position=1, role="judge"),
        ]


def test_a_protocol_that_seats_the_judge_is_refused() -> None:
    question = treesum_questions(1, 0, branching=2, depth=2)[0]
    with pytest.raises(ConfigError, match="a judge speaks only in judge_question rounds"):
        asyncio.run(run_debate(question, _SeatedJudge(depth=2), TreeSumDebater(), TreeSumJudge()))


def test_recursive_protocols_are_two_sided() -> None:
    for name in ("recursive", "recursive-every-level", "recursive-consultancy", "pixel-debate"):
        with pytest.raises(
            ConfigError, match=f"protocol {name!r} is two-sided: it shows 2 answers"
        ):
            build_protocol(name, {"answers": 3})
