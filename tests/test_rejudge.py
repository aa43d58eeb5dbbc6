"""The ``rejudge`` experiment judges a run's stored debates again, with many judges, without
regenerating a debate; ``debate report`` shows them beside the debates' own verdicts."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest

from evals.config import parse_config
from evals.runner import run_eval
from tests.cli_helpers import one_line_error, run_cli
from transcripts.store import load_transcripts

JUDGES: list[dict[str, Any]] = [
    {"kind": "simulated", "name": "perfect"},
    {"kind": "simulated", "name": "noisy", "errors": [{"kind": "random", "epsilon": 0.3}]},
]


@pytest.fixture
def source(tmp_path: Path) -> Path:
    config = parse_config(
        {
            "dataset": {"kind": "evidence", "n": 10, "seed": 1},
            "protocols": [{"name": "debate-sequential", "settings": {"rounds": 3}}],
            "judges": [JUDGES[0]],
        }
    )
    run_eval(config, tmp_path / "source")
    return tmp_path / "source"


def write(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data))
    return path


def rows(run_dir: Path) -> dict[str, dict[str, str]]:
    with (run_dir / "results.csv").open() as handle:
        return {row["judge"]: row for row in csv.DictReader(handle)}


def test_rejudge_runs_every_judge_on_every_stored_debate(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = (source / "transcripts.jsonl").read_bytes()
    config = write(
        tmp_path / "r.json", {"type": "rejudge", "source": str(source), "judges": JUDGES}
    )
    code, out, err = run_cli(capsys, "run", "--config", str(config), "--out", str(tmp_path / "r"))
    assert code == 0, err
    assert "judged 40 debates again (0 failed)" in out
    assert (source / "transcripts.jsonl").read_bytes() == before  # the source is untouched
    judged = load_transcripts(tmp_path / "r" / "transcripts.jsonl")
    assert len(judged) == 2 * 20  # two judges x 10 questions x 2 orders
    originals = {t.debate_id: t for t in load_transcripts(source / "transcripts.jsonl")}
    for t in judged:
        original_id, judge = t.debate_id.split("@")
        original = originals[original_id]
        assert t.turns == original.turns and t.setup == original.setup  # not regenerated
        assert t.cell["judge"] == judge and t.judge.name == judge
        if judge == "perfect":  # the same judge again: the same verdict, to the bit
            assert t.verdict == original.verdict
    table = rows(tmp_path / "r")
    assert set(table) == {"perfect", "noisy"}  # the source's own cell and the new ones
    assert int(table["perfect"]["n"]) == 40  # its own 20 and the 20 rejudged
    assert int(table["noisy"]["n"]) == 20
    assert float(table["noisy"]["accuracy"]) < float(table["perfect"]["accuracy"])

    code, out, _ = run_cli(capsys, "report", str(tmp_path / "r"))  # by the recorded type
    assert code == 0 and "noisy" in out and "perfect" in out
    code, out, err = run_cli(
        capsys, "run", "--config", str(config), "--out", str(tmp_path / "r"), "--resume"
    )
    assert code == 0 and "judged 0 debates again" in out, err


def test_rejudge_refuses_bad_sources(
    source: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    config = write(tmp_path / "e.json", {"type": "rejudge", "source": str(empty), "judges": JUDGES})
    line = one_line_error(capsys, "run", "--config", str(config), "--out", str(tmp_path / "o"))
    assert "transcripts" in line
    itself = write(
        tmp_path / "s.json", {"type": "rejudge", "source": str(source), "judges": JUDGES}
    )
    line = one_line_error(capsys, "run", "--config", str(itself), "--out", str(source))
    assert "its own --out" in line
    bad = write(tmp_path / "b.json", {"type": "rejudge", "source": str(source), "judges": []})
    assert "judges" in one_line_error(
        capsys, "run", "--config", str(bad), "--out", str(tmp_path / "o2")
    )


def test_report_dispatches_on_the_recorded_type(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = write(
        tmp_path / "sweep.json",
        {
            "type": "sweep",
            "protocols": ["recursive"],
            "error_models": ["random"],
            "epsilons": [0.1],
            "depths": [2],
            "debates_per_cell": 50,
            "sample_transcripts": 0,
        },
    )
    code, _, err = run_cli(capsys, "run", "--config", str(config), "--out", str(tmp_path / "s"))
    assert code == 0, err
    code, out, _ = run_cli(capsys, "report", str(tmp_path / "s"))
    assert code == 0 and "d=2" in out  # the sweep's headline table, not an eval's
    saved = json.loads((tmp_path / "s" / "config.json").read_text())
    assert saved["type"] == "sweep"
    unknown = tmp_path / "u"
    unknown.mkdir()
    (unknown / "config.json").write_text(json.dumps({"type": "nonsense"}))
    assert "unknown experiment kind 'nonsense'" in one_line_error(capsys, "report", str(unknown))
