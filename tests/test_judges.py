"""Tests for judges: probability parsing, error models, the simulated judge, and the
evidence domain the simulated judge is built for."""

from __future__ import annotations

import random

import pytest

from debate.domains.evidence import (
    EvidenceDebater,
    EvidenceSettings,
    Fact,
    evidence_questions,
    evidence_scores,
    facts_of,
)
from debate.engine import run_debate
from debate.protocol import build_protocol
from debate.types import JudgeView, Question, Turn
from judges import (
    Decision,
    Persuasion,
    PositionBias,
    RandomError,
    SimulatedJudge,
    SystematicError,
    parse_probabilities,
)

# --- helpers -----------------------------------------------------------------------------


def turn(index: int, position: int | None, text: str, speaker: str | None = None) -> Turn:
    if speaker is None:
        speaker = "judge" if position is None else f"debater_{'AB'[position]}"
    return Turn(
        index=index,
        round=index // 2,
        speaker=speaker,
        position=position,
        text=text,
        started_at=0.0,
        duration_s=0.0,
    )


def judge_view(
    turns: list[Turn] | None = None, *, n_answers: int = 2, seed: int = 0, debate_id: str = "d"
) -> JudgeView:
    return JudgeView(
        debate_id=debate_id,
        protocol="debate-sequential",
        question="Who took the ledger?",
        answers=[f"suspect {i}" for i in range(n_answers)],
        turns=turns or [],
        seed=seed,
    )


# --- parse_probabilities -----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "Probabilities: A=0.7, B=0.3",
        "probabilities: A: 70%, B: 30%",
        "Probabilities: A=70, B=30",
        "PROBABILITIES: a = 0.7 ; b = 0.3.",
        "Some reasoning first.\nProbabilities: (A)=0.7, (B)=0.3\n",
    ],
)
def test_parse_probabilities_accepts_common_forms(text: str) -> None:
    assert parse_probabilities(text, 2) == pytest.approx([0.7, 0.3])


def test_parse_probabilities_uses_the_last_line() -> None:
    text = (
        "Probabilities: A=0.9, B=0.1\n"
        "On reflection, debater B was more convincing.\n"
        "Probabilities: A=0.2, B=0.8"
    )
    assert parse_probabilities(text, 2) == pytest.approx([0.2, 0.8])


def test_parse_probabilities_last_line_invalid_is_a_failure_even_if_earlier_valid() -> None:
    text = "Probabilities: A=0.9, B=0.1\nProbabilities: A=high, B=low"
    assert parse_probabilities(text, 2) is None


@pytest.mark.parametrize(
    ("text", "n_answers"),
    [
        ("I think A is right.", 2),  # no Probabilities line
        ("", 2),
        ("Probabilities: A=1.0", 2),  # missing letter
        ("Probabilities: A=0.5, C=0.5", 2),  # wrong letter
        ("Probabilities: A=0.5, B=0.3, C=0.2", 2),  # extra letter
        ("Probabilities: A=0.5, A=0.5", 2),  # duplicate letter
        ("Probabilities: A=0.9, B=0.5", 2),  # sum far above 1
        ("Probabilities: A=0.6, B=0.3", 2),  # sum far below 1
        ("Probabilities: A=-0.2, B=1.2", 2),  # negative
        ("Probabilities: A=high, B=low", 2),  # garbage
        ("Probabilities: A=0.7 B=0.3", 2),  # no separator
        ("Probabilities: A=150, B=-50", 2),
        ("Probabilities: A=0.5, B=0.5", 3),  # missing C
        ("Probabilities:", 2),
    ],
)
def test_parse_probabilities_rejects_invalid(text: str, n_answers: int) -> None:
    assert parse_probabilities(text, n_answers) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Probabilities: A=0.33, B=0.33, C=0.33", [1 / 3, 1 / 3, 1 / 3]),
        ("Probabilities: A=0.66, B=0.33, C=0.0", [0.66 / 0.99, 0.33 / 0.99, 0.0]),
        ("Probabilities: A=33%, B=33%, C=33%", [1 / 3, 1 / 3, 1 / 3]),
        ("Probabilities: A=0.505, B=0.505", [0.5, 0.5]),
    ],
)
def test_parse_probabilities_normalises_rounding(text: str, expected: list[float]) -> None:
    probs = parse_probabilities(text, len(expected))
    assert probs is not None
    assert probs == pytest.approx(expected)
    assert sum(probs) == pytest.approx(1.0, abs=1e-12)


# --- Decision and error models -----------------------------------------------------------


