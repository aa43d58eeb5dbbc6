"""One scoring rule for every judge and every metric: ties, failures, clustered intervals,
position consistency."""

from __future__ import annotations

import asyncio
import math

import pytest

from debate.domains.evidence import EvidenceDebater, evidence_questions
from debate.engine import run_debate
from debate.models import Model, ModelConfig, ScriptedBackend
from debate.prompts import PromptSet
from debate.protocol import build_protocol
from debate.types import AgentInfo, DebateSetup, Question, Transcript, Verdict
from evals.metrics import clustered_interval, position_consistency, wilson_interval
from evals.results import summarize
from judges.model_judge import ModelJudge
from judges.simulated import SimulatedJudge

QUESTION = Question(id="q", text="?", options=["a", "b", "c"], correct_index=0)


@pytest.mark.parametrize(
    ("probabilities", "choice", "correct_position", "expected"),
    [
        ([0.5, 0.5], None, 0, 0.5),
        ([0.5, 0.5], 1, 0, 0.5),  # a committed pick does not break a tie
        ([0.5, 0.5], 0, 1, 0.5),
        ([0.4, 0.4, 0.2], None, 2, 0.0),
        ([0.4, 0.4, 0.2], None, 1, 0.5),
        ([1 / 3, 1 / 3, 1 / 3], None, 2, 1 / 3),
        ([0.6, 0.4], None, 0, 1.0),
        ([0.6, 0.4], None, 1, 0.0),
        ([0.6, 0.4], 1, 1, 1.0),  # an explicit choice stands when there is no tie
    ],
)
def test_verdict_score(
    probabilities: list[float], choice: int | None, correct_position: int, expected: float
) -> None:
    verdict = Verdict(probabilities=probabilities, choice=choice)
    assert verdict.score(correct_position) == pytest.approx(expected)


def test_unparsed_verdict_scores_zero_and_is_no_tie() -> None:
    verdict = Verdict.unparsed(2, raw="???")
    assert verdict.tied == [] and verdict.score(0) == 0.0


def _judge_view_transcript(judge: object) -> Transcript:
    question = evidence_questions(1, seed=3)[0]
    protocol = build_protocol("naive")
    return asyncio.run(
        run_debate(question, protocol, EvidenceDebater(), judge, seed=1)  # type: ignore[arg-type]
    )


def test_simulated_and_model_judges_at_fifty_fifty_score_the_same() -> None:
    simulated = _judge_view_transcript(SimulatedJudge())
    backend = ScriptedBackend(["Probabilities: A=0.5, B=0.5"])
    model = Model(backend, ModelConfig(model="scripted"))
    model_judge = ModelJudge(model, PromptSet(), probabilities="stated")
    modelled = _judge_view_transcript(model_judge)
    for transcript in (simulated, modelled):
        assert transcript.error is None, transcript.error
        assert transcript.tie and transcript.score == 0.5 and not transcript.correct
    results = summarize([simulated, modelled], by=[])
    assert results[0].ties == 2 and results[0].accuracy == 0.5


def _transcript(
    qid: str, shown: list[int], probabilities: list[float] | None, error: str | None = None
) -> Transcript:
    question = QUESTION.model_copy(update={"id": qid})
    verdict = Verdict(probabilities=probabilities) if probabilities is not None else None
    return Transcript(
        debate_id=f"{qid}-{shown}",
        cell={"protocol": "p"},
        protocol="p",
        setup=DebateSetup(question=question, shown=shown, seats=[], seed=0),
        judge=AgentInfo(kind="simulated", name="j"),
        verdict=verdict,
        error=error,
        started_at=0.0,
        finished_at=1.0,
    )


def test_errors_count_in_every_metric_alike() -> None:
    transcripts = [
        _transcript("q1", [0, 1], [0.9, 0.1]),
        _transcript("q2", [0, 1], None, error="TimeoutError: gave up"),
    ]
    (result,) = summarize(transcripts)
    assert result.n == 2 and result.accuracy == 0.5
    assert result.mean_p_correct == pytest.approx(0.45)
    assert result.brier == pytest.approx((0.1**2 + 1.0) / 2)


