"""Sweep plots: accuracy vs depth (one line per epsilon, theory dashed) and epsilon x depth
heatmaps. Drawn on the Agg canvas directly, as ``evals.report`` does, so pyplot's global
state is never touched; matplotlib is imported only here, only when plotting.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.report import save_figure
from evals.sweep.cells import LATER_DEFAULTS
from evals.sweep.report import EXTRA

Rows = Sequence[dict[str, Any]]


PER_PROTOCOL = ("reward_growth", "estimator")
"""Parameters of prover-estimator debate alone: its own plots (``evals.sweep.pe_report``)
cover their values, the generic ones only its default cells."""


def _variants(rows: Rows) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows split by the extra parameters that vary (one set of plots each), with a suffix."""
    rows = [r for r in rows if all(r[k] == LATER_DEFAULTS[k] for k in PER_PROTOCOL)]
    varying = [k for k in EXTRA if k not in PER_PROTOCOL and len({str(r[k]) for r in rows}) > 1]
    groups: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        suffix = "".join(f"-{k}{'full' if r[k] is None else r[k]}" for k in varying)
        groups.setdefault(suffix, []).append(r)
    return list(groups.items())


def _unique(rows: Rows, key: str) -> list[Any]:
    return list(dict.fromkeys(r[key] for r in rows))


