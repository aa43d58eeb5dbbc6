"""Debate accuracy against the MCTS rollout budget (precommit, honest first), per pixel count.

Each line is one pixel count with 95% intervals; the paper's precommit figure is a dashed
line, our judge alone a dotted one, the greedy baseline a cross at the left edge and the main
budget with the paper's search (every pixel, uniform prior) a diamond beside the line. Drawn on
the Agg canvas directly (pyplot's global state is never touched), matplotlib imported here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.mnist.config import PAPER, MnistDebateConfig


def _curve(rows: Sequence[dict[str, Any]], pixels: int) -> list[tuple[int, dict[str, Any]]]:
    points = []
    for row in rows:
        debater = str(row["debater"])
        if (
            row["pixels"] == pixels
            and row["kind"] == "debate"
            and row["precommit"]
            and row["first"] == "honest"
            and debater.startswith("mcts-")
            and row["n"]
            and not row.get("search")
        ):
            points.append((int(debater.removeprefix("mcts-")), row))
    return sorted(points, key=lambda p: p[0])


def _point(ax: Any, x: float, row: dict[str, Any], marker: str, color: str, label: str) -> None:
    """One cell's accuracy (percent) at ``x`` with its 95% interval, unjoined."""
    ax.errorbar(
        [x],
        [100 * row["accuracy"]],
        yerr=[
            [100 * (row["accuracy"] - row["ci_low"])],
            [100 * (row["ci_high"] - row["accuracy"])],
        ],
        marker=marker,
        capsize=3,
        color=color,
        linestyle="none",
        label=label,
    )


def rollout_plot(rows: Sequence[dict[str, Any]], config: MnistDebateConfig, path: Path) -> Path:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path.parent.mkdir(parents=True, exist_ok=True)
    fig = Figure(figsize=(7.5, 4.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    budgets = sorted({x for pixels in config.pixel_counts for x, _ in _curve(rows, pixels)})
    greedy_x = min(budgets or [2]) / 2  # the greedy baseline sits left of the smallest budget
    colors = ["tab:blue", "tab:orange", "tab:green", "tab:red"]
    for color, pixels in zip(colors, sorted(config.pixel_counts), strict=False):
        points = _curve(rows, pixels)
        if points:
            ys = [100 * r["accuracy"] for _, r in points]
            low = [100 * (r["accuracy"] - r["ci_low"]) for _, r in points]
            high = [100 * (r["ci_high"] - r["accuracy"]) for _, r in points]
            ax.errorbar(
                [x for x, _ in points],
                ys,
                yerr=[low, high],
                marker="o",
                capsize=3,
                color=color,
                label=f"{pixels} px: debate (MCTS)",
            )
        paper = PAPER.get(("precommit", pixels))
        if paper is not None:
            ax.axhline(paper, color=color, linestyle="--", linewidth=1, label=f"{pixels} px: paper")
        for row in rows:
            if row["pixels"] != pixels or not row["n"]:
                continue
            if row["kind"] == "judge-alone":
                ax.axhline(
                    100 * row["accuracy"],
                    color=color,
                    linestyle=":",
                    linewidth=1,
                    label=f"{pixels} px: judge alone",
                )
            elif (
                row.get("search") == "paper"
                and row["precommit"]
                and row["first"] == "honest"
                and str(row["debater"]).startswith("mcts-")
            ):
                x = int(str(row["debater"]).removeprefix("mcts-")) * 1.12
                _point(ax, x, row, "D", color, f"{pixels} px: paper's search")
            elif row["debater"] == "greedy" and row["precommit"] and row["first"] == "honest":
                _point(ax, greedy_x, row, "x", color, f"{pixels} px: greedy debaters")
    ax.set_xscale("log")
    ax.set_xticks([greedy_x, *budgets], ["greedy", *(str(b) for b in budgets)])
    ax.minorticks_off()
    ax.set_xlabel("MCTS rollouts per move")
    ax.set_ylabel("accuracy (%)")
    ax.set_title("Sparse-pixel MNIST debate: precommit, honest first")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    from evals.report import save_figure

    save_figure(fig, path)
    return path
