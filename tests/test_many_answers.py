"""N answers throughout: the number of shown answers is a protocol setting (two by default,
recorded only when it is not), and parsing, error models, prompts and simulated players all
handle any number of them; the shipped three-debater example runs end to end."""

from __future__ import annotations

import asyncio
import math
import random
from collections import Counter
from pathlib import Path

import pytest

from debate.debaters import ModelDebater
from debate.domains.evidence import EvidenceDebater, EvidenceSettings, evidence_questions
from debate.engine import run_debate
from debate.errors import ConfigError
from debate.models import FunctionBackend, Model, ModelConfig
from debate.prompts import DEBATER_SYSTEM, DEBATER_SYSTEM_NO_PASSAGE, count_fields, fill
from debate.protocol import build_protocol
from debate.types import DebaterView, JudgeView, Turn, letter
from evals.config import load_config
from evals.runner import run_eval
from judges import ModelJudge, SimulatedJudge
from judges.errors import (
    Decision,
    ErrorModel,
    Persuasion,
    PositionBias,
    RandomError,
    SystematicError,
)
from judges.parsing import parse_probabilities, probabilities_from_logprobs
from transcripts.store import load_transcripts

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "three-debaters.toml"


def view(n: int, turns: list[Turn] | None = None) -> JudgeView:
    return JudgeView(
        debate_id="d",
        protocol="debate-sequential",
        question="Who took the ledger?",
        answers=[f"suspect {i}" for i in range(n)],
        turns=turns or [],
        seed=0,
        question_id="q",
    )


def speech(index: int, position: int, confidence: float | None = None) -> Turn:
    return Turn(
        index=index,
        round=0,
        speaker=f"debater_{letter(position)}",
        position=position,
        text="...",
        confidence=confidence,
        started_at=0.0,
        duration_s=0.0,
    )


# --- parsing ---------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_stated_probabilities_parse_for_any_number_of_letters(n: int) -> None:
    values = [round(1 / n, 4) for _ in range(n - 1)]
    values.append(round(1 - sum(values), 4))
    line = ", ".join(f"{letter(p)}={v}" for p, v in enumerate(values))
    parsed = parse_probabilities(f"My reasoning.\nProbabilities: {line}", n)
    assert parsed is not None and len(parsed) == n
    assert all(math.isclose(a, b, abs_tol=1e-3) for a, b in zip(parsed, values, strict=True))
    percent = ", ".join(f"{letter(p)}: {100 * v:.2f}%" for p, v in enumerate(values))
    assert parse_probabilities(f"Probabilities: {percent}", n) is not None
    assert parse_probabilities(f"Probabilities: {line}", n - 1) is None  # a letter too many
    assert parse_probabilities(f"Probabilities: {line}", n + 1) is None  # one missing


@pytest.mark.parametrize("n", [3, 4, 6])
def test_logprob_letters_beyond_b_are_votes_and_beyond_the_shown_answers_are_not(n: int) -> None:
    last = letter(n - 1)
    top = [{"token": last, "logprob": math.log(0.6)}, {"token": "A", "logprob": math.log(0.2)}]
    entries = [{"token": last, "logprob": math.log(0.6), "top_logprobs": top}]
    probs = probabilities_from_logprobs(entries, n)
    assert probs is not None and len(probs) == n
    assert math.isclose(probs[n - 1], 0.75) and math.isclose(probs[0], 0.25)
    assert probabilities_from_logprobs(entries, n - 1) is None


# --- error models ----------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4])
def test_random_error_picks_uniformly_among_the_other_answers(n: int) -> None:
    rng = random.Random(n)
    start = Decision(probabilities=[0.55, *[0.45 / (n - 1)] * (n - 1)], choice=0)
    applied = [RandomError(epsilon=1.0).apply(start, view(n), rng) for _ in range(3000)]
    counts = Counter(d.choice for d in applied)
    assert set(counts) == set(range(1, n))
    assert all(abs(c / 3000 - 1 / (n - 1)) < 0.04 for c in counts.values())
    for d in applied:  # the committed answer holds the top probability; mass is only moved
        assert d.probabilities[d.choice] == max(d.probabilities)
        assert sorted(d.probabilities) == sorted(start.probabilities)


