"""Results, report and plot of the MNIST reproduction, recomputed from the stored records.

A debate image counts once per cell: with precommit the honest side wins the image only if it
wins all nine games (one per lie); without, it must win the one game. Images whose games are
not all stored yet (a run killed mid-image) are left out and counted as incomplete. Every
accuracy carries a 95% Wilson interval and, where the paper reports that cell, the paper's
figure: the judge alone, and debate with precommit and the honest side first for the main
debater (with either search); every other row shows none rather than a figure for another
setting. The main debater's cells are played with the headline's candidate pool and with the
paper's search on the same images, and the report sets the two side by side.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from debate.domains.pixel_play import PoolSettings
from evals.metrics import wilson_interval
from evals.mnist.cells import GAMES, JUDGE_ALONE, Cell, GameLine, JudgeAloneLine
from evals.mnist.config import PAPER, MnistDebateConfig
from transcripts.store import JsonlRecords

TOLERANCE = {"judge-alone": 3.0, "precommit": 5.0}
"""How close the issue asks us to be to the paper (percentage points)."""


def paper_figure(cell: Cell, main: str) -> float | None:
    """The paper's figure for ``cell``, or None where the paper reports no such cell (``main``
    is the main debater's label: greedy and other budgets are not the paper's players)."""
    if cell.kind == "judge-alone":
        return PAPER.get(("judge-alone", cell.pixels))
    if cell.precommit and cell.first == "honest" and cell.debater == main:
        return PAPER.get(("precommit", cell.pixels))
    return None


def cell_rows(run_dir: Path, config: MnistDebateConfig) -> list[dict[str, Any]]:
    """One row per cell: parameters, n, correct, accuracy with CI, paper figure."""
    main = config.debater.label()
    rows = []
    for line in (
        JsonlRecords(run_dir / JUDGE_ALONE, JudgeAloneLine, JudgeAloneLine.key).read().records
    ):
        rows.append(_row(line.cell, line.n, line.correct, 0, main))
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
        rows.append(_row(cell, len(complete), won, len(images) - len(complete), main))
    return rows


def _row(cell: Cell, n: int, correct: int, incomplete: int, main: str) -> dict[str, Any]:
    low, high = wilson_interval(correct, n)
    paper = paper_figure(cell, main)
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


def _order(cell: Cell, main: str) -> tuple[int, int, int, int]:
    """Table order: judge alone; the main debater's rows with the headline's pool, then with
    the paper's search; greedy; the curve."""
    if cell.kind == "judge-alone":
        return (0, 0, 0, 0)
    budget = int(cell.debater.removeprefix("mcts-")) if cell.debater.startswith("mcts-") else 0
    if cell.debater == main:
        group = 2 if cell.search == "paper" else 1
    else:
        group = 3 if cell.debater == "greedy" else 4
    return (group, budget, int(not cell.precommit), int(cell.first != "honest"))


def table_rows(
    rows: list[dict[str, Any]], config: MnistDebateConfig
) -> dict[str, dict[int, dict[str, Any]]]:
    """Rows grouped as the table shows them, in table order: label -> pixel count -> row."""
    cells = [(Cell.model_validate({k: r[k] for k in Cell.model_fields}), r) for r in rows]
    cells.sort(key=lambda item: _order(item[0], config.debater.label()))
    table: dict[str, dict[int, dict[str, Any]]] = {}
    for cell, row in cells:
        table.setdefault(cell.row_label(), {})[cell.pixels] = row
    return table


def _pct(row: dict[str, Any] | None) -> str:
    if row is None or not row["n"]:
        return "—"
    return (
        f"{100 * row['accuracy']:.1f}% [{100 * row['ci_low']:.1f}, "
        f"{100 * row['ci_high']:.1f}] (n={row['n']})"
    )


def markdown(rows: list[dict[str, Any]], config: MnistDebateConfig, timing: dict[str, Any]) -> str:
    columns = sorted(config.pixel_counts)
    main = config.debater.label()
    header = "| | " + " | ".join(f"{k} pixels (ours) | {k} pixels (paper)" for k in columns)
    searches = config.searches()
    headline = "the paper's search" if not config.pool.uses_judge else "the candidate pool"
    lines = [
        f"# {config.name}",
        "",
        "Accuracy with a 95% Wilson interval and n (images). Debate accuracy is the share of",
        "images the honest debater wins; with precommit it must beat all nine lies. Paper:",
        "Irving, Christiano, Amodei 2018 (abstract, section 3.1): the judge alone and debate with",
        "precommit (its own MCTS debaters), one figure per pixel count, shown beside our",
        "precommit, honest-first rows of the main debater only (— on every other row).",
        "",
        f"Debaters: {main} (rollouts per move). **The headline uses {headline}**: rows without",
        f"a suffix search {search_text(config.pool)}."
        + (
            f' Rows marked "paper\'s search" play the same images with the same budget and'
            f" search {search_text(searches['paper'])}, as the paper did."
            if "paper" in searches
            else ""
        ),
        "Greedy and the other budgets are baselines and the rollout curve (headline's search).",
        "",
        header + " |",
        "|---" * (1 + 2 * len(columns)) + "|",
    ]
    table = table_rows(rows, config)
    for label, by_pixels in table.items():
        cells = []
        for k in columns:
            found = by_pixels.get(k)
            paper = found["paper"] if found else None
            cells += [_pct(found), "—" if paper is None else f"{paper:.1f}%"]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")
    lines += ["", "## Against the paper", ""]
    for by_pixels in table.values():
        for k in columns:
            row = by_pixels.get(k)
            if row is None or row["paper"] is None or not row["n"]:
                continue
            cell = Cell.model_validate({f: row[f] for f in Cell.model_fields})
            tolerance = TOLERANCE["judge-alone" if cell.kind == "judge-alone" else "precommit"]
            verdict = "within" if abs(row["delta_points"]) <= tolerance else "OUTSIDE"
            lines.append(
                f"- {cell.row_label()}, {k} pixels: {100 * row['accuracy']:.1f}% vs "
                f"{row['paper']:.1f}% ({row['delta_points']:+.1f} points; {verdict} "
                f"±{tolerance:g} points)"
            )
    lines += _search_comparison(rows, config)
    incomplete = sum(row["incomplete"] for row in rows)
    if incomplete:
        lines += ["", f"{incomplete} images are incomplete (run killed mid-image; resume)."]
    lines += ["", "![debate accuracy against rollouts](plots/rollouts.png)", ""]
    if timing:
        lines += _compute(timing)
    return "\n".join(lines) + "\n"


