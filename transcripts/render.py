"""Render transcripts in the terminal with rich.

Model output is data: it goes into ``rich.text.Text`` objects (never parsed as markup), and
control characters (ANSI escapes, carriage returns, bidi overrides) are replaced by visible
escapes, so a debater cannot style, move the cursor, or hide text.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from debate.types import JudgeView, Transcript, Turn, letter
from transcripts.text import speaker_label

COLOURS = ["cyan", "magenta", "yellow", "green", "blue", "red"]


def sanitize(text: str) -> str:
    """Replace control and format characters (except newline and tab) by visible escapes."""
    out = []
    for ch in text:
        if ch in "\n\t" or unicodedata.category(ch) not in ("Cc", "Cf"):
            out.append(ch)
        else:
            out.append(ch.encode("unicode_escape").decode("ascii"))
    return "".join(out)


def literal(text: str, style: str = "") -> Text:
    """Model or user text as plain characters: no markup, no escape sequences."""
    return Text(sanitize(text), style=style)


def colour(position: int | None) -> str:
    return "white" if position is None else COLOURS[position % len(COLOURS)]


def render_turn(turn: Turn) -> Panel:
    title = Text.assemble(
        literal(speaker_label(turn), f"bold {colour(turn.position)}"),
        f"  round {turn.round + 1}",
        literal(f"  cites {', '.join(turn.evidence)}" if turn.evidence else "", "dim"),
    )
    return Panel(
        quoted_text(turn), title=title, title_align="left", border_style=colour(turn.position)
    )


def quoted_text(turn: Turn) -> Text:
    """The turn's text with checked quotes styled: verified green, unverified red and struck."""
    body = Text()
    cursor = 0
    for quote in sorted(turn.quotes, key=lambda q: q.start):
        body.append_text(literal(turn.text[cursor : quote.start]))
        mark = "✓" if quote.verified else "✗ unverified"
        style = "bold green" if quote.verified else "red strike"
        body.append_text(literal(f"“{quote.text}”", style))
        body.append(f" [{mark}]", style="green" if quote.verified else "bold red")
        cursor = quote.end
    body.append_text(literal(turn.text[cursor:]))
    return body


def render_header(transcript: Transcript, reveal: bool = True) -> Table:
    setup = transcript.setup
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("debate", literal(transcript.debate_id))
    table.add_row("protocol", literal(f"{transcript.protocol} {transcript.protocol_settings}"))
    table.add_row("question", literal(setup.question.text))
    for position in range(len(setup.shown)):
        mark = " (correct)" if reveal and position == setup.correct_position else ""
        table.add_row(
            f"answer {letter(position)}",
            Text.assemble(
                literal(setup.answer_text(position), colour(position)), (mark, "bold green")
            ),
        )
    table.add_row("judge", literal(f"{transcript.judge.kind}: {transcript.judge.name}"))
    return table


def render_question(view: JudgeView, order: Sequence[int]) -> Table:
    """What a judge reads first: the question, the answers in the order shown to this judge
    (each in its speaker's colour) and the protocol. Never the correct answer, and never the
    debate id (an eval's ids encode the answer order)."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("question", literal(view.question, "bold"))
    for position in order:
        table.add_row(
            f"answer {letter(position)}", literal(view.answers[position], colour(position))
        )
    settings = ", ".join(f"{k}={v}" for k, v in view.protocol_settings.items())
    table.add_row(
        "protocol", literal(f"{view.protocol} ({settings})" if settings else view.protocol)
    )
    return table


def render_verdict(transcript: Transcript) -> RenderableType:
    if transcript.error is not None:
        return Panel(literal(transcript.error), title="error (counted wrong)", border_style="red")
    verdict = transcript.verdict
    if verdict is None:
        return Text("no verdict", style="red")
    probs = ", ".join(f"{letter(i)}={p:.2f}" for i, p in enumerate(verdict.probabilities))
    outcome = ("correct", "bold green") if transcript.correct else ("wrong", "bold red")
    body = Text.assemble(f"probabilities {probs}; ", outcome)
    if not verdict.parsed:
        body.append("  (judge output did not parse)", style="red")
    return Panel(
        Group(body, literal(verdict.raw, "dim")) if verdict.raw else body,
        title="verdict",
        border_style="bold",
    )


def render_transcript(transcript: Transcript) -> Group:
    return Group(
        render_header(transcript),
        *(render_turn(t) for t in transcript.turns),
        render_verdict(transcript),
    )
