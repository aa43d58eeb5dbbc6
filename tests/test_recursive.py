"""Rules of recursive debate over tree-sum claims, played through the engine."""

from __future__ import annotations

import asyncio

import pytest

from debate import Transcript, run_debate
from debate.domains.treesum import Tree, TreeSumDebater, disputed, treesum_questions
from debate.errors import ConfigError
from debate.protocol import Protocol
from evals.metrics import wilson_interval
from judges import RandomError, SystematicError
from judges.treesum import TreeSumJudge
from protocols import RecursiveConsultancy, RecursiveDebate, RecursiveEveryLevel


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
            claims = t.turns[index].data["claims"]
            assert len(claims) == 3 and sum(claims) == value
            value = claims[t.turns[index + 1].data["challenge"]]


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
