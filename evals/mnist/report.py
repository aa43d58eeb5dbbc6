"""Results, report and plot of the MNIST reproduction, recomputed from the stored records.

A debate image counts once per cell: with precommit the honest side wins the image only if it
wins all nine games (one per lie); without, it must win the one game. Images whose games are
not all stored yet (a run killed mid-image) are left out and counted as incomplete. Every
accuracy carries a 95% Wilson interval and, where the paper gives one, the paper's figure.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from evals.metrics import wilson_interval
from evals.mnist.cells import GAMES, JUDGE_ALONE, Cell, GameLine, JudgeAloneLine
from evals.mnist.config import PAPER, MnistDebateConfig, parse_mnist_config
from transcripts.store import JsonlRecords

TOLERANCE = {"judge-alone": 3.0, "precommit": 5.0}
"""How close the issue asks us to be to the paper (percentage points)."""


def paper_figure(cell: Cell) -> float | None:
    if cell.kind == "judge-alone":
        return PAPER.get(("judge-alone", cell.pixels))
    if cell.precommit:
        return PAPER.get(("precommit", cell.pixels))
    return None


def cell_rows(run_dir: Path) -> list[dict[str, Any]]:
    """One row per cell: parameters, n, correct, accuracy with CI, paper figure."""
    rows = []
    for line in (
        JsonlRecords(run_dir / JUDGE_ALONE, JudgeAloneLine, JudgeAloneLine.key).read().records
    ):
        rows.append(_row(line.cell, line.n, line.correct, 0))
    per_image: dict[str, dict[int, list[GameLine]]] = defaultdict(lambda: defaultdict(list))
    cells: dict[str, Cell] = {}
    for game in JsonlRecords(run_dir / GAMES, GameLine, GameLine.key).read().records:
        per_image[game.cell.key()][game.image].append(game)
        cells[game.cell.key()] = game.cell
    for key, images in per_image.items():
        cell = cells[key]
        needed = 9 if cell.precommit else 1
        complete = [g for g in images.values() if len(g) == needed]
        won = sum(all(game.record.honest_won for game in games) for games in complete)
        rows.append(_row(cell, len(complete), won, len(images) - len(complete)))
    return rows


def _row(cell: Cell, n: int, correct: int, incomplete: int) -> dict[str, Any]:
    low, high = wilson_interval(correct, n)
    paper = paper_figure(cell)
    accuracy = correct / n if n else float("nan")
    return {
        **cell.model_dump(mode="json"),
        "n": n,
        "correct": correct,
        "accuracy": accuracy,
        "ci_low": low,
        "ci_high": high,
        "incomplete": incomplete,
        "paper": paper,
        "delta_points": None if paper is None else round(100 * accuracy - paper, 2),
    }


def table_rows(rows: list[dict[str, Any]]) -> dict[str, dict[int, dict[str, Any]]]:
    """Rows grouped as the table shows them: row label -> pixel count -> result."""
    table: dict[str, dict[int, dict[str, Any]]] = defaultdict(dict)
    for row in rows:
        cell = Cell.model_validate({k: row[k] for k in Cell.model_fields})
        table[cell.row_label()][cell.pixels] = row
    return dict(table)


def _pct(row: dict[str, Any] | None) -> str:
    if row is None or not row["n"]:
        return "—"
    return (
        f"{100 * row['accuracy']:.1f}% [{100 * row['ci_low']:.1f}, "
        f"{100 * row['ci_high']:.1f}] (n={row['n']})"
    )


def markdown(rows: list[dict[str, Any]], config: MnistDebateConfig, timing: dict[str, Any]) -> str:
    columns = sorted(config.pixel_counts)
    header = "| | " + " | ".join(f"{k} pixels (ours) | {k} pixels (paper)" for k in columns)
    lines = [
        f"# {config.name}",
        "",
        "Accuracy with a 95% Wilson interval and n (images). Debate accuracy is the share of",
        "images the honest debater wins; with precommit it must beat all nine lies. Paper:",
        "Irving, Christiano, Amodei 2018, section 3.1 (one precommit figure per pixel count).",
        "",
        header + " |",
        "|---" * (1 + 2 * len(columns)) + "|",
    ]
    for label, by_pixels in table_rows(rows).items():
        cells = []
        for k in columns:
            found = by_pixels.get(k)
            paper = found["paper"] if found else None
            cells += [_pct(found), "—" if paper is None else f"{paper:.1f}%"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Against the paper", ""]
    for row in rows:
        if row["paper"] is None or not row["n"]:
            continue
        cell = Cell.model_validate({k: row[k] for k in Cell.model_fields})
        tolerance = TOLERANCE["judge-alone" if cell.kind == "judge-alone" else "precommit"]
        verdict = "within" if abs(row["delta_points"]) <= tolerance else "OUTSIDE"
        lines.append(
            f"- {cell.row_label()}, {cell.pixels} pixels: {100 * row['accuracy']:.1f}% vs "
            f"{row['paper']:.1f}% ({row['delta_points']:+.1f} points; {verdict} ±{tolerance:g})"
        )
    incomplete = sum(row["incomplete"] for row in rows)
    if incomplete:
        lines += ["", f"{incomplete} images are incomplete (run killed mid-image; resume)."]
    lines += ["", "![debate accuracy against rollouts](plots/rollouts.png)", ""]
    if timing:
        lines += ["## Compute", "", "```", json.dumps(_timing_summary(timing), indent=2), "```"]
    return "\n".join(lines) + "\n"


def _timing_summary(timing: dict[str, Any]) -> dict[str, Any]:
    summary = {k: v for k, v in timing.items() if k != "judges"}
    for pixels, report in timing.get("judges", {}).items():
        summary[f"judge_{pixels}px_training_seconds"] = report.get("seconds")
        summary[f"judge_{pixels}px_held_out_accuracy"] = report.get("validation_accuracy")
    return summary


def mnist_run_config(run_dir: Path) -> MnistDebateConfig | None:
    """The run's config if ``run_dir`` holds an MNIST reproduction (for ``debate report``)."""
    from evals.rundir import CONFIG

    try:
        data = json.loads((run_dir / CONFIG).read_text())
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("type") != "irving-mnist":
        return None
    return parse_mnist_config(data, str(run_dir / CONFIG))


def write_outputs(run_dir: Path, config: MnistDebateConfig) -> list[dict[str, Any]]:
    """results.csv/json, report.md and plots/rollouts.png from the stored records."""
    from evals.mnist.plot import rollout_plot

    rows = cell_rows(run_dir)
    (run_dir / "results.json").write_text(json.dumps(rows, indent=2) + "\n")
    if rows:
        with (run_dir / "results.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    timing_file = run_dir / "timing.json"
    timing = json.loads(timing_file.read_text()) if timing_file.exists() else {}
    rollout_plot(rows, config, run_dir / "plots" / "rollouts.png")
    (run_dir / "report.md").write_text(markdown(rows, config, timing))
    return rows
