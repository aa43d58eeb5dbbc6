"""Paper-grade figures of an eval: grouped bars of accuracy (protocol x judge) with their
question-clustered 95% intervals, in the colour-blind-safe Okabe-Ito palette, the legend
outside the axes, as PNG and SVG (``evals.report.save_figure``). Drawn on the Agg canvas,
never through pyplot's global state; matplotlib is imported only when drawing."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evals.results import CellResult


def _group_label(cell: dict[str, object], varying: list[str]) -> str:
    protocol = str(cell.get("protocol", ""))
    rest = [f"{k}={cell[k]}" for k in varying if k in cell and k not in ("protocol", "judge")]
    return "\n".join([protocol, *rest])


def plot_grouped_accuracy(
    path: Path, results: Sequence[CellResult], *, chance: float = 0.5
) -> list[Path]:
    """One group of bars per protocol (and the other parameters that vary), one bar per
    judge, each with its 95% interval; the dashed line is chance. Returns the files."""
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from evals.report import OKABE_ITO, plot_text, save_figure

    keys = list(dict.fromkeys(k for r in results for k in r.cell))
    varying = [k for k in keys if len({str(r.cell.get(k)) for r in results}) > 1]
    judges = list(dict.fromkeys(str(r.cell.get("judge", "judge")) for r in results))
    groups = list(dict.fromkeys(_group_label(r.cell, varying) for r in results))
    width = 0.8 / max(len(judges), 1)
    fig = Figure(figsize=(max(5.0, 1.1 * len(groups) * max(1, len(judges)) ** 0.5 + 2.5), 3.8))
    fig.set_layout_engine("constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for j, judge in enumerate(judges):
        xs, ys, errs = [], [], []
        for r in results:
            if str(r.cell.get("judge", "judge")) != judge:
                continue
            xs.append(
                groups.index(_group_label(r.cell, varying)) + (j - (len(judges) - 1) / 2) * width
            )
            ys.append(r.accuracy)
            errs.append([max(0.0, r.accuracy - r.ci_low), max(0.0, r.ci_high - r.accuracy)])
        err = np.nan_to_num(np.array(errs, dtype=float).T) if errs else None
        ax.bar(
            xs,
            np.nan_to_num(np.array(ys, dtype=float)),
            width=width * 0.92,
            yerr=err,
            capsize=2.5,
            color=OKABE_ITO[j % len(OKABE_ITO)],
            edgecolor="black",
            linewidth=0.4,
            label=plot_text(judge),
            zorder=2,
        )
    ax.axhline(
        chance,
        color="black",
        linestyle="--",
        linewidth=0.9,
        label=f"chance ({chance:.2f})",
        zorder=3,
    )
    ticks = ["\n".join(plot_text(line) for line in g.split("\n")) for g in groups]
    ax.set_xticks(range(len(groups)), ticks, fontsize=8)
    ax.set_ylim(0.0, 1.0)
    ax.set_ylabel("accuracy (95% CI, clustered by question)")
    ax.grid(axis="y", linewidth=0.4, alpha=0.5, zorder=0)
    fig.legend(loc="outside right upper", fontsize=8, title="judge", title_fontsize=8)
    return save_figure(fig, path)