@pytest.mark.parametrize("choice", [0, 1, 2])
def test_decision_commit_gives_choice_the_most_and_keeps_the_sum(choice: int) -> None:
    decision = Decision(probabilities=[0.2, 0.5, 0.3], choice=1)
    committed = decision.commit(choice)
    assert committed.choice == choice
    assert committed.probabilities[choice] == max(committed.probabilities) == 0.5
    assert sum(committed.probabilities) == pytest.approx(1.0)
    assert sorted(committed.probabilities) == sorted(decision.probabilities)


def rate(applied: list[Decision], original: int) -> float:
    return sum(d.choice != original for d in applied) / len(applied)


N = 4000


def test_random_error_flips_at_epsilon() -> None:
    rng = random.Random(1234)
    error = RandomError(epsilon=0.2)
    view = judge_view()
    start = Decision(probabilities=[0.8, 0.2], choice=0)
    applied = [error.apply(start, view, rng) for _ in range(N)]
    assert abs(rate(applied, 0) - 0.2) <= 0.03
    for d in applied:  # a flip also moves the probability mass
        assert d.probabilities[d.choice] == max(d.probabilities)


def test_random_error_flips_to_every_other_answer() -> None:
    rng = random.Random(5)
    view = judge_view(n_answers=3)
    start = Decision(probabilities=[0.6, 0.3, 0.1], choice=0)
    applied = [RandomError(epsilon=1.0).apply(start, view, rng) for _ in range(300)]
    assert {d.choice for d in applied} == {1, 2}


def test_random_error_zero_never_flips() -> None:
    rng = random.Random(0)
    start = Decision(probabilities=[0.8, 0.2], choice=0)
    assert all(
        RandomError(epsilon=0.0).apply(start, judge_view(), rng) == start for _ in range(500)
    )


def test_position_bias_moves_second_to_first_at_strength() -> None:
    rng = random.Random(99)
    bias = PositionBias(strength=0.3)
    view = judge_view()
    start = Decision(probabilities=[0.1, 0.9], choice=1)
    applied = [bias.apply(start, view, rng) for _ in range(N)]
    assert {d.choice for d in applied} == {0, 1}
    assert abs(sum(d.choice == 0 for d in applied) / N - 0.3) <= 0.03


def test_position_bias_never_moves_a_decision_already_at_the_favoured_position() -> None:
    rng = random.Random(3)
    start = Decision(probabilities=[0.9, 0.1], choice=0)
    assert all(
        PositionBias(strength=0.5).apply(start, judge_view(), rng).choice == 0 for _ in range(500)
    )


def test_position_bias_toward_last_uses_the_last_answer() -> None:
    rng = random.Random(7)
    bias = PositionBias(strength=0.3, toward="last")
    view = judge_view(n_answers=3)
    start = Decision(probabilities=[0.7, 0.2, 0.1], choice=0)
    applied = [bias.apply(start, view, rng) for _ in range(N)]
    assert {d.choice for d in applied} == {0, 2}
    assert abs(sum(d.choice == 2 for d in applied) / N - 0.3) <= 0.03


def test_persuasion_sides_with_last_speaker_at_strength() -> None:
    rng = random.Random(2024)
    bias = Persuasion(strength=0.4, toward="last")
    turns = [
        turn(0, 1, "B opens"),
        turn(1, 0, "A replies"),
        turn(2, 1, "B closes"),
        turn(3, None, "a judge question"),  # not a speech: must be ignored
    ]
    view = judge_view(turns)
    start = Decision(probabilities=[0.75, 0.25], choice=0)
    applied = [bias.apply(start, view, rng) for _ in range(N)]
    assert abs(sum(d.choice == 1 for d in applied) / N - 0.4) <= 0.03


@pytest.mark.parametrize(
    "turns", [[], [turn(0, None, "a question from the judge", speaker="judge")]]
)
def test_persuasion_does_nothing_without_speeches(turns: list[Turn]) -> None:
    rng = random.Random(0)
    start = Decision(probabilities=[0.75, 0.25], choice=0)
    bias = Persuasion(strength=1.0)
    assert all(bias.apply(start, judge_view(turns), rng) == start for _ in range(200))


def test_persuasion_toward_confident_sides_with_the_most_confident_speaker() -> None:
    rng = random.Random(5)
    turns = [turn(0, 0, "A, sure"), turn(1, 1, "B, unsure")]
    turns = [
        turns[0].model_copy(update={"confidence": 0.95}),
        turns[1].model_copy(update={"confidence": 0.6}),
    ]
    bias = Persuasion(strength=0.5, toward="confident")
    start = Decision(probabilities=[0.2, 0.8], choice=1)
    applied = [bias.apply(start, judge_view(turns), rng) for _ in range(N)]
    assert abs(sum(d.choice == 0 for d in applied) / N - 0.5) <= 0.03
    tied = [t.model_copy(update={"confidence": 0.9}) for t in turns]
    assert all(bias.apply(start, judge_view(tied), rng) == start for _ in range(200))


