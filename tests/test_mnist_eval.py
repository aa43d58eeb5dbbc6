"""The irving-mnist preset: config, a tiny run end to end, resume after a kill, bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")

from debate.domains.pixel_play import PoolSettings
from debate.errors import ConfigError
from evals.mnist.cells import GAMES
from evals.mnist.config import MnistDebateConfig, SearchSpec, parse_mnist_config
from evals.mnist.plan import debate_cells
from evals.mnist.runner import run_mnist
from evals.presets import load_preset
from judges.pixels.evaluator import PixelEvaluator
from tests.mnist_helpers import MNIST, TINY_RECIPE, judge_dir, tiny_judge
from tests.test_cli_errors import assert_one_line_error, debate
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse)


def tiny_config(**change: Any) -> MnistDebateConfig:
    """Two images at 6 pixels with the session's tiny judge: every cell, the curve, the
    greedy baseline and one image through the engine."""
    tiny_judge()  # trained once per session into judge_dir()
    recipe = {**TINY_RECIPE, "steps": {6: TINY_RECIPE["steps"]}}
    base: dict[str, Any] = {
        "pixel_counts": [6],
        "judge": recipe,
        "judge_dir": str(judge_dir()),
        "device": "cpu",
        "judge_alone_images": 300,
        "images": 2,
        "curve_images": 2,
        "curve_rollouts": [2],
        "debater": {"rollouts": 6, "batch": 3},
        "pool": {"candidates": 6, "prior": "judge"},
        "transcript_images": 1,
    }
    return MnistDebateConfig.model_validate({**base, **change})


def rows_by_cell(rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Rows by (kind, first, precommit, debater), with the search appended for the paper's."""
    found = {}
    for r in rows:
        key = (r["kind"], r["first"], r["precommit"], r["debater"])
        found[(*key, r["search"]) if r["search"] else key] = r
    return found


def test_the_preset_and_its_quick_variant() -> None:
    preset = load_preset("irving-mnist")
    assert isinstance(preset, MnistDebateConfig)
    assert preset.images >= 200 and preset.pixel_counts == [6, 4]
    assert preset.judge.config(6).steps == 30_000 and preset.judge.config(4).steps == 50_000
    quick = load_preset("irving-mnist", quick=True)
    assert isinstance(quick, MnistDebateConfig)
    assert quick.images < preset.images and quick.judge.config(6).steps < 1000
    for config in (preset, quick):  # the headline's pool and the paper's search, same images
        assert config.pool.candidates == 12 and config.pool.prior == "judge"
        cells = debate_cells(config)
        paper = [(c, n) for c, _, n in cells if c.search == "paper"]
        pool = [(c.model_copy(update={"search": "paper"}), n) for c, _, n in cells if c.debater
                == config.debater.label() and not c.search]  # fmt: skip
        assert paper == pool and len(paper) == 4 * len(config.pixel_counts)
        assert config.pool_for("paper") == PoolSettings(candidates=None, prior="uniform")
        assert config.judge.precision == "auto"
    with pytest.raises(ConfigError, match=r"mine: pixel_counts: pixel count 0 is outside 1..64"):
        parse_mnist_config({"type": "irving-mnist", "pixel_counts": [0]}, "mine")
    with pytest.raises(
        ConfigError, match=r"mine: curve_rollouts: rollout budget 0 is outside 1..100000"
    ):
        parse_mnist_config({"type": "irving-mnist", "curve_rollouts": [3, 0]}, "mine")


def test_a_tiny_run_writes_the_table_report_plot_and_agrees_with_the_engine(
    tmp_path: Path,
) -> None:
    config = tiny_config()
    outcome = run_mnist(config, tmp_path / "run", data_root=MNIST.parent, log=lambda _: None)
    rows = rows_by_cell(outcome.rows)
    alone = rows[("judge-alone", None, None, "")]
    assert alone["n"] == 300 and alone["paper"] == 59.4
    assert 0.15 < alone["accuracy"] <= 1
    for first in ("honest", "liar"):
        for precommit in (True, False):
            for key in (("debate", first, precommit, "mcts-6"),
                        ("debate", first, precommit, "mcts-6", "paper")):  # fmt: skip
                row = rows[key]
                assert row["n"] == 2 and row["incomplete"] == 0
                assert row["ci_low"] <= row["accuracy"] <= row["ci_high"]
                paper = 88.9 if (first, precommit) == ("honest", True) else None
                assert row["paper"] == paper  # liar first, no precommit: no paper figure
    assert rows[("debate", "honest", True, "greedy")]["n"] == 2
    assert rows[("debate", "honest", True, "mcts-2")]["n"] == 2
    assert rows[("debate", "honest", True, "greedy")]["paper"] is None
    assert rows[("debate", "honest", True, "mcts-2")]["paper"] is None
    games = (outcome.run_dir / GAMES).read_text().splitlines()
    # per image, with each search: 9 lies x 2 orders (precommit) + 2 open games; and then
    # 9 greedy + 9 mcts-2 games
    assert len(games) == outcome.games_played == 2 * (2 * (18 + 2) + 9 + 9)
    saved = json.loads((outcome.run_dir / "config.json").read_text())
    assert MnistDebateConfig.model_validate(saved) == config
    report = (outcome.run_dir / "report.md").read_text()
    assert "59.4%" in report and "88.9%" in report and "judge alone" in report
    assert "**The headline uses the candidate pool**" in report
    assert "## The headline's pool against the paper's search" in report
    table = {line.split(" | ")[0]: line for line in report.splitlines() if line.startswith("| ")}
    assert "88.9%" in table["| debate, precommit, honest first (mcts-6)"]
    assert "88.9%" in table["| debate, precommit, honest first (mcts-6, paper's search)"]
    for label in ("liar first (mcts-6)", "liar first (mcts-6, paper's search)"):
        assert table[f"| debate, precommit, {label}"].endswith("| — |")
    assert (outcome.run_dir / "plots" / "rollouts.png").stat().st_size > 1000
    check = outcome.timing["engine_check"]
    assert check["compared"] == check["debates"] > 0 and check["disagree"] == 0
    again = run_mnist(config, outcome.run_dir, resume=True, data_root=MNIST.parent, log=print)
    assert again.games_played == 0 and again.games_skipped == outcome.games_played
    with pytest.raises(ConfigError, match="already holds"):
        run_mnist(config, outcome.run_dir, data_root=MNIST.parent, log=print)
    (outcome.run_dir / "report.md").unlink()
    proc = debate("report", outcome.run_dir)  # rebuilt from the stored games alone
    assert proc.returncode == 0, proc.stderr
    assert "judge alone" in proc.stdout and (outcome.run_dir / "report.md").exists()