@pytest.mark.parametrize("n", [3, 4])
def test_systematic_error_turns_a_blind_check_to_another_answer(n: int) -> None:
    start = Decision(probabilities=[0.1, 0.7, *[0.2 / (n - 2)] * (n - 2)], choice=1)
    blind = SystematicError(rate=1.0).apply(start, view(n), random.Random(0))
    assert blind.choice != 1 and 0 <= blind.choice < n
    by_kind = SystematicError(on="kinds", kinds=["add"])
    leaf = start.model_copy(update={"kind": "add"})
    assert by_kind.apply(leaf, view(n), random.Random(0)).choice != 1
    assert by_kind.apply(start, view(n), random.Random(0)) == start


@pytest.mark.parametrize("n", [3, 4])
@pytest.mark.parametrize("toward", ["first", "last"])
def test_position_bias_goes_to_the_first_or_last_of_n_answers(n: int, toward: str) -> None:
    favoured = 0 if toward == "first" else n - 1
    middle = n // 2  # the judge's own choice, neither first nor last
    start = Decision(
        probabilities=[0.9 if p == middle else 0.1 / (n - 1) for p in range(n)], choice=middle
    )
    bias = PositionBias(strength=1.0, toward=toward)
    biased = bias.apply(start, view(n), random.Random(0))
    assert biased.choice == favoured and biased.probabilities[favoured] == 0.9


@pytest.mark.parametrize("n", [3, 4])
def test_persuasion_sides_with_the_last_or_the_most_confident_of_n_debaters(n: int) -> None:
    start = Decision(probabilities=[0.8, *[0.2 / (n - 1)] * (n - 1)], choice=0)
    turns = [speech(i, p, confidence=0.5 + 0.1 * p) for i, p in enumerate(range(n))]
    turns.append(speech(n, 1, confidence=0.4))  # debater B speaks last, least sure
    last = Persuasion(strength=1.0, toward="last").apply(start, view(n, turns), random.Random(0))
    assert last.choice == 1
    sure = Persuasion(strength=1.0, toward="confident")
    assert sure.apply(start, view(n, turns), random.Random(0)).choice == n - 1
    tied = [*turns, speech(n + 1, 0, confidence=0.5 + 0.1 * (n - 1))]  # two lead: nobody
    assert sure.apply(start, view(n, tied), random.Random(0)) == start


@pytest.mark.parametrize(
    "errors",
    [
        [RandomError(epsilon=0.3)],
        [SystematicError(rate=0.5)],
        [PositionBias(strength=0.5, toward="last")],
        [Persuasion(strength=0.5)],
    ],
    ids=["random", "systematic", "position", "persuasion"],
)
def test_a_simulated_judge_gives_a_probability_for_each_of_four_answers(
    errors: list[ErrorModel],
) -> None:
    question = evidence_questions(1, 3, EvidenceSettings(n_options=4))[0]
    protocol = build_protocol("debate-simultaneous", {"rounds": 2, "answers": 4})
    t = asyncio.run(
        run_debate(question, protocol, EvidenceDebater(), SimulatedJudge(errors), raise_errors=True)
    )
    assert t.verdict is not None and len(t.verdict.probabilities) == 4
    assert math.isclose(sum(t.verdict.probabilities), 1.0)
    assert sorted(t.setup.shown) == [0, 1, 2, 3] and len(t.setup.seats) == 4


# --- protocols -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["naive", "consultancy", "debate-simultaneous", "debate-sequential", "cross-examination"],
)
def test_answers_is_a_setting_recorded_only_when_it_is_not_two(name: str) -> None:
    default, three = build_protocol(name), build_protocol(name, {"answers": 3})
    assert "answers" not in default.settings() and default.n_answers == 2
    assert three.settings()["answers"] == 3 and three.n_answers == 3
    assert build_protocol(name, {"answers": 2}).settings() == default.settings()
    with pytest.raises(ConfigError, match="answers: Input should be less than or equal to 26"):
        build_protocol(name, {"answers": 27})
    with pytest.raises(ConfigError, match="answers: Input should be greater than or equal to 2"):
        build_protocol(name, {"answers": 1})


def test_a_debate_of_n_answers_seats_one_debater_each_and_needs_n_options() -> None:
    protocol = build_protocol("debate-sequential", {"rounds": 1, "answers": 5})
    assert protocol.schedule()[0].speakers == [f"debater_{c}" for c in "ABCDE"]
    short = evidence_questions(1, 0, EvidenceSettings(n_options=4))[0]
    with pytest.raises(ConfigError, match="shows 5 answers but question 'evidence-0' has only 4"):
        protocol.check_question(short)