def test_judge_questions_are_not_persuasive() -> None:
    rng = random.Random(0)
    turns = [
        turn(0, 0, "A speaks"),
        turn(1, 1, "a challenge").model_copy(update={"kind": "judge_question"}),
    ]
    bias = Persuasion(strength=1.0)
    start = Decision(probabilities=[0.2, 0.8], choice=1)
    assert bias.apply(start, judge_view(turns), rng).choice == 0


def test_systematic_error_is_fixed_per_target_and_hits_its_rate() -> None:
    model = SystematicError(rate=0.25)
    view = judge_view()
    blind = [model.is_blind("q1", f"leaf:{i}", "add") for i in range(N)]
    assert abs(sum(blind) / N - 0.25) <= 0.03
    assert blind == [model.is_blind("q1", f"leaf:{i}", "add") for i in range(N)]
    rng = random.Random(1)
    start = Decision(probabilities=[0.9, 0.1], choice=0, target="leaf:3", kind="add")
    outcomes = {model.apply(start, view, rng).choice for _ in range(50)}
    assert len(outcomes) == 1, "repeating a check never changes a systematic error"
    level = start.model_copy(update={"target": "level:0", "kind": "level"})
    assert SystematicError(rate=1.0).apply(level, view, rng) == level
    by_kind = SystematicError(on="kinds", kinds=["mul"])
    assert by_kind.is_blind("q", "leaf:0", "mul") and not by_kind.is_blind("q", "leaf:0", "add")


# --- SimulatedJudge ----------------------------------------------------------------------


async def test_simulated_judge_without_turns_picks_each_answer_about_half() -> None:
    judge = SimulatedJudge()
    n = 1000
    firsts = 0
    for seed in range(n):
        verdict = await judge(judge_view(seed=seed))
        assert verdict.probabilities == pytest.approx([0.5, 0.5])
        assert verdict.decision in (0, 1)
        firsts += verdict.decision == 0
    assert 0.45 <= firsts / n <= 0.55


async def test_simulated_judge_prefers_side_with_more_unrefuted_citations() -> None:
    turns = [
        turn(0, 0, "[F1] a log places them in the archive"),
        turn(1, 1, "[F2] a note says otherwise"),
        turn(2, 0, "[F3] another log, and [F4] a witness"),
        turn(3, 1, "I rest my case."),
    ]
    judge = SimulatedJudge()
    for seed in range(50):
        verdict = await judge(judge_view(turns, seed=seed))
        assert verdict.decision == 0
        assert verdict.probabilities[0] > verdict.probabilities[1]
    assert evidence_scores(judge_view(turns)) == [3.0, 1.0]


def citation_turns(refute: bool) -> list[Turn]:
    """A cites F1-F3; B cites F4 and F5, which (when ``refute``) discredit F1 and F2."""
    suffix = {4: " (refutes F1)", 5: " (refutes F2)"} if refute else {4: "", 5: ""}
    return [
        turn(0, 0, "[F1] log one"),
        turn(1, 1, f"[F4] the note is stale{suffix[4]}"),
        turn(2, 0, "[F2] log two"),
        turn(3, 1, f"[F5] the other note is stale{suffix[5]}"),
        turn(4, 0, "[F3] log three"),
    ]


async def test_refuted_citations_no_longer_count() -> None:
    assert evidence_scores(judge_view(citation_turns(refute=False))) == [3.0, 2.0]
    assert evidence_scores(judge_view(citation_turns(refute=True))) == [1.0, 2.0]
    judge = SimulatedJudge()
    for seed in range(20):
        plain = await judge(judge_view(citation_turns(refute=False), seed=seed))
        refuted = await judge(judge_view(citation_turns(refute=True), seed=seed))
        assert plain.decision == 0
        assert refuted.decision == 1


def test_repeating_one_citation_does_not_outscore_distinct_facts() -> None:
    view = judge_view([turn(0, 0, "[F1] [F1] [F1]"), turn(1, 1, "[F2] and [F3]")])
    assert evidence_scores(view) == [1.0, 2.0]


async def test_simulated_judge_is_deterministic_for_the_same_view() -> None:
    view = judge_view([turn(0, 0, "[F1] x"), turn(1, 1, "[F2] y")], seed=11, debate_id="tie")
    noisy = [RandomError(epsilon=0.5)]
    first = await SimulatedJudge(noisy)(view)
    for _ in range(5):
        assert await SimulatedJudge(noisy)(view) == first
    # different debates with the same content do not all get the same coin flip
    decisions = {
        (await SimulatedJudge(noisy)(view.model_copy(update={"debate_id": f"d{i}"}))).decision
        for i in range(40)
    }
    assert decisions == {0, 1}


