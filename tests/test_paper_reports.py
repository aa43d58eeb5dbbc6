"""Reports a paper can use: paired differences with a t interval checked by hand, Brier,
ECE and cost in report.md, grouped bars, and an SVG beside every PNG."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from evals.metrics import expected_calibration_error
from evals.paired import mean_difference_interval
from tests.cli_helpers import run_cli
from transcripts import JsonlStore


def test_the_paired_interval_by_hand() -> None:
    mean, low, high = mean_difference_interval([1.0, 0.0, 0.5, -0.5, 1.0])
    sd = math.sqrt((0.6**2 + 0.4**2 + 0.1**2 + 0.9**2 + 0.6**2) / 4)
    half = 2.7764451051977987 * sd / math.sqrt(5)  # t(0.975, 4 degrees of freedom)
    assert mean == pytest.approx(0.4)
    assert (low, high) == pytest.approx((0.4 - half, 0.4 + half))
    assert mean_difference_interval([0.5])[0] == 0.5
    assert all(math.isnan(x) for x in mean_difference_interval([0.5])[1:])
    assert mean_difference_interval([0.2, 0.2, 0.2]) == pytest.approx((0.2, 0.2, 0.2))


@pytest.fixture(scope="module")
def smoke(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("reports") / "smoke"
    from debate.cli import main

    with pytest.raises(SystemExit) as stop:
        main(["eval", "--preset", "smoke", "--limit", "15", "--out", str(out)])
    assert stop.value.code in (0, None)
    return out


def test_paired_differences_match_a_recomputation_from_the_debates(smoke: Path) -> None:
    transcripts = JsonlStore(smoke / "transcripts.jsonl").load().transcripts
    scores: dict[str, dict[str, list[float]]] = {}
    for t in transcripts:
        key = json.dumps(t.cell, sort_keys=True)
        scores.setdefault(key, {}).setdefault(t.setup.question.id, []).append(t.score)
    with (smoke / "paired.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert rows
    for row in rows:
        cell = json.loads(row["cell"]) | {"judge": row["judge"]}
        base = json.loads(row["baseline"]) | {"judge": row["judge"]}
        assert base["protocol"] == "consultancy"
        a = scores[json.dumps(cell, sort_keys=True)]
        b = scores[json.dumps(base, sort_keys=True)]
        diffs = [sum(a[q]) / len(a[q]) - sum(b[q]) / len(b[q]) for q in sorted(set(a) & set(b))]
        assert int(row["questions"]) == len(diffs) == 15
        mean, low, high = mean_difference_interval(diffs)
        assert float(row["difference"]) == pytest.approx(mean)
        assert (float(row["ci_low"]), float(row["ci_high"])) == pytest.approx((low, high))
    judges = {r["judge"] for r in rows}
    assert len(rows) == 5 * len(judges)  # every other cell of each judge vs its consultancy


def test_report_has_brier_ece_cost_and_one_paired_section(
    smoke: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = (smoke / "report.md").read_text()
    assert "| Brier | ECE | cost $ |" in report
    assert report.count("## Paired differences on the same questions") == 1
    code, _, err = run_cli(capsys, "report", str(smoke))
    assert code == 0, err
    assert (smoke / "report.md").read_text().count("## Paired differences") == 1
    transcripts = JsonlStore(smoke / "transcripts.jsonl").load().transcripts
    results = json.loads((smoke / "results.json").read_text())
    for row in results:
        mine = [
            t
            for t in transcripts
            if all(str(t.cell.get(k)) == str(v) for k, v in row.items() if k in t.cell)
            and set(t.cell) <= set(row) | {f"cell.{k}" for k in t.cell}
        ]
        confidences = [max(t.verdict.probabilities) if t.verdict else 0.0 for t in mine]
        assert row["ece"] == pytest.approx(
            expected_calibration_error(confidences, [t.score for t in mine])
        )


def test_every_plot_has_an_svg_beside_it(smoke: Path, tmp_path: Path) -> None:
    for folder in (smoke / "plots",):
        pngs = sorted(folder.glob("*.png"))
        assert {p.stem for p in pngs} >= {"accuracy", "accuracy_grouped"}
        for png in pngs:
            assert png.with_suffix(".svg").exists(), png
    from debate.cli import main

    out = tmp_path / "sweep"
    with pytest.raises(SystemExit):
        main(["eval", "--preset", "judge-error-depth", "--quick", "--out", str(out)])
    pngs = sorted((out / "plots").glob("*.png"))
    assert pngs and all(p.with_suffix(".svg").exists() for p in pngs)


def test_bars_take_one_colour_blind_safe_colour_per_judge(smoke: Path) -> None:
    """The per-cell bars were one colour for every judge; now each judge has its own
    Okabe-Ito colour in both bar plots."""
    import re

    from evals.report import OKABE_ITO

    judges = {json.loads(line)["cell"]["judge"] for line in (smoke / "transcripts.jsonl").open()}
    for name in ("accuracy_grouped", "accuracy"):
        svg = (smoke / "plots" / f"{name}.svg").read_text()
        fills = set(re.findall(r"fill: (#[0-9a-f]{6})", svg))
        wanted = {c.lower() for c in OKABE_ITO[: len(judges)]}
        assert wanted <= fills, (name, fills)
        assert not {c.lower() for c in OKABE_ITO[len(judges) :]} & fills
