"""Render transcripts in the terminal with rich.

Model output is data: it goes into ``rich.text.Text`` objects (never parsed as markup), and
through ``transcripts.safe.safe_text``, so a debater cannot style, move the cursor, hide
text, or draw any of the framework's marks. A checked quote is drawn as
``⟦✓ verified “...”⟧`` or ``⟦✗ unverified “...”⟧``: ``✓``, ``✗``, ``⟦`` and ``⟧`` (and their
lookalikes) never come from model text, so the mark reads the same with or without colour
(in a pager, under ``NO_COLOR``, exported as plain text) and cannot be forged by characters.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from debate.text import speaker_label
from debate.types import JudgeView, Transcript, Turn, letter
from transcripts.safe import safe_text

COLOURS = ["cyan", "magenta", "yellow", "green", "blue", "red"]
VERIFIED = ("⟦✓ verified “", "”⟧")
UNVERIFIED = ("⟦✗ unverified “", "”⟧")
"""What encloses a checked quote's text; only the framework can write ✓, ✗, ⟦ or ⟧."""

sanitize = safe_text  # the older name


def literal(text: str, style: str = "", *, multiline: bool = True) -> Text:
    """Model or file text as plain characters: no markup, no escape sequences, no marks."""
    return Text(safe_text(text, multiline=multiline), style=style)


def colour(position: int | None) -> str:
    return "white" if position is None else COLOURS[position % len(COLOURS)]


def render_turn(turn: Turn) -> Panel:
    title = Text.assemble(
        literal(speaker_label(turn), f"bold {colour(turn.position)}", multiline=False),
        f"  round {turn.round + 1}",
        literal(
            f"  cites {', '.join(turn.evidence)}" if turn.evidence else "", "dim", multiline=False
        ),
    )
    return Panel(
        quoted_text(turn),
        title=title,
        title_align="left",
        subtitle=quote_count(turn),
        subtitle_align="right",
        border_style=colour(turn.position),
    )


def quoted_text(turn: Turn) -> Text:
    """The turn's text with each checked quote enclosed in its mark (verified green,
    unverified red and struck through: colour helps, the characters alone suffice)."""
    body = Text()
    cursor = 0
    for quote in sorted(turn.quotes, key=lambda q: q.start):
        body.append_text(literal(turn.text[cursor : max(cursor, quote.start)]))
        (opening, closing), style, mark_style = (
            (VERIFIED, "bold green", "green")
            if quote.verified
            else (UNVERIFIED, "red strike", "bold red")
        )
        body.append(opening, style=mark_style)
        body.append_text(literal(quote.text, style))
        body.append(closing, style=mark_style)
        cursor = max(cursor, quote.end)
    body.append_text(literal(turn.text[cursor:]))
    return body


def quote_count(turn: Turn) -> Text | None:
    """Drawn in the panel's bottom border, where a debater cannot write: how many of the
    turn's quotes the framework checked, so a judge can count the marks against it."""
    if not turn.quotes:
        return None
    verified = sum(q.verified for q in turn.quotes)
    return Text(
        f"quotes checked: {verified} verified, {len(turn.quotes) - verified} unverified",
        style="dim",
    )


def render_header(transcript: Transcript, reveal: bool = True) -> Table:
    setup = transcript.setup
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold")
    table.add_column()
    table.add_row("debate", literal(transcript.debate_id, multiline=False))
    table.add_row(
        "protocol",
        literal(f"{transcript.protocol} {transcript.protocol_settings}", multiline=False),
    )
    table.add_row("question", literal(setup.question.text))
    for position in range(len(setup.shown)):
        mark = " (correct)" if reveal and position == setup.correct_position else ""
        table.add_row(
            f"answer {letter(position)}",
            Text.assemble(
                literal(setup.answer_text(position), colour(position), multiline=False),
                (mark, "bold green"),
            ),
        )
    table.add_row(
        "judge", literal(f"{transcript.judge.kind}: {transcript.judge.name}", multiline=False)
    )
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
            f"answer {letter(position)}",
            literal(view.answers[position], colour(position), multiline=False),
        )
    settings = ", ".join(f"{k}={v}" for k, v in view.protocol_settings.items())
    table.add_row(
        "protocol",
        literal(f"{view.protocol} ({settings})" if settings else view.protocol, multiline=False),
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
    if verdict.rewards:  # seat names come from protocols: shown literally too
        rewards = ", ".join(f"{seat}={value:+.4g}" for seat, value in verdict.rewards.items())
        body.append_text(literal(f"; rewards {rewards}"))
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