def _duration(seconds: float) -> str:
    return f"{seconds:.0f} s" if seconds < 360 else f"{seconds / 3600:.2f} h"


def precision_text(report: dict[str, Any]) -> str:
    """How a judge's training batches ran, from its training record (a dumped report)."""
    precision = report.get("precision") or "unrecorded precision"
    speed = report.get("speed")
    if not speed:
        return f"{precision} autocast, {report['threads']} threads"
    from judges.pixels.speed import SpeedChoice

    return SpeedChoice.model_validate(speed).describe()


def search_text(pool: PoolSettings) -> str:
    """What a player's search considers, in words."""
    if pool.candidates is None:
        return f"every nonzero pixel with a {pool.prior} prior"
    prior = (
        "a prior from the judge's single-pixel verdicts"
        if pool.prior == "judge"
        else ("a uniform prior")
    )
    return (
        f"a pool of the {pool.candidates} pixels whose single-pixel verdict favours each "
        f"player most, with {prior}"
    )


def _search_comparison(rows: list[dict[str, Any]], config: MnistDebateConfig) -> list[str]:
    """The main debater's cells with the headline's pool and with the paper's search."""
    if "paper" not in config.searches():
        return []
    main = config.debater.label()
    found = {
        (r["pixels"], r["precommit"], r["first"], r["search"]): r
        for r in rows
        if r["kind"] == "debate" and r["debater"] == main and r["n"]
    }
    lines = [
        "",
        "## The headline's pool against the paper's search",
        "",
        f"Same images, same budget ({main}); the headline is the pool.",
        "",
    ]
    for k in sorted(config.pixel_counts):
        for precommit in config.precommit:
            for first in config.firsts:
                pool = found.get((k, precommit, first, ""))
                paper = found.get((k, precommit, first, "paper"))
                if pool is None or paper is None:
                    continue
                commit = "precommit" if precommit else "no precommit"
                delta = 100 * (pool["accuracy"] - paper["accuracy"])
                lines.append(
                    f"- {k} pixels, {commit}, {first} first: pool {_pct(pool)}, paper's search "
                    f"{_pct(paper)} (pool {delta:+.1f} points)"
                )
    return lines


def _compute(timing: dict[str, Any]) -> list[str]:
    """The run's compute as a short table (timing.json has every figure)."""
    lines = ["## Compute (this run, this machine)", "", "| what | figure |", "|---|---|"]
    for pixels, report in timing.get("judges", {}).items():
        accuracy = report.get("validation_accuracy")
        lines.append(
            f"| {pixels}-pixel judge training | {report['steps_done']} batches, "
            f"{_duration(report['seconds'])} on {report['device']}, {precision_text(report)}, "
            f"held-out accuracy {accuracy} |"
        )
    for key, value in timing.items():
        if key.startswith("search_") and value.get("seconds"):
            pixels = key.removeprefix("search_")
            seconds = value["seconds"]
            judge = value["judge_seconds"] or float("nan")
            lines.append(
                f"| games, {pixels} | {value['games']} games in {seconds:.0f} s; "
                f"{value['rollouts']:,} rollouts ({value['rollouts'] / seconds:,.0f}/s); "
                f"{value['judge_evaluations']:,} judge evaluations "
                f"({value['judge_evaluations'] / judge:,.0f}/s) for "
                f"{value['judge_calls_requested']:,} requests "
                f"({100 * value['cache_hit_rate']:.1f}% cached) |"
            )
    check = timing.get("engine_check")
    if check:
        lines.append(
            f"| engine replay | {check['compared']} debates compared with the fast path, "
            f"{check['disagree']} disagree, {check['errors']} failed |"
        )
    total = timing.get("total_seconds")
    if total is not None:
        lines.append(f"| wall time | {total:.0f} s ({total / 60:.1f} min) |")
    return [*lines, ""]


def write_outputs(run_dir: Path, config: MnistDebateConfig) -> list[dict[str, Any]]:
    """results.csv/json, report.md and plots/rollouts.png from the stored records."""
    from evals.mnist.plot import rollout_plot

    rows = cell_rows(run_dir, config)
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