def test_cross_examination_of_three_has_each_debater_question_the_next() -> None:
    rounds = build_protocol("cross-examination", {"answers": 3}).schedule()
    asked = [(r.speakers[0][-1], r.turn) for r in rounds[1:-1]]
    assert asked == [
        ("A", "question"),
        ("B", "answer"),
        ("B", "question"),
        ("C", "answer"),
        ("C", "question"),
        ("A", "answer"),
    ]
    assert rounds[0].speakers == rounds[-1].speakers == ["debater_A", "debater_B", "debater_C"]
    assert rounds[1].instruction.startswith("Ask Debater B one short, pointed question")
    assert rounds[2].instruction.startswith("Answer Debater A's question (the last turn)")
    two = build_protocol("cross-examination").schedule()
    assert two[1].instruction.startswith("Ask your opponent one short")


# --- prompts ---------------------------------------------------------------------------------


def test_judge_and_debater_prompts_list_three_answers() -> None:
    model = Model(FunctionBackend(lambda request: "x"), ModelConfig(model="m"))
    judge = ModelJudge(model, probabilities="stated")
    system, user = (m.content for m in judge.messages(view(3)))
    assert "`Probabilities: A=0.xx, B=0.yy, C=0.zz`" in system
    assert "Answers: (A) suspect 0; (B) suspect 1; (C) suspect 2" in user
    assert "`Probabilities: A=0.xx, B=0.yy, C=0.zz`" in judge._reask(3)
    ask = judge.messages(view(3), "judge_ask")[0].content
    assert "Ask all 3 debaters one short question" in ask
    question = evidence_questions(1, 0, EvidenceSettings(n_options=3))[0]
    protocol = build_protocol("debate-sequential", {"answers": 3})
    seat = protocol.seats(question, [0, 1, 2], random.Random(0))[2]
    debater_view = DebaterView(
        debate_id="d",
        protocol=protocol.name,
        setup={"question": question, "shown": [0, 1, 2], "seats": [seat], "seed": 0},
        seat=seat,
        round=0,
        rounds=2,
        label="opening",
        turns=[],
    )
    system, user = (m.content for m in ModelDebater(model).messages(debater_view))
    assert "answer your opponents." in system
    options = question.options
    assert f"Answers: (A) {options[0]}; (B) {options[1]}; (C) {options[2]}" in user
    assert f"You defend (C) {options[2]}." in user


def test_two_answer_prompts_read_as_before() -> None:
    model = Model(FunctionBackend(lambda request: "x"), ModelConfig(model="m"))
    system = ModelJudge(model, probabilities="stated").messages(view(2))[0].content
    assert system.endswith(
        "End your reply with one line of the form `Probabilities: A=0.xx, B=0.yy` giving the "
        "probability that each answer is correct; they must sum to 1."
    )
    letters = ModelJudge(model, probabilities="stated")._reask(2)
    assert letters.startswith("Your reply did not end with a valid line `Probabilities: A=0.xx,")
    ask = ModelJudge(model).messages(view(2), "judge_ask")[0].content
    assert "Ask both debaters one short question" in ask
    fields = {"answer": "the cook", **count_fields(2)}
    no_passage = fill(DEBATER_SYSTEM_NO_PASSAGE["default"], fields)
    assert no_passage.endswith("whatever you believe, and answer your opponent's arguments.")
    assert "and answer your opponent. Write" in fill(DEBATER_SYSTEM["default"], fields)


# --- the shipped example ---------------------------------------------------------------------


def test_the_three_debater_example_runs_end_to_end(tmp_path: Path) -> None:
    config = load_config(EXAMPLE)
    outcome = run_eval(config, tmp_path / "run")
    assert outcome.failed == 0 and outcome.ran == len(outcome.results) * 60 * 3
    accuracy = {(r.cell["protocol"], r.cell["judge"]): r.accuracy for r in outcome.results}
    assert all(r.cell["answers"] == 3 for r in outcome.results)
    for judge in ("perfect", "position-last-0.3"):
        assert accuracy["naive", judge] == pytest.approx(1 / 3)  # a three-way tie each time
    assert accuracy["debate-sequential", "perfect"] > 0.9
    assert 1 / 3 < accuracy["debate-sequential", "position-last-0.3"] < 0.95
    transcripts = load_transcripts(tmp_path / "run")
    debated = [t for t in transcripts if t.protocol == "debate-sequential"]
    for t in debated:
        assert [s.name for s in t.setup.seats] == ["debater_A", "debater_B", "debater_C"]
        assert len(t.setup.shown) == 3 and len(t.setup.question.options) == 4
        assert t.verdict is not None and len(t.verdict.probabilities) == 3
        assert {turn.speaker for turn in t.turns} == {s.name for s in t.setup.seats}
