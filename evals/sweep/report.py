"""Tidy results of a sweep: results.csv/json, report.md, plots and a terminal table.

Everything is recomputed from ``cells.jsonl`` and ``config.json``, so ``debate report`` after a
killed and resumed run is exact. Each row carries its Wilson 95% interval and, where the doc
has one, the closed-form accuracy and whether it falls inside the interval.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.table import Table

from debate.errors import DataError
from evals.metrics import wilson_score_interval
from evals.report import md_escape, shown
from evals.results import atomic_write
from evals.sweep.grid import SweepConfig
from evals.sweep.runner import CELLS, CellRecord, cell_key, load_records
from evals.sweep.theory import oracle_bound, theory_accuracy

COLUMNS = ("protocol", "error_model", "epsilon", "depth", "n", "accuracy", "ci_low", "ci_high")
EXTRA = (
    "branching",
    "search",
    "aware",
    "judge_budget",
    "queries",
    "aggregate",
    "reward_growth",
    "estimator",
)
INCENTIVES = ("payoff_honest", "payoff_liar", "payoff_liar_theory", "shade", "prefers_truth")
"""Prover-estimator columns (empty elsewhere): the prover's mean reward when honest and when
lying, under the estimator's best response (``shade``), and whether honesty pays more."""
HEADLINE_EPSILONS = (0.0, 0.1, 0.3)
HEADLINE_DEPTHS = (1, 4, 8)
THEORY_TEXT = (
    "**What the theory says.** With full search the honest challenger always follows the flaw "
    "down to a single leaf, so recursive debate's accuracy under random check errors is "
    "`1 - eps` at every depth: depth costs nothing. Judging every level instead compounds the "
    "error, `(1 - eps)**(d + 1)`. A consultant's lie is found only if the judge's random "
    "challenges hit the flawed child at every level, `q**d` with `q = 1/b`, so consultancy "
    "falls toward chance with depth. Systematic blind spots are the exception for recursion: "
    "an aware liar steers to any blind leaf in the tree, so accuracy is `(1 - f)**(b**d)` and "
    "collapses with depth. Verdict-scope biases act once, whatever the depth: persuasion "
    "toward the last speaker costs recursive debate `s/2`; a position bias mixes the "
    "error-free accuracy with chance. Dashed lines in the plots are these closed forms; "
    "`theory_in_ci` says whether each lies inside the cell's 95% Wilson interval. A "
    "stochastic-oracle judge (`queries` > 1) asks each check `m` times, each answer wrong "
    "w.p. `eps`, and takes the majority: the formulas hold with `eps` replaced by that "
    "majority's error, and `bound` is Hoeffding's `1 - exp(-2 m (1/2 - eps)**2)` for "
    "recursive debate, whose judge asks `m` queries at every depth (`judge_queries`)."
)


def sweep_rows(config: SweepConfig | None, records: Sequence[CellRecord]) -> list[dict[str, Any]]:
    """One tidy row per cell, in the config's cell order (unknown cells last)."""
    rank = {cell_key(c): i for i, c in enumerate(config.cells())} if config else {}
    ordered = sorted(records, key=lambda r: rank.get(cell_key(r.cell), len(rank)))
    return [_row(r) for r in ordered]


def _row(record: CellRecord) -> dict[str, Any]:
    cell = record.cell
    low, high = wilson_score_interval(record.score, record.n)
    theory = theory_accuracy(cell)
    row: dict[str, Any] = {
        "protocol": cell.protocol,
        "error_model": cell.error_model,
        "epsilon": cell.epsilon,
        "depth": cell.depth,
        "n": record.n,
        "accuracy": record.score / record.n if record.n else math.nan,
        "ci_low": low,
        "ci_high": high,
        "theory": theory,
    }
    row.update({key: getattr(cell, key) for key in EXTRA})
    row["theory_in_ci"] = None if theory is None else bool(low - 1e-9 <= theory <= high + 1e-9)
    row.update(correct=record.correct, ties=record.ties, claimant_honest=record.claimant_honest)
    row["judge_queries"] = record.judge_queries / record.n if record.n else math.nan
    row["bound"] = oracle_bound(cell)
    row.update(dict.fromkeys(INCENTIVES))
    if cell.protocol == "prover-estimator":
        row.update(_incentives(record))
    row["seconds"] = record.seconds
    return row


