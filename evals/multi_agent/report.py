"""Accuracy of the majority after each round, per agent count, from the stored debates;
with the exact theory beside it when the agents are simulated with known error.

The score after round r is the one rule's score of the majority of each agent's latest
answer up to round r (a tie among k answers 1/k; a failed debate 0); intervals are the
project's Wilson intervals clustered by question.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from debate.moves import last_stances
from debate.registry import label
from debate.types import Transcript, Verdict
from evals.metrics import clustered_interval
from evals.multi_agent.config import MultiAgentConfig
from evals.report import OKABE_ITO, append_section, md_escape, save_figure, shown
from evals.results import atomic_write
from evals.rundir import TRANSCRIPTS
from transcripts.store import read_transcripts


@dataclass(frozen=True)
class RoundRow:
    agents: int
    round: int
    n: int
    accuracy: float
    low: float
    high: float
    theory: float | None


def score_after(t: Transcript, last_round: int) -> float:
    """The majority's score on the agents' answers up to ``last_round`` (0 if it failed)."""
    if t.error is not None:
        return 0.0
    stances = last_stances([turn for turn in t.turns if turn.round <= last_round])
    if not stances:
        return 0.0
    votes = [0] * len(t.setup.shown)
    for position in stances.values():
        votes[position] += 1
    shares = [v / len(stances) for v in votes]
    return Verdict(probabilities=shares).score(t.setup.correct_position)


def round_rows(config: MultiAgentConfig, transcripts: list[Transcript]) -> list[RoundRow]:
    rows = []
    theory_of = _theory(config, transcripts)
    for agents in config.agents:
        mine = [
            t for t in transcripts if t.protocol == "multi-agent" and t.cell.get("agents") == agents
        ]
        for r in range(config.rounds):
            scores = [score_after(t, r) for t in mine]
            low, high = clustered_interval(scores, [t.setup.question.id for t in mine])
            accuracy = sum(scores) / len(scores) if scores else math.nan
            theory = theory_of(agents)[r] if theory_of is not None else None
            rows.append(RoundRow(agents, r + 1, len(scores), accuracy, low, high, theory))
    return rows


def _theory(
    config: MultiAgentConfig, transcripts: list[Transcript]
) -> Callable[[int], list[float]] | None:
    """The theory curve per agent count, when it applies: simulated agents, two answers."""
    theory = getattr(config.debater, "majority_theory", None)  # agents of known error
    if not callable(theory) or any(len(t.setup.shown) != 2 for t in transcripts):
        return None

    def curve(agents: int) -> list[float]:
        found: list[float] = theory(agents, config.rounds)
        return found

    return curve


def _csv(rows: list[RoundRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["agents", "round", "n", "accuracy", "ci_low", "ci_high", "theory"])
    for r in rows:
        writer.writerow(
            [
                r.agents,
                r.round,
                r.n,
                r.accuracy,
                r.low,
                r.high,
                "" if r.theory is None else r.theory,
            ]
        )
    return out.getvalue()


def plot_rounds(path: Path, rows: list[RoundRow]) -> list[Path]:
    """Accuracy against rounds, one line per agent count, 95% CIs; theory dashed, drawn
    over the data so that it is never hidden; legend outside the axes."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(7.0, 4.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for k, agents in enumerate(dict.fromkeys(r.agents for r in rows)):
        mine = [r for r in rows if r.agents == agents]
        colour = OKABE_ITO[k % len(OKABE_ITO)]
        x = [r.round for r in mine]
        y = [r.accuracy for r in mine]
        err = [[r.accuracy - r.low for r in mine], [r.high - r.accuracy for r in mine]]
        ax.errorbar(x, y, yerr=err, color=colour, marker="o", capsize=3, label=f"{agents} agents")
        theory = [r.theory for r in mine if r.theory is not None]
        if len(theory) == len(mine):
            ax.plot(
                x,
                theory,
                color=colour,
                linestyle="--",
                linewidth=1.5,
                zorder=5,
                label=f"{agents} agents, theory",
            )
    ax.set_xlabel("round")
    ax.set_ylabel("majority accuracy (95% CI)")
    ax.set_xticks(sorted({r.round for r in rows}))
    ax.set_ylim(-0.02, 1.02)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    return save_figure(fig, path)


def write_multi_agent(run_dir: Path, config: MultiAgentConfig) -> list[RoundRow]:
    """``multi_agent.csv``, the plot, and a section of ``report.md``, from the debates."""
    _, stored = read_transcripts(run_dir / TRANSCRIPTS, allow_empty=True)
    judge = label(config.judges[0])
    majority = [t for t in stored.transcripts if t.cell.get("judge") == judge]
    rows = round_rows(config, majority)
    atomic_write(run_dir / "multi_agent.csv", _csv(rows))
    lines = [
        "## Accuracy against rounds (Du et al. 2023)",
        "",
        "The majority of the agents' latest answers after each round, in judge "
        f"{md_escape(judge)}'s debates; 95% Wilson intervals clustered by question.",
        "",
        "| agents | round | n | accuracy | 95% CI | theory |",
        "|---|---|---|---|---|---|",
    ]
    for r in rows:
        theory = "" if r.theory is None else f"{r.theory:.3f}"
        ci = f"[{r.low:.3f}, {r.high:.3f}]"
        lines.append(f"| {r.agents} | {r.round} | {r.n} | {r.accuracy:.3f} | {ci} | {theory} |")
    if rows and any(r.n for r in rows):
        folder = run_dir / "plots"
        folder.mkdir(parents=True, exist_ok=True)
        plot_rounds(folder / "accuracy_vs_rounds.png", rows)
        lines += ["", "![Accuracy against rounds](plots/accuracy_vs_rounds.png)"]
    append_section(run_dir, "\n".join(lines))
    return rows


def rounds_table(rows: list[RoundRow], title: str) -> Table:
    """The terminal's table: accuracy after each round, per agent count, with theory."""
    table = Table(title=shown(f"{title}: the majority after each round"))
    for header in ("agents", "round", "n", "accuracy", "95% CI", "theory"):
        table.add_column(header, justify="right", no_wrap=True)
    for r in rows:
        theory = "" if r.theory is None else f"{r.theory:.3f}"
        ci = f"[{r.low:.3f}, {r.high:.3f}]"
        table.add_row(str(r.agents), str(r.round), str(r.n), f"{r.accuracy:.3f}", ci, theory)
    return table
