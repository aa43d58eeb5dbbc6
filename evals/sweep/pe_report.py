"""The obfuscated-arguments comparison of a sweep with prover-estimator cells: a report section
(what each protocol's accuracy does as branching and depth grow, and what the prover is paid
for honesty and for lying) and two plots. docs/prover-estimator.md says what they check."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

Rows = Sequence[dict[str, Any]]

CLAIMS_TEXT = (
    "**What this checks, and what it cannot.** Under `all` (sums) a lie's one flaw hides "
    "among `b` sub-claims; the honest challenger of recursive debate, checking `search` of "
    "them, follows it with probability `(search + 1)/b` per level, so its accuracy against "
    "liars decays like that to the power `d` (obfuscation). The calibrated estimator of "
    "prover-estimator debate needs no flaw to be found: a false claim's judged value is the "
    "same wherever its flaw is, and a lying prover who knows no more than it (`estimator = "
    "shares`) earns the root's stake and nothing else (`payoff_liar` equals "
    "`payoff_liar_theory`): the paper's soundness at equal compute. With `own` checks the "
    "prover can know what the estimator does not and is paid for lying (`prefers_truth` "
    "false): soundness needs the estimator to run the prover's search. Completeness needs "
    "stability: under `all` the judge's leaf errors compound through the sum, so a true "
    "claim's judged value `(1 - eps)**(b**d)` falls below 1/2 and the verdict with it; "
    "under `majority` (stable) errors wash out with depth. And with `eps = 0` a cut of an "
    "honest claim, diluted `b` ways per level, meets the judge at the leaf with weight "
    "`lambda**(d+1)/b**d`: once the branching outgrows the reward growth the estimator "
    "profits by shading (`shade` > 0). The simulation cannot check the paper's asymptotic "
    "claims (honest compute polynomial in the opponent's, existence of efficient "
    "indistinguishable estimators, Stackelberg equilibria of trained models, convergence of "
    "gradient methods): it plays fixed strategies, the estimator's best response chosen "
    "among five shadings by play."
)


def _fmt(x: object) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, float):
        return f"{x:.4g}"
    return str(x)


def prover_estimator_section(rows: Rows) -> str:
    """Markdown: the incentive table of every prover-estimator cell, and the claims text."""
    from evals.report import md_escape

    pe = [r for r in rows if r["protocol"] == "prover-estimator"]
    if not pe:
        return ""
    keys = ["aggregate", "branching", "depth", "epsilon", "search", "reward_growth", "estimator"]
    values = ["accuracy", "theory", "shade", "payoff_honest", "payoff_liar"]
    values += ["payoff_liar_theory", "prefers_truth"]
    lines = ["| " + " | ".join(keys + values) + " |", "|" + "---|" * len(keys) + "---:|" * 7]
    for r in pe:
        cells = [_fmt("full" if k == "search" and r[k] is None else r[k]) for k in keys]
        cells += [_fmt(r[v]) for v in values]
        lines.append("| " + " | ".join(md_escape(c) for c in cells) + " |")
    return "\n".join(
        [
            "## Prover-estimator debate and obfuscated arguments",
            "",
            "![prover_estimator](plots/prover_estimator.png)",
            "![prover_estimator_rewards](plots/prover_estimator_rewards.png)",
            "",
            CLAIMS_TEXT,
            "",
            *lines,
        ]
    )


def _focus(rows: Rows) -> list[dict[str, Any]]:
    """Recursive cells, and prover-estimator cells at the smallest search (the obfuscation
    experiment's budget) with the estimator sharing the prover's checks: its accuracy does
    not depend on either (a calibrated root estimate needs no search)."""
    pe = [r for r in rows if r["protocol"] == "prover-estimator"]
    limited = [r["search"] for r in pe if r["search"] is not None]
    search = min(limited) if limited else None
    kept = [r for r in pe if r["search"] == search and r["estimator"] == "shares"]
    return [r for r in rows if r["protocol"] == "recursive"] + kept


def _style(r: dict[str, Any], growths: list[float]) -> tuple[str, str, str, str]:
    """(series label, colour, line style, marker): colour by protocol x aggregation; style
    by search (recursive) or reward growth (prover-estimator)."""
    from evals.report import OKABE_ITO

    pe = r["protocol"] == "prover-estimator"
    colour = OKABE_ITO[2 * pe + (r["aggregate"] == "majority")]
    if pe:
        k = growths.index(r["reward_growth"])
        label = f"prover-estimator, {r['aggregate']}, λ={r['reward_growth']:g}"
        return label, colour, ["-", "--", ":", "-."][k % 4], "s"
    search = "full" if r["search"] is None else r["search"]
    label = f"recursive, {r['aggregate']}, search {search}"
    return label, colour, "--" if r["search"] is None else "-", "o"


def plot_prover_estimator(folder: Path, rows: Rows) -> list[Path]:
    """Accuracy against depth, one panel per epsilon (rows) x branching (columns), one line
    per protocol x aggregation x search (x reward growth x estimator); and the prover's
    mean reward, honest (solid) and lying (dashed), against depth, at the smallest reward
    growth and search."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from evals.report import save_figure

    if not any(r["protocol"] == "prover-estimator" for r in rows):
        return []
    chosen = _focus(rows)
    growths = sorted({r["reward_growth"] for r in chosen})
    epsilons = sorted({r["epsilon"] for r in chosen})
    branchings = sorted({r["branching"] for r in chosen})
    series = list(dict.fromkeys(_style(r, growths) for r in chosen))
    fig = Figure(figsize=(3.2 * len(branchings) + 3.6, 2.6 * len(epsilons)), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(len(epsilons), len(branchings), squeeze=False)
    for i, eps in enumerate(epsilons):
        for j, b in enumerate(branchings):
            ax = axes[i][j]
            for style in series:
                line = sorted(
                    (
                        r
                        for r in chosen
                        if (r["epsilon"], r["branching"]) == (eps, b)
                        and _style(r, growths) == style
                    ),
                    key=lambda r: r["depth"],
                )
                if line:
                    label, colour, dash, marker = style
                    ax.plot(
                        [r["depth"] for r in line],
                        [r["accuracy"] for r in line],
                        color=colour,
                        linestyle=dash,
                        marker=marker,
                        markersize=3,
                        linewidth=1.2,
                        label=label,
                    )
            ax.axhline(0.5, color="grey", linewidth=0.8, linestyle=":")
            ax.set_ylim(0.4, 1.02)
            ax.set_title(f"ε={eps:g}, b={b}", fontsize=9)
            ax.set_xlabel("depth d", fontsize=8)
            ax.set_ylabel("accuracy", fontsize=8)
            ax.tick_params(labelsize=7)
    handles, labels = axes[0][0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="outside right upper", fontsize=7)
    paths = save_figure(fig, folder / "prover_estimator.png")
    pe = [r for r in chosen if r["protocol"] == "prover-estimator"]
    search = pe[0]["search"] if pe else None
    own = [
        r
        for r in rows
        if r["protocol"] == "prover-estimator" and r["estimator"] == "own" and r["search"] == search
    ]
    return paths + _plot_rewards(folder, pe + own)


def _plot_rewards(folder: Path, rows: Rows) -> list[Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from evals.report import OKABE_ITO, save_figure

    panels = list(dict.fromkeys((r["aggregate"], r["estimator"]) for r in rows))
    growth = min(r["reward_growth"] for r in rows)
    rows = [r for r in rows if r["reward_growth"] == growth]
    lines = list(dict.fromkeys((r["branching"], r["epsilon"], r["reward_growth"]) for r in rows))
    fig = Figure(figsize=(3.4 * len(panels) + 2.6, 3.0), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (agg, est) in zip(axes, panels, strict=True):
        for k, (b, eps, lam) in enumerate(lines):
            line = sorted(
                (
                    r
                    for r in rows
                    if (r["aggregate"], r["estimator"]) == (agg, est)
                    and (r["branching"], r["epsilon"], r["reward_growth"]) == (b, eps, lam)
                ),
                key=lambda r: r["depth"],
            )
            if not line:
                continue
            colour = OKABE_ITO[k % len(OKABE_ITO)]
            depth = [r["depth"] for r in line]
            label = f"b={b}, ε={eps:g}, λ={lam:g}"
            ax.plot(depth, [r["payoff_honest"] for r in line], color=colour, label=label)
            ax.plot(depth, [r["payoff_liar"] for r in line], color=colour, linestyle="--")
        ax.set_yscale("symlog", linthresh=1.0)
        ax.set_title(f"{agg}, estimator {est}", fontsize=9)
        ax.set_xlabel("depth d", fontsize=8)
        ax.set_ylabel("prover's mean reward", fontsize=8)
        ax.tick_params(labelsize=7)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(
        handles,
        labels,
        loc="outside right upper",
        fontsize=7,
        title="solid: honest\ndashed: lying",
        title_fontsize=7,
    )
    return save_figure(fig, folder / "prover_estimator_rewards.png")
