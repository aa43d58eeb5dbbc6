"""Open roles (Kenton et al. 2024): the judge's accuracy split by whether the protagonist's
side was correct, from the stored debates of any eval.

The protagonist is the seat a protocol's ``protagonist_correct`` speaks of: the chooser in
open consultancy and open debate (did it choose the correct answer?), the consultant in
assigned consultancy (was it assigned the correct one?). Kenton et al.'s question is how
far the judge follows a protagonist who chose wrong: ``followed`` is the mean score the
verdicts give the protagonist's answer, by the one scoring rule (a tie among k answers 1/k).
Scores are the eval's (a failed debate 0); intervals are Wilson, clustered by question.
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from debate.errors import ConfigError
from debate.protocol import Protocol, build_protocol
from debate.types import Transcript
from evals.metrics import clustered_interval
from evals.report import OKABE_ITO, append_section, md_escape, save_figure, shown
from evals.results import atomic_write

SIDES = ("correct", "wrong")


@dataclass(frozen=True)
class OpenRoleRow:
    protocol: str
    judge: str
    side: str
    """Whether the protagonist's side was ``correct`` or ``wrong``."""
    n: int
    share: float
    """Share of the cell's debates with this side (how often the chooser was right)."""
    accuracy: float
    low: float
    high: float
    followed: float
    """Mean score of the protagonist's answer (how often the judge sided with it)."""


def open_role_rows(transcripts: list[Transcript]) -> list[OpenRoleRow]:
    """One row per cell with a protagonist and per side, in the order cells first appear.
    A debate whose chooser never chose (it failed first) belongs to neither side; the
    shares say so by not summing to 1."""
    protocols: dict[str, Protocol | None] = {}
    groups: dict[tuple[str, str], dict[str, list[tuple[Transcript, str]]]] = {}
    totals: dict[tuple[str, str], int] = {}
    for t in transcripts:
        key = json.dumps([t.protocol, t.protocol_settings], sort_keys=True)
        if key not in protocols:
            protocols[key] = _protocol(t)
        protocol = protocols[key]
        if protocol is None or protocol.protagonist is None:
            continue
        cell = (str(t.cell.get("protocol", t.protocol)), str(t.cell.get("judge", t.judge.name)))
        totals[cell] = totals.get(cell, 0) + 1
        sides = groups.setdefault(cell, {})
        correct = protocol.protagonist_correct(t.setup)
        if correct is not None:
            side = SIDES[0] if correct else SIDES[1]
            sides.setdefault(side, []).append((t, protocol.protagonist))
    rows = []
    for cell, sides in groups.items():
        for side in SIDES:
            mine = sides.get(side, [])
            scores = [t.score for t, _ in mine]
            low, high = clustered_interval(scores, [t.setup.question.id for t, _ in mine])
            followed = [_followed(t, seat) for t, seat in mine]
            rows.append(
                OpenRoleRow(
                    protocol=cell[0],
                    judge=cell[1],
                    side=side,
                    n=len(mine),
                    share=len(mine) / totals[cell],
                    accuracy=_mean(scores),
                    low=low,
                    high=high,
                    followed=_mean(followed),
                )
            )
    return rows


def _protocol(t: Transcript) -> Protocol | None:
    """The transcript's protocol, or None where it cannot be rebuilt by name (a user's
    class given by import path and not registered): it has no split to report."""
    try:
        return build_protocol(t.protocol, t.protocol_settings)
    except ConfigError:
        return None


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def _followed(t: Transcript, protagonist: str) -> float:
    """The verdict's score for the protagonist's answer (0 for a failed debate)."""
    if not t.usable or t.verdict is None:
        return 0.0
    return t.verdict.score(t.setup.seat(protagonist).position)


COLUMNS = ("protocol", "judge", "protagonist", "n", "share", "accuracy", "ci_low", "ci_high")


