"""Untrusted text (model output, file content) made safe to show in a terminal.

Two things must never come from untrusted text. Control of the terminal: control and
format characters (C0 but newline and tab, C1, DEL, so every ESC sequence; bidi overrides
and isolates; zero-width characters; line and paragraph separators; surrogates, private use
and unassigned code points, which fonts may draw as anything) are shown as visible Python
escapes such as ``\\x1b`` or ``\\u202e``. And the framework's own marks: the characters the
judging screen draws quote marks and frames with (``RESERVED``: check marks, crosses and
their lookalikes, the ``⟦ ⟧`` brackets that enclose a checked quote, box drawing and block
characters) are escaped the same way, so whatever a debater types, every ``✓`` on screen was
put there by the framework. Combining marks with nothing of their own to sit on (at the start
of a piece of text, or after an escaped character), enclosing marks, and stacks of more than
``MAX_MARKS`` are escaped too: they could otherwise decorate the framework's characters or
draw outside their cell.
"""

from __future__ import annotations

import functools
import unicodedata

MAX_MARKS = 4
"""Most combining marks kept on one character (Vietnamese or pointed Hebrew need 2 or 3)."""

RESERVED_NAMES = (
    "CHECK MARK",  # ✓ ✔ ✅ 🗸 ⍻ 🮱 𐄂
    "BALLOT",  # ☑ ☒ ✗ ✘ 🗴 🗵 🗶 🗷 🗹
    "CROSS MARK",  # ❌ ❎
    "MULTIPLICATION X",  # ✕ ✖
    "SALTIRE",  # ☓
    "SQUARE ROOT",  # √, the closest lookalike of a check mark
    "CUBE ROOT",
    "FOURTH ROOT",
    "RADICAL SYMBOL",  # ⎷
    "WHITE SQUARE BRACKET",  # ⟦ ⟧ 〚 〛
)
"""Words in the Unicode names of characters only the framework may show."""

FRAME_BLOCKS = ((0x2500, 0x259F),)
"""Box drawing and block elements: the characters of panels, rules and bars."""

_ESCAPED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})


@functools.cache
def reserved(ch: str) -> bool:
    """True for a character that only the framework may draw (a mark, a frame)."""
    code = ord(ch)
    if code < 0x80:
        return False
    if any(low <= code <= high for low, high in FRAME_BLOCKS):
        return True
    name = unicodedata.name(ch, "")
    return any(word in name for word in RESERVED_NAMES)


def _escape(ch: str) -> str:
    return ch.encode("unicode_escape").decode("ascii")


def safe_text(text: str, *, multiline: bool = True) -> str:
    """``text`` with every character that could control the terminal or forge one of the
    framework's marks replaced by a visible escape; ``multiline=False`` escapes newlines and
    tabs too (for a title, a table cell, an error line)."""
    out: list[str] = []
    base = False  # the last character kept can carry a combining mark
    marks = 0
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "\n\t":
            keep = multiline
        elif category[0] == "M":
            keep = base and category != "Me" and marks < MAX_MARKS
        else:
            keep = category not in _ESCAPED_CATEGORIES and not reserved(ch)
        if not keep:
            out.append(_escape(ch))
            base, marks = False, 0
        elif category[0] == "M":
            out.append(ch)
            marks += 1
        else:
            out.append(ch)
            base, marks = not ch.isspace(), 0
    return "".join(out)