async def test_simulated_judge_applies_its_error_models() -> None:
    view = judge_view([turn(0, 0, "[F1] x [F2] y"), turn(1, 1, "[F3] z")])
    always_wrong = SimulatedJudge([RandomError(epsilon=1.0)])
    for seed in range(30):
        verdict = await always_wrong(view.model_copy(update={"seed": seed}))
        assert verdict.decision == 1
        assert verdict.probabilities[1] > verdict.probabilities[0]
    assert always_wrong.describe().settings["errors"] == [{"kind": "random", "epsilon": 1.0}]


# --- evidence domain ---------------------------------------------------------------------


def test_evidence_questions_are_deterministic_and_well_formed() -> None:
    first = evidence_questions(5, seed=3)
    assert first == evidence_questions(5, seed=3)
    assert first != evidence_questions(5, seed=4)
    settings = EvidenceSettings()
    for q in first:
        facts = facts_of(q)
        assert q.context is not None
        for f in facts:
            assert f"[{f.id}] {f.text}" in q.context
        plain = [f for f in facts if f.refutes is None]
        assert sum(f.supports == q.correct_index for f in plain) == settings.supporting
        assert sum(f.supports != q.correct_index for f in plain) == settings.misleading


async def test_perfect_judge_with_sequential_debate_is_mostly_correct() -> None:
    protocol = build_protocol("debate-sequential", {"rounds": 3})
    judge, debater = SimulatedJudge(), EvidenceDebater()
    questions = evidence_questions(50, seed=17)
    transcripts = [
        await run_debate(q, protocol, debater, judge, seed=i, raise_errors=True)
        for i, q in enumerate(questions)
    ]
    accuracy = sum(t.correct for t in transcripts) / len(transcripts)
    assert accuracy > 0.8


async def test_naive_protocol_is_near_chance_on_evidence_questions() -> None:
    protocol = build_protocol("naive")
    judge, debater = SimulatedJudge(), EvidenceDebater()
    questions = evidence_questions(200, seed=23)
    transcripts = [
        await run_debate(q, protocol, debater, judge, seed=i, raise_errors=True)
        for i, q in enumerate(questions)
    ]
    # The naive judge sees no evidence: every verdict is a tie, scored 1/2 under the one rule.
    assert all(t.tie and not t.correct for t in transcripts)
    assert sum(t.score for t in transcripts) / len(transcripts) == 0.5


def handmade_question() -> Question:
    facts = [
        Fact(id="F1", text="A log places Alice in the vault at 3pm.", supports=0),
        Fact(id="F2", text="A note claims Bruno was seen near the archive.", supports=1),
        Fact(
            id="F3",
            text="The note in F2 was written a week before the theft.",
            supports=0,
            refutes="F2",
        ),
    ]
    return Question(
        id="handmade",
        text="Who took the ledger from the archive?",
        options=["Alice", "Bruno"],
        correct_index=0,
        context="\n".join(f"[{f.id}] {f.text}" for f in facts),
        metadata={"domain": "evidence", "facts": [f.model_dump() for f in facts]},
    )


async def test_honest_debater_refutes_the_liars_refutable_fact() -> None:
    # swap=True shows the wrong answer first, so the liar (debater_A) opens
    transcript = await run_debate(
        handmade_question(),
        build_protocol("debate-sequential", {"rounds": 1}),
        EvidenceDebater(),
        SimulatedJudge(),
        swap=True,
        raise_errors=True,
    )
    liar, honest = transcript.turns
    assert liar.position == 0 and transcript.setup.correct_position == 1
    assert liar.evidence == ["F2"]
    assert honest.evidence == ["F3"]
    assert "(refutes F2)" in honest.text
    assert transcript.correct is True
    assert transcript.verdict is not None
    assert transcript.verdict.raw == "scores=[0.0, 1.0]"


async def test_honest_debater_refutes_every_refutable_fact_when_answering_second() -> None:
    protocol = build_protocol("debate-sequential", {"rounds": 3})
    checked = 0
    for i, q in enumerate(evidence_questions(20, seed=5)):
        transcript = await run_debate(
            q, protocol, EvidenceDebater(), SimulatedJudge(), seed=i, swap=True
        )
        refuters = {f.refutes: f.id for f in facts_of(q) if f.refutes}
        honest_cited = {fid for t in transcript.turns if t.position == 1 for fid in t.evidence}
        for t in transcript.turns:
            if t.position != 0:
                continue
            for fid in t.evidence:
                if fid in refuters:
                    assert refuters[fid] in honest_cited
                    checked += 1
        assert transcript.correct is True
    assert checked > 10
