"""Strict parsing of a judge's stated probabilities.

The judge must end with a line such as ``Probabilities: A=0.7, B=0.3`` (percentages are
accepted). Anything else is a parse failure: recorded, counted wrong, never guessed at.
"""

from __future__ import annotations

import math
import re

from debate.types import letter

_LINE = re.compile(r"probabilities\s*:\s*(?P<body>[^\n]*)", re.IGNORECASE)
_PAIR = re.compile(
    r"^\s*\(?(?P<label>[A-Z])\)?\s*[=:]\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<pct>%?)\s*$"
)
TOLERANCE = 0.02
"""How far the stated probabilities may sum from 1 (rounding) before we refuse them."""


def parse_probabilities(text: str, n_answers: int) -> list[float] | None:
    """Probabilities for answers A.. from the last ``Probabilities:`` line, else None."""
    matches = list(_LINE.finditer(text))
    if not matches:
        return None
    parts = [p for p in re.split(r"[,;]", matches[-1].group("body").strip().rstrip(".")) if p]
    values: dict[str, float] = {}
    for part in parts:
        pair = _PAIR.match(part.upper())
        if pair is None:
            return None
        value = float(pair.group("value"))
        values[pair.group("label")] = value / 100 if pair.group("pct") else value
    expected = {letter(p) for p in range(n_answers)}
    if set(values) != expected or len(parts) != n_answers:
        return None
    if any(v > 1 for v in values.values()) and all(v <= 100 for v in values.values()):
        values = {k: v / 100 for k, v in values.items()}  # "A=70, B=30" means percent
    total = sum(values.values())
    if any(v < 0 or v > 1 for v in values.values()) or abs(total - 1) > TOLERANCE:
        return None
    return [values[letter(p)] / total for p in range(n_answers)]


_LETTER_TOKEN = re.compile(r"^[\s(*\"'\[]*(?P<letter>[A-Z])[\s).:*\"'\]]*$")


def _letter_of(token: str) -> str | None:
    match = _LETTER_TOKEN.match(token)
    return match.group("letter") if match else None


def probabilities_from_logprobs(entries: object, n_answers: int) -> list[float] | None:
    """Probabilities for answers A.. from the token logprobs of a one-letter reply.

    ``entries`` is ``GenerateResponse.extra["logprobs"]``: per generated token, its
    ``token``, ``logprob`` and ``top_logprobs``. The first generated token that is an answer
    letter (allowing a leading space or bracket, e.g. ``" A"`` or ``"(B"``) is the decision;
    the probability mass its top alternatives give each letter (variants summed) is
    renormalised over the letters. A letter absent from the alternatives gets 0. No letter
    token at all is a parse failure (None), never a guess.
    """
    if not isinstance(entries, list):
        return None
    expected = {letter(p) for p in range(n_answers)}
    for entry in entries:
        if not isinstance(entry, dict) or _letter_of(str(entry.get("token", ""))) not in expected:
            continue
        mass = dict.fromkeys(sorted(expected), 0.0)
        seen: set[str] = set()
        for alt in [entry, *entry.get("top_logprobs", [])]:
            token = str(alt.get("token", ""))
            found = _letter_of(token)
            if found in expected and token not in seen:
                seen.add(token)
                mass[found] += math.exp(float(alt["logprob"]))
        total = sum(mass.values())
        if total <= 0:
            return None
        return [mass[letter(p)] / total for p in range(n_answers)]
    return None
