"""Tests for evals: metrics, per-cell aggregation, results files and the report."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console

from debate.types import AgentInfo, DebateSetup, Question, Transcript, Usage, Verdict
from evals import (
    CellResult,
    brier_score,
    expected_calibration_error,
    load_results,
    results_table,
    summarize,
    wilson_interval,
    write_report,
    write_results,
)

QUESTION = Question(id="q1", text="2+2?", options=["4", "5"], correct_index=0)
SETUP = DebateSetup(question=QUESTION, shown=[0, 1], seats=[], seed=0)
JUDGE = AgentInfo(kind="simulated", name="judge")


def make_transcript(
    cell: dict[str, Any],
    *,
    correct: bool,
    p_correct: float | None = None,
    parsed: bool = True,
    error: str | None = None,
    cost: float = 0.0,
) -> Transcript:
    verdict: Verdict | None
    if error is not None:
        verdict = None
    elif not parsed:
        verdict = Verdict.unparsed(2, raw="???")
    else:
        p = p_correct if p_correct is not None else (0.9 if correct else 0.1)
        verdict = Verdict(probabilities=[p, 1 - p])
    return Transcript(
        debate_id=f"d{id(cell)}",
        cell=cell,
        protocol=str(cell.get("protocol", "p")),
        setup=SETUP,
        judge=JUDGE,
        verdict=verdict,
        correct=correct,
        p_correct=p_correct,
        error=error,
        started_at=0.0,
        finished_at=1.0,
        usage=Usage(cost_usd=cost),
    )


# --- metrics ---------------------------------------------------------------------------


def test_wilson_known_value() -> None:
    low, high = wilson_interval(7, 10)
    assert low == pytest.approx(0.3968, abs=1e-4)
    assert high == pytest.approx(0.8922, abs=1e-4)
    assert low < 0.7 < high
    # Closed form, z = 1.96.
    z, p, n = 1.959964, 0.7, 10
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    assert (low, high) == pytest.approx((centre - half, centre + half), abs=1e-6)


def test_wilson_edges() -> None:
    assert all(math.isnan(x) for x in wilson_interval(0, 0))
    low, high = wilson_interval(0, 10)
    assert low == 0.0 and 0 < high < 0.3
    low, high = wilson_interval(10, 10)
    assert 0.7 < low < 1.0 and high == 1.0
    narrow = wilson_interval(7, 10, confidence=0.5)
    assert narrow[0] > 0.3968 and narrow[1] < 0.8922


def test_brier() -> None:
    assert brier_score([1.0, 1.0]) == 0.0
    assert brier_score([0.5] * 4) == pytest.approx(0.25)
    assert brier_score([0.0, 1.0]) == pytest.approx(0.5)
    assert math.isnan(brier_score([]))
    with pytest.raises(ValueError):
        brier_score([1.5])


def test_ece() -> None:
    # 80% confident, right 8 times of 10; 60% confident, right 3 of 5: perfectly calibrated.
    conf = [0.8] * 10 + [0.6] * 5
    hits = [True] * 8 + [False] * 2 + [True] * 3 + [False] * 2
    assert expected_calibration_error(conf, hits) == pytest.approx(0.0)
    # Always 90% confident but right half the time: off by 0.4.
    assert expected_calibration_error([0.9] * 10, [True, False] * 5) == pytest.approx(0.4)
    # Two bins, weighted: 0.5 * |1 - 0.95| + 0.5 * |0 - 0.55| = 0.3.
    assert expected_calibration_error([0.95, 0.55], [True, False]) == pytest.approx(0.3)
    assert math.isnan(expected_calibration_error([], []))
    with pytest.raises(ValueError):
        expected_calibration_error([0.5], [True, False])


# --- summarize -------------------------------------------------------------------------


def test_summarize_groups_and_counts_failures_as_wrong() -> None:
    a = {"protocol": "debate", "judge": "weak", "rounds": 2}
    b = {"protocol": "consultancy", "judge": "weak", "rounds": 2}
    transcripts = [
        make_transcript(b, correct=True, p_correct=0.9, cost=0.5),
        make_transcript(a, correct=True, p_correct=0.8),
        make_transcript(a, correct=False, p_correct=0.4),
        make_transcript(a, correct=False, p_correct=0.5, parsed=False),
        make_transcript(a, correct=False, error="timeout"),
        make_transcript(dict(b), correct=True, p_correct=0.7, cost=0.25),
    ]
    results = summarize(transcripts)
    assert [r.cell for r in results] == [b, a]  # first-seen order

    rb, ra = results
    assert (rb.n, rb.correct, rb.accuracy) == (2, 2, 1.0)
    assert rb.cost_usd == pytest.approx(0.75)
    assert (ra.n, ra.correct, ra.parse_failures, ra.errors) == (4, 1, 1, 1)
    assert ra.accuracy == 0.25
    assert (ra.ci_low, ra.ci_high) == pytest.approx(wilson_interval(1, 4))
    # One rule for every metric: the error and the unparsed verdict put 0 on the truth.
    assert ra.mean_p_correct == pytest.approx((0.8 + 0.4 + 0 + 0) / 4)
    assert ra.brier == pytest.approx((0.2**2 + 0.6**2 + 1 + 1) / 4)

    by_judge = summarize(transcripts, by=["judge"])
    assert len(by_judge) == 1 and by_judge[0].cell == {"judge": "weak"}
    assert by_judge[0].n == 6 and by_judge[0].correct == 3


def test_summarize_never_trusts_correct_on_failure() -> None:
    cell = {"protocol": "debate"}
    results = summarize(
        [
            make_transcript(cell, correct=True, parsed=False),
            make_transcript(cell, correct=True, error="boom"),
        ]
    )
    assert results[0].correct == 0 and results[0].n == 2
    assert results[0].mean_p_correct == 0.0 and results[0].brier == 1.0


# --- files and report ------------------------------------------------------------------


def _results() -> list[CellResult]:
    return summarize(
        [
            make_transcript({"protocol": "debate", "judge": "[bold]x[/]"}, correct=True),
            make_transcript({"protocol": "debate", "judge": "[bold]x[/]"}, correct=False),
            make_transcript({"protocol": "consult", "judge": "a|b", "rounds": 3}, correct=True),
        ]
    )


def test_row_column_order() -> None:
    row = _results()[1].row()
    assert list(row) == [
        "protocol",
        "judge",
        "rounds",
        "n",
        "accuracy",
        "ci_low",
        "ci_high",
        "correct",
        "ties",
        "parsed_first_try",
        "parse_failures",
        "verdicts",
        "parse_rate",
        "errors",
        "mean_p_correct",
        "brier",
        "ece",
        "position_consistency",
        "cost_usd",
        "judge_backend",
        "judge_queries",
    ]


def test_write_and_load_results(tmp_path: Path) -> None:
    results = _results()
    write_results(tmp_path, results)
    rows = load_results(tmp_path)
    assert rows == [r.row() for r in results]
    with (tmp_path / "results.csv").open(newline="") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames is not None
        assert reader.fieldnames[:4] == ["protocol", "judge", "n", "accuracy"]
        assert "rounds" in reader.fieldnames
        csv_rows = list(reader)
    assert len(csv_rows) == 2
    assert csv_rows[0]["rounds"] == "" and csv_rows[1]["rounds"] == "3"
    assert float(csv_rows[0]["accuracy"]) == 0.5
    assert not list(tmp_path.glob("*.tmp"))


def test_results_table_escapes_markup() -> None:
    console = Console(record=True, width=200)
    console.print(results_table(_results(), title="[red]run[/red]"))
    text = console.export_text()
    assert "[bold]x[/]" in text
    assert "[red]run[/red]" in text
    assert "0.500" in text and "[0.095, 0.905]" in text


def test_write_report(tmp_path: Path) -> None:
    path = write_report(tmp_path, _results(), title="Smoke", meta={"preset": "smoke"})
    text = path.read_text()
    assert path == tmp_path / "report.md"
    assert text.startswith("# Smoke")
    assert "- **preset**: smoke" in text and "- **debates**: 3" in text
    assert "| protocol | judge | rounds | n | accuracy | 95% CI |" in text
    assert "a\\|b" in text  # pipes in names cannot break the table
    assert "count as wrong" in text
    assert "![Accuracy per cell](plots/accuracy.png)" in text
    png = tmp_path / "plots" / "accuracy.png"
    assert png.read_bytes().startswith(b"\x89PNG")


def test_write_report_many_and_no_cells(tmp_path: Path) -> None:
    many = summarize(
        make_transcript({"judge": f"$model-{i}$", "rounds": i % 3}, correct=i % 2 == 0)
        for i in range(30)
    )
    write_report(tmp_path / "many", many, title="Many", meta={"chance": 0.25})
    assert (tmp_path / "many" / "plots" / "accuracy.png").stat().st_size > 0

    path = write_report(tmp_path / "none", [], title="Empty", meta={})
    assert (tmp_path / "none" / "plots").is_dir()
    assert "No results." in path.read_text()
