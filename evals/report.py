"""Human-facing output of an eval run: a terminal table, a Markdown report and a plot.

Cell parameters are model- and user-provided names, so they are escaped everywhere they are
rendered (rich markup, Markdown, matplotlib mathtext): a name must never be read as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.markup import escape
from rich.table import Table

from evals.parse_rates import parse_rate_line
from evals.results import CellResult
from transcripts.safe import safe_text

_METRIC_HEADERS = (
    "n",
    "accuracy",
    "95% CI",
    "ties",
    "consistent",
    "parsed",
    "1st-try",
    "unparsed",
    "errors",
)
_MD_SPECIAL = "\\`*_[]<>|$"


def _cell_keys(results: Sequence[CellResult]) -> list[str]:
    keys: dict[str, None] = {}
    for r in results:
        keys.update(dict.fromkeys(r.cell))
    return list(keys)


def _num(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.3f}"


def _metric_cells(r: CellResult) -> list[str]:
    ci = "n/a" if math.isnan(r.ci_low) else f"[{r.ci_low:.3f}, {r.ci_high:.3f}]"
    consistency = "" if r.position_consistency is None else _num(r.position_consistency)
    parsed = "" if r.parse_rate is None else f"{r.parse_rate:.0%}"
    return [
        str(r.n),
        _num(r.accuracy),
        ci,
        str(r.ties),
        consistency,
        parsed,
        str(r.parsed_first_try),
        str(r.parse_failures),
        str(r.errors),
    ]


def _value(cell: dict[str, Any], key: str) -> str:
    return str(cell[key]) if key in cell else ""


def results_table(results: Sequence[CellResult], title: str) -> Table:
    """A rich table with one row per cell: parameters, then n, accuracy, CI and failures;
    under it, the parse rate of each model-judge backend."""
    keys = _cell_keys(results)
    caption = parse_rate_line(results)
    table = Table(title=shown(title), caption=None if caption is None else shown(caption))
    for key in keys:
        table.add_column(shown(key), no_wrap=True)
    for header in _METRIC_HEADERS:  # figures are never cut short: names give way first
        table.add_column(header, justify="right", no_wrap=True, min_width=len(header))
    for r in results:
        table.add_row(*(shown(_value(r.cell, k)) for k in keys), *_metric_cells(r))
    return table


def shown(text: str) -> str:
    """Config or model text as a rich table shows it: literally (no markup) and with every
    control character escaped (no terminal control from a file)."""
    return escape(safe_text(text, multiline=False))


def md_escape(text: str) -> str:
    out = "".join("\\" + c if c in _MD_SPECIAL else c for c in safe_text(text, multiline=False))
    return " ".join(out.splitlines())


_CALIBRATION_HEADERS = ("Brier", "ECE", "cost $")
"""Report-only columns (the terminal table stays narrow): Brier, ECE and what the cell cost."""


def _calibration_cells(r: CellResult) -> list[str]:
    def fmt(x: float | None) -> str:
        return "n/a" if x is None or math.isnan(x) else f"{x:.3f}"

    return [fmt(r.brier), fmt(r.ece), f"{r.cost_usd:.4f}"]


def _markdown_table(results: Sequence[CellResult]) -> str:
    keys = _cell_keys(results)
    metrics = [*_METRIC_HEADERS, *_CALIBRATION_HEADERS]
    headers = [md_escape(k) for k in keys] + metrics
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join(["---"] * len(keys) + ["---:"] * len(metrics)) + "|",
    ]
    for r in results:
        cells = [md_escape(_value(r.cell, k)) for k in keys]
        cells += _metric_cells(r) + _calibration_cells(r)
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _labels(results: Sequence[CellResult]) -> tuple[list[str], str]:
    """Bar labels from the parameters that vary; constant ones go into the subtitle."""
    keys = _cell_keys(results)
    varying = [k for k in keys if len({_value(r.cell, k) for r in results}) > 1]
    fixed = [k for k in keys if k not in varying]
    shown = varying or keys
    labels = [", ".join(f"{k}={r.cell[k]}" for k in shown if k in r.cell) or "all" for r in results]
    subtitle = ", ".join(f"{k}={_value(results[0].cell, k)}" for k in fixed) if varying else ""
    return labels, subtitle


def plot_text(text: str) -> str:
    # matplotlib reads $...$ as mathtext; a model name must not be typeset (nor control).
    return safe_text(text, multiline=False).replace("$", r"\$")


OKABE_ITO = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442")
"""A colour-blind-safe palette (Okabe and Ito) for plot series."""


def append_section(run_dir: Path, text: str) -> None:
    """Add ``text`` (markdown) to the run's ``report.md``, when there is one: what an
    experiment type reports after the cells' table (rewritten whole on every report, so a
    section is never added twice)."""
    from evals.results import atomic_write

    report = run_dir / "report.md"
    if report.exists():
        body = report.read_text(encoding="utf-8").rstrip()
        atomic_write(report, body + "\n\n" + text.rstrip("\n") + "\n")


def save_figure(fig: Any, path: Path) -> list[Path]:
    """``fig`` as a PNG and, beside it, an SVG (vector, for a paper); their paths."""
    fig.savefig(path.with_suffix(".png"), dpi=130)
    fig.savefig(path.with_suffix(".svg"))
    return [path.with_suffix(".png"), path.with_suffix(".svg")]


def plot_accuracy(path: Path, results: Sequence[CellResult], *, chance: float = 0.5) -> None:
    """Horizontal bars of accuracy per cell with 95% CI error bars and a chance line.

    Horizontal so long parameter labels stay readable; the height grows with the number of
    cells. Uses the Agg canvas directly, leaving pyplot's global backend untouched.
    """
    import numpy as np
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels, subtitle = _labels(results)
    acc = np.array([r.accuracy for r in results], dtype=float)
    err = np.nan_to_num(
        np.array(
            [[r.accuracy - r.ci_low for r in results], [r.ci_high - r.accuracy for r in results]],
            dtype=float,
        )
    )
    y = np.arange(len(results))
    judges = list(dict.fromkeys(str(r.cell.get("judge", "")) for r in results))
    colours = [
        OKABE_ITO[judges.index(str(r.cell.get("judge", ""))) % len(OKABE_ITO)] for r in results
    ]
    fig = Figure(figsize=(8.0, max(2.5, 1.3 + 0.38 * len(results))), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.barh(y, np.nan_to_num(acc), height=0.6, xerr=err, color=colours, capsize=3, zorder=2)
    ax.axvline(chance, color="black", linestyle="--", linewidth=1, label=f"chance ({chance:.2f})")
    ticks = [plot_text(f"{label} (n={r.n})") for label, r in zip(labels, results, strict=True)]
    ax.set_yticks(y, ticks, fontsize=8)
    ax.set_ylim(len(results) - 0.4, -0.6)  # first cell on top
    ax.set_xlim(0.0, 1.0)
    ax.set_xlabel("judge accuracy (95% Wilson CI, clustered by question)")
    ax.set_title(plot_text(subtitle), fontsize=9)
    fig.legend(loc="outside lower right", fontsize=8)
    save_figure(fig, path)


def chance_level(results: Sequence[CellResult]) -> float:
    """1/k when every cell shows k answers (a cell records ``answers`` only when it is not
    2), else 0.5: one line cannot be chance for cells that show different numbers."""
    counts = {int(r.cell.get("answers", 2)) for r in results}
    return 1.0 / counts.pop() if len(counts) == 1 else 0.5


def write_report(
    run_dir: Path, results: Sequence[CellResult], *, title: str, meta: dict[str, Any]
) -> Path:
    """Write ``report.md``, ``plots/accuracy.png`` and ``plots/accuracy_grouped.png`` (each
    with an SVG beside it) into ``run_dir``; return the report path.

    ``meta`` is listed as bullets (the number of cells and debates is added unless given);
    ``meta["chance"]`` sets the chance line (default ``chance_level``). ``plots/`` is always
    created, but with no results there is nothing to plot and no image is linked.
    """
    run_dir = Path(run_dir)
    plots = run_dir / "plots"
    plots.mkdir(parents=True, exist_ok=True)
    info = dict(meta)
    info.setdefault("cells", len(results))
    info.setdefault("debates", sum(r.n for r in results))

    parts = [f"# {md_escape(title)}", ""]
    parts += [f"- **{md_escape(str(k))}**: {md_escape(str(v))}" for k, v in info.items()]
    parts.append("")
    if results:
        chance = float(info.get("chance", chance_level(results)))
        from evals.figures import plot_grouped_accuracy

        plot_accuracy(plots / "accuracy.png", results, chance=chance)
        plot_grouped_accuracy(plots / "accuracy_grouped.png", results, chance=chance)
        parts += [
            _markdown_table(results),
            "",
            "One scoring rule for every judge and metric: parse failures and errors count as "
            "wrong answers (score 0, probability 0 on the correct answer), included in n and "
            "never dropped; a tie on the top probability among k answers scores 1/k. Intervals "
            "are 95% Wilson score intervals clustered by question (the answer orders of one "
            "question are not independent). 'consistent': the share of questions whose "
            "answer orders all got the same verdict (the same answer, or a tie between the "
            "same answers); 'parsed': the share of verdicts that parsed; '1st-try': "
            "verdicts that parsed without a re-ask; 'unparsed': verdicts that never parsed.",
            "",
            "![Accuracy per protocol and judge](plots/accuracy_grouped.png)",
            "",
            "![Accuracy per cell](plots/accuracy.png)",
        ]
        line = parse_rate_line(results)
        if line is not None:
            parts[-2:-2] = [md_escape(line[0].upper() + line[1:]) + ".", ""]
    else:
        parts.append("No results.")
    path = run_dir / "report.md"
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")
    return path
