"""Strict parsing of a judge's verdict: stated probabilities, or the logprobs of a letter.

A verdict is read only from the answer position, never from wherever a letter or a number
happens to appear: a small model that replies "Debater A, ..." or "A single capital
letter..." has not voted for A. Anything else is a parse failure (None): the judge re-asks,
then records it, counted wrong, never guessed at.

Stated: the reply's last line with any text must be ``Probabilities: A=0.7, B=0.3`` (one
value per shown answer, so ``A=.., B=.., C=..`` for three, up to Z; percentages accepted; the
label may follow other words on that line and may be in markdown emphasis; lines of markup
only, such as a closing code fence, are skipped). A line followed by more text is not the
verdict the judge ended on.

Letter (logprobs): the letter is a verdict only if

- everything before it is an allowed prefix: whitespace, opening brackets or quotes,
  markdown emphasis (``*``, ``_``), optionally an answer label such as ``Answer:``,
  ``The answer is`` or ``**Final answer:**``; and
- it ends a word: after it come only spaces then the end of the reply or a line break, or a
  character that is not a letter, digit or underscore (``)``, ``.``, ``:``, ``,``, ``*``,
  ``(``...). ``A single``, ``A is correct``, ``A's``, ``A-level`` and ``A/B`` are words, not
  votes: English reads "A" as an article, so a letter followed by a word is refused (and
  re-asked) rather than guessed; a letter followed by punctuation is a vote (``A.``,
  ``A) the cook``, ``A, because``).

Only capital letters count; a letter beyond the shown answers is not a vote.
"""

from __future__ import annotations

import math
import re

from debate.types import letter

_LABEL = re.compile(r"(?<!\w)probabilities[*_`\s]*:", re.IGNORECASE)
_PAIR = re.compile(
    r"^\s*\(?(?P<label>[A-Z])\)?\s*[=:]\s*(?P<value>\d+(?:\.\d+)?)\s*(?P<pct>%?)\s*$"
)
TOLERANCE = 0.02
"""How far the stated probabilities may sum from 1 (rounding) before we refuse them."""

MARKUP = "*_`"
"""Markdown emphasis allowed around a verdict."""


def parse_probabilities(text: str, n_answers: int) -> list[float] | None:
    """Probabilities for answers A.. from the reply's last line ``Probabilities: ...``."""
    lines = [line for line in text.splitlines() if line.strip(MARKUP + " \t~-=#>")]
    if not lines:
        return None
    labels = list(_LABEL.finditer(lines[-1]))
    if not labels:
        return None
    body = lines[-1][labels[-1].end() :].strip().strip(MARKUP).strip().rstrip(".")
    parts = [p for p in re.split(r"[,;]", body) if p]
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


_LETTER_TOKEN = re.compile(r"^(?P<before>[\s(\[{\"'*_`:]*)(?P<letter>[A-Z])(?P<after>\W*)$")
"""A token holding one capital letter, with only punctuation or spaces around it. A colon
may come first (``": B"`` after ``"Answer"``): whether it may stand there is the prefix's
rule (``_PREFIX`` on everything before the letter), so a reply opening ``":B"`` is no vote."""
_PREFIX = re.compile(
    r"""^[\s(\[{"'*_`]*
    (?:(?:the\s+)?(?:final\s+|correct\s+)?(?:answer|verdict|choice)(?:\s+is)?
       [\s*_`]*[:=\-]?[\s(\[{"'*_`:]*)?$""",
    re.IGNORECASE | re.VERBOSE,
)
"""What may come before the letter: spaces, openers, emphasis and an optional answer label."""
_WORD_GOES_ON = re.compile(r"^(?:[ \t]*\w|['’]\w|[-/&+]\w)")
"""After the letter: a word follows (``A single``), or the letter is part of one (``A's``)."""


def _letter_of(token: str) -> str | None:
    match = _LETTER_TOKEN.match(token)
    return match.group("letter") if match else None


def verdict_letter(tokens: list[str]) -> tuple[int, str] | None:
    """The index of the token holding the verdict letter, and the letter, or None.

    The first letter token with an allowed prefix before it and no word going on after it
    (module docstring). A letter that is part of a word is skipped, not a failure: in
    ``"A" "nswer" ": B"`` the vote is B.
    """
    for index, token in enumerate(tokens):
        match = _LETTER_TOKEN.match(token)
        if match is None:
            continue
        before = "".join(tokens[:index]) + match.group("before")
        after = match.group("after") + "".join(tokens[index + 1 :])
        if _PREFIX.match(before) and not _WORD_GOES_ON.match(after):
            return index, match.group("letter")
    return None


def probabilities_from_logprobs(entries: object, n_answers: int) -> list[float] | None:
    """Probabilities for answers A.. from the token logprobs of a one-letter reply.

    ``entries`` is ``GenerateResponse.extra["logprobs"]``: per generated token, its
    ``token``, ``logprob`` and ``top_logprobs``. The token at the answer position holding a
    letter that ends a word (``verdict_letter``) is the decision; the probability mass its
    top alternatives give each letter (variants such as ``"A"`` and ``" A"`` summed) is
    renormalised over the letters. A letter absent from the alternatives gets 0. No verdict
    letter is a parse failure (None), never a guess.
    """
    if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
        return None
    expected = {letter(p) for p in range(n_answers)}
    found = verdict_letter([str(entry.get("token", "")) for entry in entries])
    if found is None or found[1] not in expected:
        return None
    entry = entries[found[0]]
    mass = dict.fromkeys(sorted(expected), 0.0)
    seen: set[str] = set()
    for alt in [entry, *entry.get("top_logprobs", [])]:
        token = str(alt.get("token", ""))
        choice = _letter_of(token)
        if choice in expected and token not in seen:
            seen.add(token)
            mass[choice] += math.exp(float(alt["logprob"]))
    total = sum(mass.values())
    if total <= 0:
        return None
    return [mass[letter(p)] / total for p in range(n_answers)]
