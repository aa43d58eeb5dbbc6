"""Judgments on stored debates: the store, re-judging with any judge, reports and summaries."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from debate import LiveJob, run_many
from debate.components import Components
from debate.domains.evidence import EvidenceDebater, evidence_questions
from debate.errors import ConfigError, DataError
from debate.models import FunctionBackend, GenerateRequest, Model, ModelConfig
from debate.types import AgentInfo, Transcript, Verdict
from evals.build import build_jobs
from evals.config import EvalConfig
from evals.judging import live_config, rejudge, session_order, summarize_judge
from evals.metrics import calibration_bins
from evals.results import load_results
from evals.runner import write_outputs
from judges import ModelJudge, SimulatedJudge
from protocols import SequentialDebate
from transcripts.judgments import Judgment, JudgmentStore, judge_view, rejudged
from transcripts.store import JsonlStore


def debates(n: int = 4) -> list[Transcript]:
    questions = evidence_questions(n, seed=11)
    jobs = [
        LiveJob(
            debate_id=f"d{i}",
            question=q,
            protocol=SequentialDebate(rounds=1),
            debaters=EvidenceDebater(),
            judge=SimulatedJudge(name="perfect"),
            seed=i,
            cell={"protocol": "debate-sequential", "judge": "perfect", "rounds": 1},
        )
        for i, q in enumerate(questions)
    ]
    return asyncio.run(run_many(jobs))


def judgment(transcript: Transcript, p_first: float, who: str = "human:ann") -> Judgment:
    return Judgment(
        judge=AgentInfo(kind="human", name=who),
        debate_id=transcript.debate_id,
        verdict=Verdict(probabilities=[p_first, 1 - p_first]),
        started_at=1.0,
        finished_at=2.0,
    )


def test_judge_view_hides_the_answer_context_and_original_verdict() -> None:
    t = debates(1)[0]
    view = judge_view(t)
    dumped = view.model_dump_json()
    assert t.setup.question.context is not None
    assert t.setup.question.context.splitlines()[0] not in dumped
    assert "correct" not in dumped
    assert view.answers == [t.setup.question.options[i] for i in t.setup.shown]
    assert view.turns == t.turns


def test_rejudged_counts_the_judgment_like_any_verdict() -> None:
    t = debates(1)[0]
    right = t.setup.correct_position
    j = judgment(t, 0.8 if right == 0 else 0.2)
    out = rejudged(t, j)
    assert out.correct and out.p_correct == pytest.approx(0.8)
    assert out.cell == {**t.cell, "judge": "human:ann"}
    assert out.judge.name == "human:ann"
    assert t.judge.name == "perfect", "the stored debate is not changed"
    wrong = rejudged(t, judgment(t, 0.3 if right == 0 else 0.7))
    assert not wrong.correct and wrong.p_correct == pytest.approx(0.3)


def test_rejudged_refuses_a_verdict_for_the_wrong_number_of_answers() -> None:
    t = debates(1)[0]
    bad = judgment(t, 0.5).model_copy(update={"verdict": Verdict(probabilities=[0.2, 0.3, 0.5])})
    with pytest.raises(DataError, match="3 probabilities for 2 answers"):
        rejudged(t, bad)


def test_store_keeps_the_first_judgment_per_judge_and_survives_a_torn_line(tmp_path: Path) -> None:
    ts = debates(3)
    store = JudgmentStore(tmp_path / "judgments.jsonl")
    store.append(judgment(ts[0], 0.9))
    store.append(judgment(ts[0], 0.1))  # a second go at the same debate does not replace it
    store.append(judgment(ts[0], 0.6, who="human:bob"))
    whole = store.path.read_bytes()
    store.path.write_bytes(whole + whole.splitlines()[0][:40])  # killed mid-write
    again = JudgmentStore(store.path)
    assert again.judged_by("human:ann") == {"d0"}
    assert again.judged_by("human:bob") == {"d0"}
    again.append(judgment(ts[1], 0.7))
    loaded = JudgmentStore(store.path).load()
    assert [j.verdict.probabilities[0] for j in loaded.records] == [0.9, 0.6, 0.7]
    assert loaded.duplicates == 1 and len(loaded.bad_lines) == 1
    assert store.path.read_bytes().startswith(whole), "nothing written is lost"


def test_a_file_of_no_judgments_is_a_one_line_data_error(tmp_path: Path) -> None:
    path = tmp_path / "judgments.jsonl"
    path.write_text('{"not": "a judgment"}\n{"x": 1}\n')
    with pytest.raises(DataError, match=r"judgments.jsonl: no valid judgment"):
        JudgmentStore(path).load()


def test_rejudge_works_for_a_model_judge_and_resumes(tmp_path: Path) -> None:
    calls: list[GenerateRequest] = []

    def reply(request: GenerateRequest) -> str:
        calls.append(request)
        return "Probabilities: A=0.7, B=0.3"

    model_judge = ModelJudge(
        Model(FunctionBackend(reply), ModelConfig(model="m"), name="re-reader")
    )
    ts = debates(4)
    store = JudgmentStore(tmp_path / "j.jsonl")
    seen: list[str] = []
    first = rejudge(ts[:2], model_judge, store, on_judged=lambda t, j: seen.append(t.debate_id))
    assert asyncio.run(first) == 2
    assert asyncio.run(rejudge(ts, model_judge, store)) == 2  # resumes: only the 2 not judged
    assert seen == ["d0", "d1"]
    assert len(calls) == 4
    records = JudgmentStore(store.path).read().records
    assert [j.debate_id for j in records] == ["d0", "d1", "d2", "d3"]
    assert [j.sequence for j in records] == [0, 1, 2, 3]
    assert all(j.judge.name == "re-reader" for j in records)


def test_session_order_is_per_judge_stable_and_leaves_out_failed_debates() -> None:
    ts = debates(8)
    broken = ts[3].model_copy(update={"error": "RuntimeError: boom", "verdict": None})
    ts[3] = broken
    ann = [t.debate_id for t in session_order(ts, "human:ann")]
    assert ann == [t.debate_id for t in session_order(ts, "human:ann")]
    assert "d3" not in ann and sorted(ann) == sorted(t.debate_id for t in ts if t.error is None)
    orders = {tuple(t.debate_id for t in session_order(ts, f"human:{k}")) for k in "abcdef"}
    assert len(orders) > 1
    assert [t.debate_id for t in session_order(ts, "x", shuffle=False)] == [
        "d0",
        "d1",
        "d2",
        "d4",
        "d5",
        "d6",
        "d7",
    ]


def test_report_counts_human_judgments_as_cells_of_their_own(tmp_path: Path) -> None:
    ts = debates(4)
    store = JsonlStore(tmp_path / "transcripts.jsonl")
    for t in ts:
        store.append(t)
    judgments = JudgmentStore(tmp_path / "judgments.jsonl")
    for t in ts[:3]:  # ann: right, right, wrong
        right = t.setup.correct_position
        p = 0.9 if t.debate_id != "d2" else 0.2
        judgments.append(judgment(t, p if right == 0 else 1 - p))
    judgments.append(
        judgment(ts[0], 0.5 + 0.1, who="human:bob").model_copy(update={"debate_id": "elsewhere"})
    )
    results = write_outputs(tmp_path)
    by_judge = {r.cell["judge"]: r for r in results}
    assert set(by_judge) == {"perfect", "human:ann"}
    ann = by_judge["human:ann"]
    assert (ann.n, ann.correct) == (3, 2)
    assert ann.brier == pytest.approx((0.1**2 + 0.1**2 + 0.8**2) / 3)
    assert by_judge["perfect"].n == 4, "the original cell is unchanged"
    rows = load_results(tmp_path)
    assert list(rows[0])[:3] == ["protocol", "judge", "rounds"]
    report = (tmp_path / "report.md").read_text()
    assert "human:ann" in report
    assert "left out" in report  # the judgment of a debate this run does not hold


def test_summarize_judge_figures_and_calibration_bins() -> None:
    ts = debates(4)
    ps = [0.95, 0.65, 0.55, 0.72]  # probability put on the correct answer
    judged = []
    for t, p in zip(ts, ps, strict=True):
        right = t.setup.correct_position
        judged.append(rejudged(t, judgment(t, p if right == 0 else 1 - p)))
    summary = summarize_judge(judged, "human:ann")
    assert (summary.n, summary.correct, summary.failed) == (4, 4, 0)
    assert summary.brier == pytest.approx(sum((1 - p) ** 2 for p in ps) / 4)
    assert [(b.low, b.n) for b in summary.bins] == [(0.5, 1), (0.6, 1), (0.7, 1), (0.9, 1)]
    assert summary.ci_low < 1 == summary.accuracy


def test_a_human_tie_scores_half_in_the_summary_and_shows_as_a_tie() -> None:
    from rich.console import Console

    from evals.judge_summary import render_summary

    ts = debates(2)
    judged = [rejudged(ts[0], judgment(ts[0], 0.5)), rejudged(ts[1], judgment(ts[1], 0.5))]
    right = ts[1].setup.correct_position
    judged[1] = rejudged(ts[1], judgment(ts[1], 0.9 if right == 0 else 0.1))
    summary = summarize_judge(judged, "human:ann")
    assert (summary.n, summary.correct, summary.ties) == (2, 1, 1)
    assert summary.accuracy == pytest.approx(0.75)
    console = Console(record=True, width=120, color_system=None)
    console.print(render_summary(summary, judged))
    text = console.export_text()
    assert "1/2 right, 1 tied (scored as fair guesses) = 75%" in text
    assert "tie (0.5)" in text


def test_calibration_bins_are_closed_on_the_left() -> None:
    bins = calibration_bins([0.6, 0.59, 0.9, 1.0, 0.3], [True, False, True, False, True])
    assert [(b.low, b.n, b.accuracy) for b in bins] == [(0.5, 2, 0.5), (0.6, 1, 1.0), (0.9, 2, 0.5)]
    assert calibration_bins([], []) == []
    with pytest.raises(ValueError):
        calibration_bins([0.5], [True, False])


def _given(name: str) -> Components:
    """Components that use a ready-made judge for the human judge ``name``."""
    return Components(given={("judge", name): SimulatedJudge()})


def test_live_config_puts_one_person_in_and_keeps_the_rest(tmp_path: Path) -> None:
    from evals.presets import load_preset

    base = load_preset("smoke")
    assert isinstance(base, EvalConfig)
    config = live_config(base, "ann", limit=3)
    assert [j.kind for j in config.judges] == ["human"]
    assert (config.position_swap, config.concurrency) == ("random", 1)
    assert config.protocols == base.protocols
    jobs = build_jobs(config, evidence_questions(3, seed=0), components=_given("human:ann"))
    assert {job.cell["judge"] for job in jobs} == {"human:ann"}
    assert len(jobs) == 3 * len(base.protocols)
    with pytest.raises(ConfigError, match="debate judge --live"):
        build_jobs(config, evidence_questions(1, seed=0))
    other = live_config(base, "bob", limit=3)
    ids = {j.debate_id for j in jobs}
    assert not ids & {
        j.debate_id
        for j in build_jobs(other, evidence_questions(3, seed=0), components=_given("human:bob"))
    }
    assert json.loads(config.model_dump_json())["judges"] == [{"kind": "human", "id": "ann"}]