def plot_sweep(folder: Path, rows: Rows) -> list[Path]:
    """Write every plot for ``rows`` into ``folder``; return their paths (none if no rows)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths: list[Path] = []
    for suffix, group in _variants(rows):
        paths.append(plot_accuracy_vs_depth(folder / f"accuracy_vs_depth{suffix}.png", group))
        paths.append(plot_heatmaps(folder / f"heatmap{suffix}.png", group))
    if any(r["queries"] > 1 for r in rows):
        paths.append(plot_judge_queries(folder / "judge_queries_vs_depth.png", rows))
    return paths


def plot_judge_queries(path: Path, rows: Rows) -> Path:
    """Stochastic-oracle cells: the judge's oracle queries per debate against depth, one
    line per protocol x queries, at the largest epsilon (where checks fail most, so judging
    every level stops soonest); legend outside the axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from evals.report import OKABE_ITO

    oracle = [r for r in rows if r["queries"] > 1]
    eps = max(r["epsilon"] for r in oracle)
    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    keys = list(dict.fromkeys((r["protocol"], r["queries"]) for r in oracle))
    protocols = list(dict.fromkeys(p for p, _ in keys))
    styles = [("o", "-"), ("s", "--"), ("^", ":"), ("D", "-.")]
    for k, (protocol, queries) in enumerate(keys):
        # Protocols of equal cost would hide each other: each has its marker and dash.
        marker, dash = styles[protocols.index(protocol) % len(styles)]
        line = sorted(
            (
                r
                for r in oracle
                if (r["protocol"], r["queries"], r["epsilon"]) == (protocol, queries, eps)
            ),
            key=lambda r: r["depth"],
        )
        ax.plot(
            [r["depth"] for r in line],
            [r["judge_queries"] for r in line],
            color=OKABE_ITO[k % len(OKABE_ITO)],
            marker=marker,
            linestyle=dash,
            markersize=7 - 2 * protocols.index(protocol) % 6,
            label=f"{protocol}, m={queries}",
        )
    ax.set_xlabel("depth d")
    ax.set_ylabel(f"judge's oracle queries per debate (ε={eps:g})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    save_figure(fig, path)
    return path


def _grid(
    rows: Rows, width: float, height: float, right: float
) -> tuple[Any, Any, list[str], list[str]]:
    """A figure with one subplot per protocol (rows) x error model (columns).

    Fixed margins in inches rather than constrained layout, which costs more than the drawing
    itself with a dozen subplots; ``right`` leaves room for a legend or colour bar.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    protocols, models = _unique(rows, "protocol"), _unique(rows, "error_model")
    size = (width * len(models) + right, height * len(protocols))
    fig = Figure(figsize=size)
    FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=0.7 / size[0],
        right=1 - (right + 0.1) / size[0],
        bottom=0.5 / size[1],
        top=1 - 0.35 / size[1],
        wspace=0.35,
        hspace=0.6,
    )
    axes = fig.subplots(len(protocols), len(models), squeeze=False)
    return fig, axes, protocols, models


def plot_accuracy_vs_depth(path: Path, rows: Rows) -> Path:
    """Accuracy vs depth, one subplot per protocol (rows) x error model (columns).

    One line per epsilon with 95% Wilson error bars; the closed form, where there is one, is
    dashed in the same colour. The grey line is chance.
    """
    import numpy as np
    from matplotlib import colormaps

    fig, axes, protocols, models = _grid(rows, 3.4, 2.6, right=1.3)
    epsilons = sorted(_unique(rows, "epsilon"))
    colours = colormaps["viridis"](np.linspace(0, 0.9, max(len(epsilons), 1)))
    for i, protocol in enumerate(protocols):
        for j, model in enumerate(models):
            ax = axes[i][j]
            for eps, colour in zip(epsilons, colours, strict=True):
                line = sorted(
                    (
                        r
                        for r in rows
                        if (r["protocol"], r["error_model"], r["epsilon"]) == (protocol, model, eps)
                    ),
                    key=lambda r: r["depth"],
                )
                if not line:
                    continue
                depth = np.array([r["depth"] for r in line])
                acc = np.array([r["accuracy"] for r in line])
                err = np.array(
                    [
                        [r["accuracy"] - r["ci_low"] for r in line],
                        [r["ci_high"] - r["accuracy"] for r in line],
                    ]
                )
                ax.errorbar(
                    depth,
                    acc,
                    yerr=err,
                    color=colour,
                    marker="o",
                    markersize=3,
                    linewidth=1.2,
                    capsize=2,
                    label=f"ε={eps:g}",
                )
                theory = np.array([np.nan if r["theory"] is None else r["theory"] for r in line])
                if not np.all(np.isnan(theory)):
                    # Drawn over the data, black-edged, so a matching simulation never hides it.
                    ax.plot(
                        depth,
                        theory,
                        color="black",
                        linestyle="--",
                        linewidth=1.6,
                        zorder=4,
                    )
                    ax.plot(depth, theory, color=colour, linestyle="--", linewidth=0.9, zorder=5)
            ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
            ax.set_ylim(-0.02, 1.02)
            ax.set_title(f"{protocol} / {model}", fontsize=9)
            ax.set_xlabel("depth d", fontsize=8)
            ax.set_ylabel("accuracy", fontsize=8)
            ax.tick_params(labelsize=7)
    handles, labels = axes[0][0].get_legend_handles_labels()
    if handles:
        fig.legend(
            handles,
            labels,
            loc="outside right upper",
            fontsize=8,
            title="solid: simulated\ndashed: theory",
            title_fontsize=7,
        )
    save_figure(fig, path)
    return path


def plot_heatmaps(path: Path, rows: Rows) -> Path:
    """Accuracy over epsilon (rows) x depth (columns), per protocol x error model."""
    import numpy as np

    fig, axes, protocols, models = _grid(rows, 3.2, 2.6, right=1.0)
    epsilons = sorted(_unique(rows, "epsilon"))
    depths = sorted(_unique(rows, "depth"))
    image = None
    for i, protocol in enumerate(protocols):
        for j, model in enumerate(models):
            ax = axes[i][j]
            grid = np.full((len(epsilons), len(depths)), np.nan)
            for r in rows:
                if (r["protocol"], r["error_model"]) == (protocol, model):
                    grid[epsilons.index(r["epsilon"]), depths.index(r["depth"])] = r["accuracy"]
            image = ax.imshow(grid, vmin=0, vmax=1, cmap="cividis", aspect="auto", origin="lower")
            if grid.size <= 120:
                for (y, x), value in np.ndenumerate(grid):
                    if not np.isnan(value):
                        ax.text(x, y, f"{value:.2f}", ha="center", va="center", fontsize=6)
            ax.set_xticks(range(len(depths)), [str(d) for d in depths], fontsize=7)
            ax.set_yticks(range(len(epsilons)), [f"{e:g}" for e in epsilons], fontsize=7)
            ax.set_title(f"{protocol} / {model}", fontsize=9)
            ax.set_xlabel("depth d", fontsize=8)
            ax.set_ylabel("ε", fontsize=8)
    if image is not None:
        fig.colorbar(image, ax=axes, shrink=0.6, fraction=0.04, pad=0.03, label="accuracy")
    save_figure(fig, path)
    return path
