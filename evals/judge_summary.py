"""What a judge sees when a session ends: how they did, and how well calibrated they were."""

from __future__ import annotations

import math
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from debate.types import Transcript, letter
from evals.judging import JudgeSummary
from transcripts.render import colour, literal

SHOWN_DEBATES = 30


def _pct(x: float) -> str:
    return "n/a" if math.isnan(x) else f"{x:.0%}"


def render_summary(summary: JudgeSummary, judged: Sequence[Transcript]) -> RenderableType:
    """Headline figures, accuracy by confidence bucket, then each debate's outcome."""
    head = Table.grid(padding=(0, 2))
    head.add_column(style="bold")
    head.add_column()
    head.add_row("debates judged", str(summary.n))
    head.add_row(
        "accuracy",
        f"{summary.correct}/{summary.n} right"
        + (f", {summary.ties} tied (scored as fair guesses)" if summary.ties else "")
        + f" = {_pct(summary.accuracy)}  "
        f"(95% CI {_pct(summary.ci_low)} to {_pct(summary.ci_high)})",
    )
    head.add_row(
        "Brier score",
        f"{summary.brier:.3f}  (lower is better; always answering 50% scores 0.250)",
    )
    head.add_row("calibration error", f"{summary.ece:.3f}  (ECE; 0 is perfectly calibrated)")
    if summary.mean_seconds is not None:
        head.add_row("time per debate", f"{summary.mean_seconds:.0f} s on average")
    if summary.failed:
        head.add_row("failed debates", f"{summary.failed} (stopped before your verdict; not above)")

    bins = Table(title="calibration: how often you were right at each confidence")
    bins.add_column("your confidence")
    for header in ("debates", "you said (mean)", "you were right"):
        bins.add_column(header, justify="right")
    for b in summary.bins:
        bins.add_row(
            f"{b.low:.0%} to {b.high:.0%}", str(b.n), _pct(b.mean_confidence), _pct(b.accuracy)
        )

    debates = Table(title="your verdicts (correct answer and the probability you gave it)")
    debates.add_column("#", justify="right")
    debates.add_column("question", max_width=50, no_wrap=True, overflow="ellipsis")
    debates.add_column("correct answer", max_width=30, no_wrap=True, overflow="ellipsis")
    debates.add_column("you gave it", justify="right")
    debates.add_column("")
    for i, t in enumerate(judged[:SHOWN_DEBATES], start=1):
        position = t.setup.correct_position
        answer = Text.assemble(
            (f"{letter(position)} ", f"bold {colour(position)}"),
            literal(t.setup.answer_text(position), multiline=False),
        )
        if t.tie:  # the one scoring rule: a tie is a fair guess, scored 1/k
            mark = Text(f"tie ({t.score:.2g})", "bold yellow")
        else:
            mark = Text("right", "bold green") if t.correct else Text("wrong", "bold red")
        debates.add_row(
            str(i),
            literal(t.setup.question.text, multiline=False),
            answer,
            _pct(t.p_correct or 0.0),
            mark,
        )
    parts: list[RenderableType] = [
        literal(f"Session summary for {summary.judge}", "bold reverse", multiline=False),
        head,
        bins,
        debates,
    ]
    if len(judged) > SHOWN_DEBATES:
        parts.append(Text(f"... and {len(judged) - SHOWN_DEBATES} more", style="dim"))
    return Group(*parts)
