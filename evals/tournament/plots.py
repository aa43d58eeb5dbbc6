"""Tournament plots: the cross-play matrix, accuracy against rating (Khan et al. 2024) and
oversight scaling (Engels et al. 2025).

Colour-blind-safe throughout (the Okabe-Ito palette for series, cividis for the matrix),
labelled axes, and legends placed outside the axes so they cover no data. Drawn on the
Agg canvas (pyplot's global state untouched); each plot is written as PNG and SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.report import OKABE_ITO, save_figure
from evals.report import plot_text as plain
from evals.tournament.analysis import Analysis, Setting
from evals.tournament.oversight import fit_double_relu

MARKERS = ("o", "s", "^", "D", "v", "P", "X")


def _figure(width: float, height: float) -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def plot_crossplay(path: Path, a: Analysis, s: Setting) -> list[Path]:
    """One heatmap per judge: accuracy with each player honest (rows) against each liar."""
    import numpy as np

    n = len(s.players)
    fig = _figure(0.9 + (1.1 + 0.55 * n) * len(s.judges), 1.3 + 0.5 * n)
    axes = fig.subplots(1, len(s.judges), squeeze=False)[0]
    image = None
    for ax, judge in zip(axes, s.judges, strict=True):
        grid = np.array(
            [
                [a.value.get(f"cross|{judge}|{h}|{x}", math.nan) for x in s.players]
                for h in s.players
            ]
        )
        image = ax.imshow(grid, cmap="cividis", vmin=0, vmax=1)
        for i in range(n):
            for j in range(n):
                if math.isfinite(grid[i, j]):
                    colour = "black" if grid[i, j] > 0.6 else "white"
                    ax.text(
                        j,
                        i,
                        f"{grid[i, j]:.2f}",
                        ha="center",
                        va="center",
                        fontsize=7,
                        color=colour,
                    )
        labels = [plain(p) for p in s.players]
        ax.set_xticks(range(n), labels, rotation=45, ha="right", fontsize=8)
        ax.set_yticks(range(n), labels, fontsize=8)
        ax.set_xlabel("lying debater")
        ax.set_ylabel("honest debater")
        ax.set_title(f"judge {plain(judge)}", fontsize=9)
    if image is not None:
        fig.colorbar(image, ax=list(axes), label="judge accuracy", shrink=0.8)
    return save_figure(fig, path)


def _series(ax: Any, x: Sequence[float], y: Sequence[float], k: int, label: str) -> None:
    import numpy as np

    pts = [(a, b) for a, b in zip(x, y, strict=True) if math.isfinite(a) and math.isfinite(b)]
    if not pts:
        return
    xs, ys = np.array([p[0] for p in pts]), np.array([p[1] for p in pts])
    colour = OKABE_ITO[k % len(OKABE_ITO)]
    ax.scatter(xs, ys, color=colour, marker=MARKERS[k % len(MARKERS)], label=label, zorder=3)
    if len(set(xs.tolist())) >= 2:
        slope, intercept = np.polyfit(xs, ys, 1)
        grid = np.linspace(xs.min(), xs.max(), 20)
        ax.plot(grid, intercept + slope * grid, color=colour, linewidth=1.2, zorder=2)


def plot_accuracy_vs_rating(path: Path, a: Analysis, s: Setting) -> list[Path]:
    """Per judge: accuracy in self-play debate and in each consultancy against the debater's
    rating (top), and cross-play accuracy against the honest side's rating lead (bottom)."""
    fig = _figure(0.8 + 3.6 * len(s.judges), 6.4)
    axes = fig.subplots(2, len(s.judges), squeeze=False)
    for col, judge in enumerate(s.judges):
        top, bottom = axes[0][col], axes[1][col]
        rating = [a.value.get(f"rating|{judge}|{p}", math.nan) for p in s.players]
        self_play = [a.value.get(f"self|{judge}|{p}", math.nan) for p in s.players]
        _series(top, rating, self_play, 0, f"{s.rating_protocol} (self-play)")
        for k, protocol in enumerate(s.consultancies, start=1):
            acc = [a.value.get(f"consult|{judge}|{protocol}|{p}", math.nan) for p in s.players]
            _series(top, rating, acc, k, plain(protocol))
        for protocol in s.baselines:
            top.axhline(
                a.value.get(f"naive|{judge}|{protocol}", math.nan),
                color="grey",
                linestyle=":",
                linewidth=1,
                label=f"{plain(protocol)} (no debater)",
            )
        top.set_xlabel("debater rating (Elo, honest and liar averaged)")
        top.set_ylabel("judge accuracy")
        top.set_ylim(-0.02, 1.02)
        top.set_title(f"judge {plain(judge)}", fontsize=9)
        top.legend(loc="upper left", bbox_to_anchor=(0, -0.22), fontsize=7, frameon=False)
        pairs = [(h, x) for h in s.players for x in s.players if h != x]
        lead = [
            a.value.get(f"rating|{judge}|{h}", math.nan)
            - a.value.get(f"rating|{judge}|{x}", math.nan)
            for h, x in pairs
        ]
        acc = [a.value.get(f"cross|{judge}|{h}|{x}", math.nan) for h, x in pairs]
        _series(bottom, lead, acc, 0, "cross-play pairs")
        bottom.set_xlabel("honest rating minus liar rating (Elo)")
        bottom.set_ylabel("judge accuracy (cross-play)")
        bottom.set_ylim(-0.02, 1.02)
    return save_figure(fig, path)


def plot_oversight(path: Path, a: Analysis, s: Setting) -> list[Path]:
    """Domain Elo of Guards (judges) and Houdinis (debaters) against general capability
    with their double-ReLU fits (left); nested-oversight success against steps (right)."""
    import numpy as np

    everyone = [*s.judge_capability.values(), *s.player_capability.values()]
    fig = _figure(10.0, 4.2)
    left, right = fig.subplots(1, 2)
    for k, (role, names) in enumerate(s.roles()):
        caps = s.capability(role)
        named = [x for x in names if x in caps]
        xs = [caps[x] for x in named]
        ys = [a.value.get(f"{role}|{x}", math.nan) for x in named]
        label = "Guard (judge)" if role == "guard" else "Houdini (debater)"
        left.scatter(xs, ys, color=OKABE_ITO[k], marker=MARKERS[k], label=label, zorder=3)
        fit = fit_double_relu(xs, ys)
        if fit is not None:
            grid = np.linspace(min(everyone), max(everyone), 100)
            left.plot(grid, [fit(g) for g in grid], color=OKABE_ITO[k], linewidth=1.2)
    left.set_xlabel("general capability (user-supplied)")
    left.set_ylabel("domain Elo")
    left.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False)
    steps = list(range(1, s.max_steps + 1))
    for k, gap in enumerate(s.gaps):
        curve = [a.value.get(f"nested_curve|{gap:g}|{n}", math.nan) for n in steps]
        if not any(math.isfinite(c) for c in curve):
            continue
        colour = OKABE_ITO[(k + 2) % len(OKABE_ITO)]
        right.plot(
            steps, curve, color=colour, marker=MARKERS[k % len(MARKERS)], label=f"gap {gap:g}"
        )
        best = int(a.value.get(f"nested_steps|{gap:g}", 1))
        right.scatter(
            [best], [curve[best - 1]], s=120, facecolors="none", edgecolors=colour, zorder=4
        )
    right.set_xlabel("oversight steps")
    right.set_ylabel("P(every step succeeds)")
    right.set_ylim(-0.02, 1.02)
    right.legend(
        loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8, frameon=False, title="ring: best"
    )
    return save_figure(fig, path)
