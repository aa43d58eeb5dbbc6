"""Plain-text views of a debate, as models read them in prompts."""

from __future__ import annotations

from collections.abc import Sequence

from debate.memo import IdentityMemo
from debate.quotes import mark_quotes
from debate.types import Turn, letter

_TURN_TEXT = IdentityMemo(size=16384)
"""Each turn's line, made once: a prompt shows the whole transcript every turn, so marking
every turn's quotes again each time would cost quadratic in turns."""


def seat_label(speaker: str, position: int | None) -> str:
    """``Debater A`` / ``Consultant (B)``: seats are named by role and answer letter."""
    role = speaker.split("_")[0].capitalize()
    if position is None:
        return role
    if speaker.startswith("debater_"):
        return f"Debater {letter(position)}"
    return f"{role} ({letter(position)})"


def speaker_label(turn: Turn) -> str:
    return seat_label(turn.speaker, turn.position)


def answers_text(answers: Sequence[str]) -> str:
    return "; ".join(f"({letter(i)}) {a}" for i, a in enumerate(answers))


def letters_text(n_answers: int) -> str:
    """The shown answers' letters as a prompt names them: ``A or B``, ``A, B or C``."""
    letters = [letter(p) for p in range(n_answers)]
    return f"{', '.join(letters[:-1])} or {letters[-1]}"


PLACEHOLDERS = "xyzwvutsrqponmlkjihgfedcba"
"""One distinct placeholder letter per answer in the verdict line a judge is shown."""


def verdict_line(n_answers: int) -> str:
    """The line a judge must end with, one value per shown answer (``judges.parsing``):
    ``Probabilities: A=0.xx, B=0.yy`` for two answers, ``..., C=0.zz`` for three."""
    pairs = (f"{letter(p)}=0.{PLACEHOLDERS[p] * 2}" for p in range(n_answers))
    return "Probabilities: " + ", ".join(pairs)


def turn_text(turn: Turn) -> str:
    """One turn as a prompt shows it: who spoke in which round, quotes marked."""
    return _TURN_TEXT.get(
        turn,
        "line",
        lambda: (
            f"{speaker_label(turn)}, round {turn.round + 1}: {mark_quotes(turn.text, turn.quotes)}"
        ),
    )


def transcript_text(turns: Sequence[Turn]) -> str:
    if not turns:
        return "(no speeches yet)"
    return "\n\n".join(turn_text(t) for t in turns)
