"""Results flow into researchers' tools: a run read back by inspect_ai itself after
``debate export --format inspect``, and ``evals.load`` giving DataFrames of the documented
schema (and the README's analysis example running on them)."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from debate.domains.evidence import EvidenceDebater, evidence_questions
from debate.engine import run_debate
from debate.types import DebaterView, Speech, Transcript
from debate.values import Usage
from evals.frames import COLUMNS, load
from judges import SimulatedJudge
from protocols import Consultancy, SequentialDebate
from tests.cli_helpers import run_cli
from tests.test_readme import run_example
from transcripts import JsonlStore

inspect_log = pytest.importorskip("inspect_ai.log")


class Paid(EvidenceDebater):
    """The simulated debater, billed as a model would be (so usage has numbers to carry)."""

    async def __call__(self, view: DebaterView) -> Speech:
        speech = await super().__call__(view)
        usage = Usage(input_tokens=100 + view.round, output_tokens=7, calls=1, cost_usd=0.001)
        return speech.model_copy(update={"usage": usage, "text": speech.text + " <b>[x]</b>"})


def _run(tmp_path: Path, n: int = 6) -> tuple[Path, list[Transcript]]:
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    store = JsonlStore(run_dir / "transcripts.jsonl")
    transcripts = []
    for i, q in enumerate(evidence_questions(n, seed=3)):
        protocol = SequentialDebate(rounds=2) if i % 2 else Consultancy(rounds=1)
        t = asyncio.run(run_debate(q, protocol, Paid(), SimulatedJudge(), seed=i))
        store.append(t)
        transcripts.append(t)
    return run_dir, transcripts


@pytest.mark.parametrize("suffix", [".eval", ".json"])
def test_an_exported_run_reads_back_in_inspect_ai(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], suffix: str
) -> None:
    run_dir, transcripts = _run(tmp_path)
    out = tmp_path / f"log{suffix}"
    code, stdout, err = run_cli(capsys, "export", str(run_dir), str(out), "--format", "inspect")
    assert code == 0, err
    assert "wrote 6 debates" in stdout
    log = inspect_log.read_eval_log(str(out))
    assert log.status == "success" and log.eval.task == "debate-lab/run"
    assert log.samples is not None and len(log.samples) == len(transcripts)
    by_id = {s.id: s for s in log.samples}
    for t in transcripts:
        sample = by_id[t.debate_id]
        assert sample.target == "AB"[t.setup.correct_position]
        assert sample.choices == [t.setup.answer_text(i) for i in range(2)]
        # the prompt, every turn (literally, markup and all), the verdict
        assert len(sample.messages) == len(t.turns) + 2
        assert [m.text for m in sample.messages[1:-1]] == [turn.text for turn in t.turns]
        assert all("<b>[x]</b>" in m.text for m in sample.messages[1:-1])
        assert [m.metadata["speaker"] for m in sample.messages[1:-1]] == [
            turn.speaker for turn in t.turns
        ]
        score = sample.scores["verdict"]
        assert score.value == t.score
        assert t.verdict is not None
        assert score.metadata["probabilities"] == dict(
            zip("AB", t.verdict.probabilities, strict=True)
        )
        debaters = sum(turn.usage.input_tokens for turn in t.turns)
        assert sum(u.input_tokens for u in sample.model_usage.values()) == debaters
        assert sum(u.output_tokens for r, u in sample.role_usage.items() if r != "judge") == (
            7 * len(t.turns)
        )
    accuracy = sum(t.score for t in transcripts) / len(transcripts)
    assert log.results is not None
    assert log.results.scores[0].metrics["accuracy"].value == pytest.approx(accuracy)
    total = sum(u.input_tokens for u in log.stats.model_usage.values())
    assert total == sum(turn.usage.input_tokens for t in transcripts for turn in t.turns)


def test_export_refuses_bad_input_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run_dir, _ = _run(tmp_path, n=2)
    cases = [
        ((str(tmp_path / "missing"), str(tmp_path / "a.eval")), "no such run directory"),
        ((str(tmp_path), str(tmp_path / "a.eval")), "no such transcripts file"),
        ((str(run_dir), str(tmp_path / "a.txt")), "end in .eval or .json"),
    ]
    for args, message in cases:
        code, _, err = run_cli(capsys, "export", *args)
        assert code != 0 and message in err and len(err.strip().splitlines()) == 1, err
    out = tmp_path / "kept.eval"
    out.write_text("a log written before")
    code, _, err = run_cli(capsys, "export", str(run_dir), str(out))
    assert code != 0 and "pass --force" in err and out.read_text() == "a log written before"
    code, _, err = run_cli(capsys, "export", str(run_dir), str(out), "--force")
    assert code == 0, err
    assert len(inspect_log.read_eval_log(str(out)).samples or []) == 2
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_frames_have_the_documented_columns_and_the_stored_values(tmp_path: Path) -> None:
    run_dir, transcripts = _run(tmp_path)
    frames = load(run_dir)
    for table in ("debates", "turns", "verdicts"):
        frame = getattr(frames, table)
        documented = [c for c in COLUMNS[table] if "*" not in c]
        assert list(frame.columns[: len(documented)]) == documented, table
        extra = list(frame.columns[len(documented) :])
        assert all(c.startswith("cell.") for c in extra), extra
    assert len(frames.debates) == len(transcripts)
    assert len(frames.turns) == sum(len(t.turns) for t in transcripts)
    assert len(frames.verdicts) == 2 * len(transcripts)
    assert frames.cells.empty  # no results.csv in this run
    row = frames.debates.set_index("debate_id").loc[transcripts[0].debate_id]
    t = transcripts[0]
    assert t.verdict is not None
    p = t.verdict.probabilities[t.setup.correct_position]
    assert row["p_correct"] == pytest.approx(p)
    assert row["brier"] == pytest.approx(2 * (1 - p) ** 2)  # two answers: both terms
    assert row["input_tokens"] == t.usage.input_tokens and row["score"] == t.score
    v = frames.verdicts[frames.verdicts.debate_id == t.debate_id]
    assert v.probability.sum() == pytest.approx(1.0)
    assert v[v.correct].probability.item() == pytest.approx(p)
    turns = frames.turns[frames.turns.debate_id == t.debate_id]
    assert list(turns.text) == [turn.text for turn in t.turns]
    assert frames.turns.output_tokens.sum() == 7 * len(frames.turns)


def test_the_cells_are_results_csv_and_agree_with_the_debates(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "smoke"
    code, _, err = run_cli(capsys, "eval", "--preset", "smoke", "--limit", "10", "--out", str(out))
    assert code == 0, err
    frames = load(out)
    assert len(frames.cells) == len((out / "results.csv").read_text().splitlines()) - 1
    debates = frames.debates.assign(rounds=frames.debates["cell.rounds"].fillna(-1))
    accuracy = debates.groupby(["cell.protocol", "cell.judge", "rounds"])["score"].mean()
    for _, cell in frames.cells.fillna({"rounds": -1}).iterrows():
        key = (cell["protocol"], cell["judge"], cell["rounds"])
        assert accuracy[key] == pytest.approx(cell["accuracy"])
    assert len(accuracy) == len(frames.cells)


def test_the_readme_analysis_example_runs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_cli(
        capsys, "eval", "--preset", "smoke", "--limit", "10", "--out", str(tmp_path / "runs/smoke")
    )
    assert code == 0, err
    capsys.readouterr()
    cwd = Path.cwd()
    os.chdir(tmp_path)
    try:
        namespace = run_example("analysis")
    finally:
        os.chdir(cwd)
    assert not namespace["by_cell"].empty
    assert "mean" in capsys.readouterr().out


def test_the_analysis_doc_names_every_column() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "analysis.md").read_text()
    for columns in COLUMNS.values():
        for column in columns:
            assert f"`{column}`" in doc, column