def test_position_consistency_tells_a_position_bias_from_a_content_judge() -> None:
    # Always picks the first position: in the swapped order it picks the other answer.
    biased = [
        _transcript(f"q{i}", order, [0.8, 0.2]) for i in range(10) for order in ([0, 1], [1, 0])
    ]
    # Always picks option 0 whatever its position.
    steady = [
        _transcript(f"q{i}", order, [0.8, 0.2] if order[0] == 0 else [0.2, 0.8])
        for i in range(10)
        for order in ([0, 1], [1, 0])
    ]
    (b,) = summarize(biased)
    (s,) = summarize(steady)
    assert b.position_consistency == 0.0 and b.accuracy == 0.5
    assert s.position_consistency == 1.0 and s.accuracy == 1.0
    assert b.questions == s.questions == 10


def test_position_consistency_counts_failures_as_inconsistent() -> None:
    assert position_consistency([[0, 0], [1, None], [None, None], [2]]) == pytest.approx(1 / 3)
    assert position_consistency([[0], [1]]) is None


def test_a_tie_in_every_order_is_consistent_a_tie_in_one_is_not() -> None:
    both_tied = [_transcript("q1", order, [0.5, 0.5]) for order in ([0, 1], [1, 0])]
    one_tied = [_transcript("q2", [0, 1], [0.5, 0.5]), _transcript("q2", [1, 0], [0.2, 0.8])]
    (both,) = summarize(both_tied)
    (one,) = summarize(one_tied)
    assert both.position_consistency == 1.0 and both.ties == 2
    assert one.position_consistency == 0.0


@pytest.mark.parametrize(("successes", "n"), [(0, 5), (3, 10), (17, 40), (40, 40), (51, 200)])
def test_clustered_interval_is_wilson_with_singleton_clusters(successes: int, n: int) -> None:
    scores = [1.0] * successes + [0.0] * (n - successes)
    got = clustered_interval(scores, [str(i) for i in range(n)])
    assert got == pytest.approx(wilson_interval(successes, n), abs=1e-9)


def test_clustered_interval_widens_for_correlated_orders() -> None:
    # Each question's two orders agree: 20 questions carry the information of 20, not 40.
    scores = [1.0] * 24 + [0.0] * 16
    clusters = [f"q{i // 2}" for i in range(40)]
    low, high = clustered_interval(scores, clusters)
    naive_low, naive_high = wilson_interval(24, 40)
    by_question = wilson_interval(12, 20)
    assert high - low > naive_high - naive_low
    assert (low, high) == pytest.approx(by_question, abs=1e-9)


def test_clustered_interval_never_narrower_than_independent() -> None:
    # Perfectly anti-correlated orders (a pure position bias) have zero cluster variance.
    scores = [1.0, 0.0] * 20
    clusters = [f"q{i // 2}" for i in range(40)]
    assert clustered_interval(scores, clusters) == pytest.approx(wilson_interval(20, 40))


def test_clustered_interval_takes_fractional_scores() -> None:
    low, high = clustered_interval([0.5] * 10, [str(i) for i in range(10)])
    assert low < 0.5 < high and not math.isnan(low)


def test_results_count_verdicts_parsed_on_the_first_try() -> None:
    first = _transcript("q1", [0, 1], [0.9, 0.1])
    reasked = _transcript("q2", [0, 1], [0.9, 0.1])
    assert reasked.verdict is not None
    reasked = reasked.model_copy(
        update={"verdict": reasked.verdict.model_copy(update={"reasks": 2})}
    )
    unparsed = _transcript("q3", [0, 1], None).model_copy(
        update={"verdict": Verdict.unparsed(2, raw="The answer is (")}
    )
    (result,) = summarize([first, reasked, unparsed])
    assert (result.parsed_first_try, result.parse_failures, result.n) == (1, 1, 3)
