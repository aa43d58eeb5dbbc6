"""Quotes from a hidden passage, marked verified or unverified (Khan et al. 2024 style).

Debaters quote the passage as ``<quote>...</quote>``. Each quote is checked against the
passage (normalised exact match, or a fuzzy match above a configurable threshold) and shown
to judges as ``<v_quote>`` (verified) or ``<u_quote>`` (unverified). Marks are always computed
here: a debater who writes ``<v_quote>`` itself gets its quote checked like any other, and a
stray tag it writes is removed, so a "verified" mark cannot be forged. Stray tags are found
after NFKC (fullwidth ``＜v_quote＞``) with format characters (zero-width, bidi) left out, so
disguised ones are removed too. Human judges see marks drawn by ``transcripts.render``.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from pydantic import BaseModel, ConfigDict, Field

from debate.types import Quote

_TAGGED = re.compile(r"<(quote|v_quote|u_quote)>(.*?)</\1>", re.IGNORECASE | re.DOTALL)
_STRAY = re.compile(r"</?\s*[vu]_quote\s*>|</?\s*quote\s*>", re.IGNORECASE)
_PUNCT = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u2013": "-",
        "\u2014": "-",
        "\u2026": "...",
    }
)


class EvidencePolicy(BaseModel):
    """How strictly quotes must match the passage."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    fuzzy_threshold: float = Field(
        default=100.0,
        ge=0,
        le=100,
        description="minimum partial-match score (0-100) after normalisation; 100 = exact",
    )
    min_chars: int = Field(default=5, ge=1, description="shorter quotes are never verified")


def normalise(text: str) -> str:
    """Case, Unicode form, typographic punctuation and whitespace do not matter."""
    folded = unicodedata.normalize("NFKC", text).translate(_PUNCT).casefold()
    return " ".join(folded.split()).strip(" .,;:!?\"'")


@functools.lru_cache(maxsize=64)
def normalised_passage(passage: str) -> str:
    """``normalise(passage)``, once per passage: every quote of a debate is checked against
    the same one (a str hashes once, so a repeat lookup costs no pass over it)."""
    return normalise(passage)


def match_score(quote: str, passage: str) -> float:
    """100 if the normalised quote occurs in the passage, else the best partial match."""
    q, p = normalise(quote), normalised_passage(passage)
    if q and q in p:
        return 100.0
    from rapidfuzz import fuzz  # lazy: only hidden-passage debates need it

    return float(fuzz.partial_ratio(q, p)) if q else 0.0


def find_quotes(
    text: str, passage: str | None, policy: EvidencePolicy | None = None
) -> list[Quote]:
    """Every tagged quote in ``text``, checked against ``passage`` (none verified without one)."""
    policy = policy or EvidencePolicy()
    quotes = []
    for match in _TAGGED.finditer(text):
        body = match.group(2)
        score = match_score(body, passage) if passage else 0.0
        verified = len(normalise(body)) >= policy.min_chars and score >= policy.fuzzy_threshold
        quotes.append(
            Quote(text=body, start=match.start(), end=match.end(), verified=verified, score=score)
        )
    return quotes


def strip_stray_tags(text: str) -> str:
    """``text`` without quote tags, also disguised ones: they are looked for in its NFKC form
    (fullwidth or small ``＜``, ``＞``, ``＿``) with format characters (zero-width, bidi) left
    out, and removed from the original text."""
    if text.isascii():  # NFKC leaves ASCII as it is, and it has no format characters
        return _STRAY.sub("", text) if "<" in text else text
    folded: list[str] = []
    owner: list[int] = []  # the index in ``text`` each folded character came from
    for i, ch in enumerate(text):
        if unicodedata.category(ch) != "Cf":
            for part in unicodedata.normalize("NFKC", ch):
                folded.append(part)
                owner.append(i)
    out, cursor = [], 0
    for match in _STRAY.finditer("".join(folded)):
        start, end = owner[match.start()], owner[match.end() - 1] + 1
        out.append(text[cursor:start])
        cursor = end
    out.append(text[cursor:])
    return "".join(out)


def mark_quotes(text: str, quotes: list[Quote]) -> str:
    """The text a judge sees: computed ``<v_quote>``/``<u_quote>`` marks, stray tags removed."""
    out, cursor = [], 0
    for quote in sorted(quotes, key=lambda q: q.start):
        out.append(strip_stray_tags(text[cursor : max(cursor, quote.start)]))
        tag = "v_quote" if quote.verified else "u_quote"
        out.append(f"<{tag}>{strip_stray_tags(quote.text)}</{tag}>")
        cursor = max(cursor, quote.end)
    out.append(strip_stray_tags(text[cursor:]))
    return "".join(out)