def _csv(rows: list[OpenRoleRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*COLUMNS, "followed"])
    for r in rows:
        writer.writerow(
            [r.protocol, r.judge, r.side, r.n, r.share, r.accuracy, r.low, r.high, r.followed]
        )
    return out.getvalue()


def plot_open_roles(path: Path, rows: list[OpenRoleRow]) -> list[Path]:
    """Judge accuracy per protocol (x judge), bars for the protagonist's side correct and
    wrong, 95% CIs; legend outside the axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    cells = list(dict.fromkeys((r.protocol, r.judge) for r in rows))
    several_judges = len({judge for _, judge in cells}) > 1
    fig = Figure(figsize=(max(5.0, 1.3 * len(cells) + 2.5), 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    width = 0.38
    for k, side in enumerate(SIDES):
        mine = [
            next(r for r in rows if (r.protocol, r.judge) == c and r.side == side) for c in cells
        ]
        x = [i + (k - 0.5) * width for i in range(len(cells))]
        y = [0.0 if math.isnan(r.accuracy) else r.accuracy for r in mine]
        err = [
            [max(0.0, v - r.low) for v, r in zip(y, mine, strict=True)],
            [max(0.0, r.high - v) for v, r in zip(y, mine, strict=True)],
        ]
        ax.bar(x, y, width, yerr=err, capsize=3, color=OKABE_ITO[k], label=f"protagonist {side}")
    ax.set_xticks(range(len(cells)))
    ax.set_xticklabels(
        [f"{p}\n{j}" if several_judges else p for p, j in cells], rotation=20, ha="right"
    )
    ax.set_ylabel("judge accuracy (95% CI)")
    ax.set_ylim(0, 1.02)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return save_figure(fig, path)


def write_open_roles(run_dir: Path, transcripts: list[Transcript]) -> list[OpenRoleRow]:
    """``open_roles.csv``, the plot and a section of ``report.md``, when the run has a
    protocol with a protagonist (nothing is written otherwise)."""
    rows = open_role_rows(transcripts)
    if not rows:
        return rows
    atomic_write(run_dir / "open_roles.csv", _csv(rows))
    lines = [
        "## Consultancy and open roles: accuracy by the protagonist's side",
        "",
        "The protagonist is the consultant (assigned consultancy: *correct* is the honest "
        "assignment, *wrong* the dishonest one), or the debater who chose its answer (open "
        "roles, Kenton et al. 2024). *share*: how often its side was correct or wrong; "
        "*followed*: how often the judge sided with it. 95% Wilson intervals clustered by "
        "question.",
        "",
        "| protocol | judge | protagonist | n | share | accuracy | 95% CI | followed |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ci = f"[{r.low:.3f}, {r.high:.3f}]"
        lines.append(
            f"| {md_escape(r.protocol)} | {md_escape(r.judge)} | {r.side} | {r.n} | "
            f"{r.share:.3f} | {r.accuracy:.3f} | {ci} | {r.followed:.3f} |"
        )
    folder = run_dir / "plots"
    folder.mkdir(parents=True, exist_ok=True)
    plot_open_roles(folder / "open_roles.png", rows)
    lines += ["", "![Open roles](plots/open_roles.png)"]
    append_section(run_dir, "\n".join(lines))
    return rows


def open_roles_table(rows: list[OpenRoleRow], title: str) -> Table:
    """The terminal's view of the split."""
    table = Table(title=shown(f"{title}: accuracy by the protagonist's side"))
    for header in ("protocol", "judge", "protagonist", "n", "share", "accuracy", "95% CI"):
        table.add_column(header, justify="left" if header == "protocol" else "right")
    table.add_column("followed", justify="right")
    for r in rows:
        table.add_row(
            shown(r.protocol),
            shown(r.judge),
            r.side,
            str(r.n),
            f"{r.share:.3f}",
            f"{r.accuracy:.3f}",
            f"[{r.low:.3f}, {r.high:.3f}]",
            f"{r.followed:.3f}",
        )
    return table