def test_a_killed_run_keeps_its_games_and_resumes_to_the_same_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = tiny_config(
        images=1, firsts=["honest"], precommit=[True], transcript_images=0, window=2,
        curve_rollouts=[], greedy_baseline=False,
    )  # fmt: skip
    straight = run_mnist(config, tmp_path / "straight", data_root=MNIST.parent, log=print)

    calls = {"n": 0}
    real = PixelEvaluator.logits

    def dies_midway(self: PixelEvaluator, reveals: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 40:
            raise KeyboardInterrupt
        return real(self, reveals)

    monkeypatch.setattr(PixelEvaluator, "logits", dies_midway)
    killed = tmp_path / "killed"
    with pytest.raises(KeyboardInterrupt):
        run_mnist(config, killed, data_root=MNIST.parent, log=print)
    kept = len((killed / GAMES).read_text().splitlines())
    assert 0 < kept < straight.games_played
    monkeypatch.setattr(PixelEvaluator, "logits", real)
    resumed = run_mnist(config, killed, resume=True, data_root=MNIST.parent, log=print)
    assert resumed.games_skipped == kept
    assert resumed.games_played + kept == straight.games_played
    strip = ("incomplete",)
    assert [{k: v for k, v in r.items() if k not in strip} for r in resumed.rows] == [
        {k: v for k, v in r.items() if k not in strip} for r in straight.rows
    ]


def test_bad_config_and_missing_data_are_one_line_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('type = "irving-mnist"\nrollouts = 5\n')
    assert_one_line_error(debate("run", "--config", bad), "unknown parameter 'rollouts'")
    proc = debate(
        "eval", "--preset", "irving-mnist", "--quick", "--data-dir", tmp_path,
        "--out", tmp_path / "run",
    )  # fmt: skip
    assert_one_line_error(proc, "MNIST directory not found")
    assert not (tmp_path / "run").exists()


def test_precommit_images_are_lost_to_any_winning_lie_and_incomplete_ones_left_out(
    tmp_path: Path,
) -> None:
    from debate.domains.pixel_play import GameRecord
    from evals.mnist.cells import Cell, GameLine
    from evals.mnist.report import cell_rows
    from transcripts.store import append_lines

    cell = Cell(pixels=6, kind="debate", first="honest", precommit=True, debater="mcts-1")
    lines = []
    for image, lost_to, lies in ((1, None, 9), (2, 4, 9), (3, None, 8)):
        for lie in [d for d in range(10) if d != 7][:lies]:
            record = GameRecord(
                honest="7", liar=str(lie), first="honest", moves=[], logits=[0.0] * 10,
                margin=-1.0 if lie == lost_to else 1.0, honest_won=lie != lost_to,
            )  # fmt: skip
            line = GameLine(cell=cell, image=image, label=7, record=record, seed=0)
            lines.append(line.model_dump_json())
    append_lines(tmp_path / GAMES, lines)
    (row,) = cell_rows(tmp_path, MnistDebateConfig(debater=SearchSpec(rollouts=1)))
    assert (row["n"], row["correct"], row["incomplete"]) == (2, 1, 1)
    assert row["paper"] == 88.9
    (row,) = cell_rows(tmp_path, MnistDebateConfig())  # mcts-1 is not this config's debater
    assert row["paper"] is None


@pytest.mark.slow
def test_the_quick_preset_runs_end_to_end_from_the_command_line(tmp_path: Path) -> None:
    """``debate eval --preset irving-mnist --quick`` (training its quick judges when they are
    not cached yet); tests never assert timings, the closing notes report them."""
    proc = debate("eval", "--preset", "irving-mnist", "--quick", "--out", tmp_path / "quick")
    assert proc.returncode == 0, proc.stderr
    assert "judge alone" in proc.stdout and "run directory" in proc.stdout
    report = (tmp_path / "quick" / "report.md").read_text()
    assert "88.9%" in report and "85.2%" in report and "paper's search" in report
