"""Plain-text views of a debate, as models read them in prompts."""

from __future__ import annotations

from collections.abc import Sequence

from debate.types import Turn, letter
from transcripts.evidence import mark_quotes


def speaker_label(turn: Turn) -> str:
    """``Debater A`` / ``Consultant (B)``: seats are named by role and answer letter."""
    role = turn.speaker.split("_")[0].capitalize()
    if turn.position is None:
        return role
    if turn.speaker.startswith("debater_"):
        return f"Debater {letter(turn.position)}"
    return f"{role} ({letter(turn.position)})"


def answers_text(answers: Sequence[str]) -> str:
    return "; ".join(f"({letter(i)}) {a}" for i, a in enumerate(answers))


def transcript_text(turns: Sequence[Turn]) -> str:
    if not turns:
        return "(no speeches yet)"
    return "\n\n".join(
        f"{speaker_label(t)}, round {t.round + 1}: {mark_quotes(t.text, t.quotes)}" for t in turns
    )
