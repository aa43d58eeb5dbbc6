"""``safe_text``: untrusted text can neither control the terminal nor draw a framework mark."""

from __future__ import annotations

import unicodedata

import pytest

import debate  # noqa: F401  # first: importing the transcripts package first hits an import cycle
from transcripts.safe import MAX_MARKS, reserved, safe_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b[2Jb", "a\\x1b[2Jb"),  # clear screen
        ("a\x1b]8;;http://e.x\x1b\\b", "a\\x1b]8;;http://e.x\\x1b\\b"),  # OSC 8 link
        ("a\x9b2Jb", "a\\x9b2Jb"),  # C1 CSI: clears the screen on some terminals
        ("a\x85b", "a\\x85b"),  # C1 next line
        ("a\x7fb", "a\\x7fb"),  # DEL
        ("a\rb", "a\\rb"),  # carriage return: overwrite the line
        ("a\x08b", "a\\x08b"),  # backspace
        ("a\x0bb\x0cc", "a\\x0bb\\x0cc"),  # vertical tab, form feed
        ("a\x00b\x07c", "a\\x00b\\x07c"),  # NUL, bell
        ("a\u202eb\u202cc", "a\\u202eb\\u202cc"),  # right-to-left override
        ("a\u2067b\u2069", "a\\u2067b\\u2069"),  # right-to-left isolate
        ("a\u061cb\u200fc", "a\\u061cb\\u200fc"),  # Arabic letter mark, RLM
        ("a\u200bb\u200dc\u2060d\ufeff", "a\\u200bb\\u200dc\\u2060d\\ufeff"),  # zero width
        ("a\u2028b\u2029c", "a\\u2028b\\u2029c"),  # line and paragraph separators
        ("a\ud800b", "a\\ud800b"),  # lone surrogate (from JSON): would crash a print
        ("a\ue000b\uf00c", "a\\ue000b\\uf00c"),  # private use: icon fonts draw checks here
        ("a\u0378b", "a\\u0378b"),  # unassigned
    ],
)
def test_control_format_and_undrawable_characters_are_escaped(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown


def test_newlines_and_tabs_are_kept_unless_the_text_is_one_line() -> None:
    assert safe_text("one\n\ttwo\n") == "one\n\ttwo\n"
    assert safe_text("one\n\ttwo", multiline=False) == "one\\n\\ttwo"


@pytest.mark.parametrize(
    "text",
    [
        "naïve café, Zoë — 日本語 → 한국어",
        "हिन्दी और தமிழ்",  # spacing and non-spacing marks on their letters
        "Vie\u0323\u0302t",  # decomposed Vietnamese: two marks on one letter
        "שָׁלוֹם and مَرْحَبًا",  # pointed Hebrew, vowelled Arabic
        "❤\ufe0f 👍🏽 🙂",  # emoji with variation selector and skin tone
        "[bold red]x[/bold red] [link=http://e.x]y[/link] :smile:",  # markup is just text
        "| + - = * ... \\x1b",  # ASCII, including a typed backslash escape
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert safe_text(text) == text
    assert safe_text(text, multiline=False) == text


LOOKALIKES = (
    "✓✔✅☑🗸🗹√∛∜⎷⍻🮱𐄂"  # checks and ticks
    "✗✘✕✖❌❎☒☓🗴🗵🗶🗷"  # crosses
    "⟦⟧〚〛"  # the brackets that enclose a checked quote
    "─│╭╮╰╯┃━┏┓┗┛├┤┼═║╔╗"  # box drawing: panel frames and rules
    "█▌▐░▒▓▀▄"  # block elements: the probability bar
)


@pytest.mark.parametrize("ch", list(LOOKALIKES))
def test_mark_and_frame_characters_and_their_lookalikes_are_reserved(ch: str) -> None:
    assert reserved(ch), unicodedata.name(ch)
    assert safe_text(f"x{ch}y") == f"x{ch.encode('unicode_escape').decode()}y"


def test_only_mark_and_frame_characters_are_reserved() -> None:
    for ch in "vVν✂★☆✉⭐×→«»“”[]［］()<>＜＞‹›⌊⌋":
        assert not reserved(ch), unicodedata.name(ch)


def test_marks_cannot_be_spelled_with_fullwidth_or_invisible_characters() -> None:
    for forged in ("［✓］", "[\u200b✓]", "⟦\u2060✓ verified “x”⟧", "[✔\ufe0f]", "\u202e]✓["):
        shown = safe_text(forged)
        assert "✓" not in shown and "✔" not in shown and "⟦" not in shown
        assert all(unicodedata.category(c) not in ("Cc", "Cf") for c in shown)


def test_combining_marks_without_a_letter_of_their_own_are_escaped() -> None:
    # at the start of a piece: it would sit on the framework's character before it
    assert safe_text("\u0336\u0338 said") == "\\u0336\\u0338 said"
    # after a space, or after a character that was escaped
    assert safe_text("a \u0301") == "a \\u0301"
    assert safe_text("✓\u0301") == "\\u2713\\u0301"
    assert safe_text("\u2714\ufe0f") == "\\u2714\\ufe0f"


def test_enclosing_marks_are_always_escaped() -> None:
    # a letter in a combining square or circle would look like a ballot box
    assert safe_text("v\u20de") == "v\\u20de"
    assert safe_text("v\u20dd") == "v\\u20dd"
    assert safe_text("1\ufe0f\u20e3") == "1\ufe0f\\u20e3"


def test_stacks_of_combining_marks_are_cut_to_a_few() -> None:
    zalgo = "a" + "\u0301" * (MAX_MARKS + 3) + "b"
    assert safe_text(zalgo) == "a" + "\u0301" * MAX_MARKS + "\\u0301" * 3 + "b"
    assert safe_text("e\u0301\u0302 e\u0301") == "e\u0301\u0302 e\u0301"


def test_the_result_is_printable_and_has_no_reserved_or_control_character() -> None:
    every = "".join(chr(c) for c in range(0x30000) if not 0xD800 <= c <= 0xDFFF)
    shown = safe_text(every, multiline=False)
    categories = {unicodedata.category(c) for c in shown}
    assert not categories & {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp", "Me"}
    assert not any(reserved(c) for c in shown)
    assert "\x1b" not in shown and "✓" not in shown
    shown.encode("utf-8")  # no lone surrogate left to crash a print


def test_escaping_twice_changes_nothing_more() -> None:
    """Text may pass through more than one layer that escapes (a note built from a key, then
    drawn): the second pass must not escape the escapes."""
    text = "a\x1b[2J ✓\u0301 \u0336x\u202e v\u20de ⟦“q”⟧ \ud800 e\u0301\n\tz"
    once = safe_text(text)
    assert safe_text(once) == once
    assert safe_text(safe_text(text, multiline=False), multiline=False) == safe_text(
        text, multiline=False
    )