def _incentives(record: CellRecord) -> dict[str, Any]:
    from evals.sweep.prover_estimator import liar_payoff_theory

    honest, liars = record.claimant_honest, record.n - record.claimant_honest
    pay_honest = record.payoff_honest / honest if honest else math.nan
    pay_liar = record.payoff_liar / liars if liars else math.nan
    prefers = None if math.isnan(pay_honest) or math.isnan(pay_liar) else pay_honest > pay_liar
    return {
        "payoff_honest": pay_honest,
        "payoff_liar": pay_liar,
        "payoff_liar_theory": liar_payoff_theory(record.cell),
        "shade": record.shade,
        "prefers_truth": prefers,
    }


def write_sweep_results(run_dir: Path, rows: Sequence[dict[str, Any]]) -> None:
    """``results.csv`` (None as an empty field) and ``results.json`` (None as null)."""
    header = [*COLUMNS, "theory", *EXTRA, "theory_in_ci"]
    header += ["correct", "ties", "claimant_honest", "judge_queries", "bound", *INCENTIVES]
    header.append("seconds")
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=header, restval="")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(run_dir / "results.csv", buf.getvalue())
    atomic_write(run_dir / "results.json", json.dumps(list(rows), indent=2) + "\n")


def _pick(available: Sequence[Any], wanted: Sequence[Any]) -> list[Any]:
    """The wanted values present in the grid; else the first, middle and last available."""
    values = sorted(set(available))
    chosen = [v for v in wanted if v in values]
    return chosen or sorted({values[0], values[len(values) // 2], values[-1]})


def _varying(rows: Sequence[dict[str, Any]]) -> list[str]:
    return [k for k in EXTRA if len({str(r[k]) for r in rows}) > 1]


def _fmt(x: float | None) -> str:
    return "" if x is None or math.isnan(x) else f"{x:.3f}"


def headline(rows: Sequence[dict[str, Any]]) -> tuple[list[str], list[int], list[list[str]]]:
    """The headline slice: (row labels' headers, depths, rows of label cells + 'acc (theory)')."""
    if not rows:
        return [], [], []
    epsilons = _pick([r["epsilon"] for r in rows], HEADLINE_EPSILONS)
    depths = _pick([r["depth"] for r in rows], HEADLINE_DEPTHS)
    keys = ["protocol", "error_model", "epsilon", *_varying(rows)]
    table: dict[tuple[str, ...], dict[int, str]] = {}
    for r in rows:
        if r["epsilon"] in epsilons and r["depth"] in depths:
            text = _fmt(r["accuracy"]) + (
                f" ({_fmt(r['theory'])})" if r["theory"] is not None else ""
            )
            table.setdefault(tuple(str(r[k]) for k in keys), {})[r["depth"]] = text
    body = [[*label, *(cells.get(d, "") for d in depths)] for label, cells in table.items()]
    return keys, depths, body


def headline_table(rows: Sequence[dict[str, Any]], title: str) -> Table:
    """A rich table of the headline slice: accuracy (theory) by depth."""
    keys, depths, body = headline(rows)
    table = Table(title=shown(f"{title}: accuracy (theory)"))
    for key in keys:
        table.add_column(key, no_wrap=True)
    for depth in depths:
        table.add_column(f"d={depth}", justify="right", no_wrap=True)
    for line in body:
        table.add_row(*(shown(c) for c in line))
    return table


def _markdown(headers: Sequence[str], body: Sequence[Sequence[str]], right_from: int) -> str:
    align = ["---" if i < right_from else "---:" for i in range(len(headers))]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(align) + "|"]
    lines += ["| " + " | ".join(md_escape(c) for c in line) + " |" for line in body]
    return "\n".join(lines)


def _full_table(rows: Sequence[dict[str, Any]]) -> str:
    keys = ["protocol", "error_model", "epsilon", "depth", *_varying(rows)]
    headers = [*keys, "n", "accuracy", "95% CI", "theory", "theory in CI"]
    body = [
        [
            *(str(r[k]) for k in keys),
            str(r["n"]),
            _fmt(r["accuracy"]),
            f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
            _fmt(r["theory"]),
            "" if r["theory_in_ci"] is None else ("yes" if r["theory_in_ci"] else "no"),
        ]
        for r in rows
    ]
    return _markdown(headers, body, len(keys))


def write_sweep_report(
    run_dir: Path,
    rows: Sequence[dict[str, Any]],
    config: SweepConfig | None,
    *,
    wall_seconds: float | None = None,
    bad_lines: int = 0,
) -> Path:
    """``report.md`` and the PNG plots in ``plots/``; returns the report's path."""
    from evals.sweep.pe_report import plot_prover_estimator, prover_estimator_section
    from evals.sweep.plots import plot_sweep

    title = config.name if config else run_dir.name
    plots = plot_sweep(run_dir / "plots", rows)
    plot_prover_estimator(run_dir / "plots", rows)
    parts = [f"# {md_escape(title)}", ""]
    if config is not None:
        grid: dict[str, Sequence[object]] = {
            "protocols": config.protocols,
            "error models": config.error_models,
            "epsilons": config.epsilons,
            "depths": config.depths,
            "branching": config.branching,
            "search per level": ["full" if s is None else s for s in config.search],
        }
        parts += [f"- **{k}**: {md_escape(', '.join(map(str, v)))}" for k, v in grid.items()]
        parts.append(
            f"- **aware liars**: {config.aware}; **naive judge budget**: "
            f"{config.judge_budget}; **seed**: {config.seed}"
        )
        parts.append(
            f"- **cells**: {len(rows)} of {len(config.cells())} done, "
            f"{config.debates_per_cell} debates each"
        )
    parts.append(f"- **debates simulated**: {sum(r['n'] for r in rows)}")
    if wall_seconds is not None:
        parts.append(f"- **wall time** (last invocation, simulation): {wall_seconds:.2f} s")
    parts.append(f"- **compute time** (summed over cells): {sum(r['seconds'] for r in rows):.2f} s")
    if bad_lines:
        parts.append(f"- **unreadable lines skipped** in {CELLS}: {bad_lines}")
    keys, depths, body = headline(rows)
    parts += ["", "## Headline: accuracy (theory) by depth", ""]
    parts.append(
        _markdown([*keys, *(f"d={d}" for d in depths)], body, len(keys)) if body else "No results."
    )
    parts += ["", "## Plots", ""]
    parts += [f"![{md_escape(p.stem)}](plots/{p.name})" for p in plots]
    parts += ["", THEORY_TEXT]
    section = prover_estimator_section(rows)
    parts += ["", section] if section else []
    parts += ["", "## All cells", "", _full_table(rows) if rows else "No results."]
    path = run_dir / "report.md"
    atomic_write(path, "\n".join(parts) + "\n")
    return path


def rebuild_sweep_report(
    run_dir: Path, config: SweepConfig | None, wall_seconds: float | None = None
) -> list[dict[str, Any]]:
    """Recompute results.csv/json, report.md and plots from cells.jsonl and the run's config
    (as the caller read it)."""
    if not (run_dir / CELLS).exists():
        raise DataError(f"no such sweep results file: {run_dir / CELLS}")
    records, bad = load_records(run_dir / CELLS)
    rows = sweep_rows(config, records)
    write_sweep_results(run_dir, rows)
    write_sweep_report(run_dir, rows, config, wall_seconds=wall_seconds, bad_lines=bad)
    return rows
