"""Tests for terminal rendering: model text is shown literally, never as markup or escapes."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from debate.types import AgentInfo, DebateSetup, Question, Transcript, Turn, Verdict
from transcripts.render import render_transcript, sanitize

MARKUP = "[bold red]x[/bold red]"
LINK = "[link=http://e.x]y[/link]"
CLEAR = "\x1b[2J"
CLEAR_VISIBLE = "\\x1b[2J"


def make_turn(index: int, position: int, text: str, evidence: list[str] | None = None) -> Turn:
    return Turn(
        index=index,
        round=index // 2,
        speaker=f"debater_{'AB'[position]}",
        position=position,
        text=text,
        evidence=evidence or [],
        started_at=1_700_000_000.0,
        duration_s=0.5,
    )


def make_transcript(
    turns: list[Turn],
    *,
    verdict: Verdict | None = None,
    error: str | None = None,
    question_text: str = "Which box holds the key?",
) -> Transcript:
    question = Question(
        id="render-q",
        text=question_text,
        options=["the red box", "the blue box"],
        correct_index=1,
        context="hidden",
    )
    setup = DebateSetup(question=question, shown=[0, 1], seats=[], seed=3)
    if verdict is None and error is None:
        verdict = Verdict(probabilities=[0.25, 0.75], raw="Probabilities: A=0.25, B=0.75")
    return Transcript(
        debate_id="render-q-debate-sequential-3",
        protocol="debate-sequential",
        protocol_settings={"rounds": 1},
        setup=setup,
        judge=AgentInfo(kind="simulated", name="perfect"),
        turns=turns,
        verdict=verdict,
        correct=verdict is not None and verdict.decision == 1,
        p_correct=verdict.probabilities[1] if verdict is not None else None,
        error=error,
        started_at=1_700_000_000.0,
        finished_at=1_700_000_001.0,
    )


def render(transcript: Transcript) -> tuple[str, str]:
    """(plain exported text, raw terminal output) of the rendered transcript."""
    raw = io.StringIO()
    console = Console(
        file=raw,
        record=True,
        width=120,
        force_terminal=True,
        color_system="truecolor",
    )
    console.print(render_transcript(transcript))
    return console.export_text(), raw.getvalue()


HOSTILE = [
    make_turn(0, 0, f"Look: {MARKUP} here"),
    make_turn(1, 1, f"Click {LINK} now"),
    make_turn(2, 0, f"Wipe{CLEAR}the screen"),
]


def test_markup_in_turn_text_is_shown_literally() -> None:
    plain, raw = render(make_transcript(HOSTILE))
    assert MARKUP in plain
    assert LINK in plain
    # the link was not turned into an OSC 8 hyperlink, and nothing became bold red text
    assert "\x1b]8;" not in raw
    assert "\x1b[1;31mx" not in raw


def test_escape_sequences_in_turn_text_are_made_visible() -> None:
    plain, raw = render(make_transcript(HOSTILE))
    assert CLEAR not in raw
    assert CLEAR_VISIBLE in raw
    assert f"Wipe{CLEAR_VISIBLE}the screen" in plain


def test_rendering_shows_speakers_answers_and_the_verdict() -> None:
    plain, _ = render(make_transcript(HOSTILE))
    assert "Debater A" in plain
    assert "Debater B" in plain
    assert "the red box" in plain
    assert "the blue box (correct)" in plain
    assert "A=0.25, B=0.75" in plain
    assert "correct" in plain.split("verdict", 1)[1]


def test_hostile_verdict_raw_question_and_error_are_sanitized() -> None:
    verdict = Verdict(probabilities=[0.5, 0.5], parsed=False, raw=f"{MARKUP}{CLEAR}")
    plain, raw = render(make_transcript([], verdict=verdict, question_text=f"Q {LINK}{CLEAR}?"))
    assert CLEAR not in raw
    assert MARKUP in plain
    assert LINK in plain
    assert "did not parse" in plain

    plain, raw = render(make_transcript([], error=f"RuntimeError: {MARKUP}{CLEAR}"))
    assert CLEAR not in raw
    assert f"RuntimeError: {MARKUP}{CLEAR_VISIBLE}" in plain
    assert "counted wrong" in plain


def test_escape_sequences_in_evidence_ids_are_made_visible() -> None:
    transcript = make_transcript([make_turn(0, 0, "see the log", evidence=[f"F1{CLEAR}"])])
    _, raw = render(transcript)
    assert CLEAR not in raw
    assert f"F1{CLEAR_VISIBLE}" in raw


# --- sanitize ----------------------------------------------------------------------------


def test_sanitize_keeps_newlines_and_tabs() -> None:
    text = "line one\n\tindented line two\n"
    assert sanitize(text) == text


@pytest.mark.parametrize(
    ("raw", "visible"),
    [
        ("a\rb", "a\\rb"),
        ("a\u202eb", "a\\u202eb"),  # right-to-left override
        ("a\x1b[2Jb", "a\\x1b[2Jb"),
        ("a\x07b", "a\\x07b"),  # bell
        ("a\x00b", "a\\x00b"),
        ("a\u200bb", "a\\u200bb"),  # zero-width space (format character)
    ],
)
def test_sanitize_escapes_control_and_format_characters(raw: str, visible: str) -> None:
    assert sanitize(raw) == visible


def test_sanitize_leaves_ordinary_unicode_and_markup_alone() -> None:
    text = f"Zoë — 日本語 → ❤ {MARKUP}"
    assert sanitize(text) == text


def test_sanitize_escapes_the_framework_mark_characters() -> None:
    assert sanitize("fine ✓ [✓]") == "fine \\u2713 [\\u2713]"


def test_verified_and_unverified_quotes_look_different() -> None:
    from debate.types import Quote
    from transcripts.render import quoted_text

    text = "a <quote>seen</quote> b <quote>made up</quote>"
    quotes = [
        Quote(text="seen", start=2, end=21, verified=True, score=100),
        Quote(text="made up", start=24, end=46, verified=False, score=10),
    ]
    rendered = quoted_text(
        Turn(
            index=0,
            round=0,
            speaker="debater_A",
            position=0,
            text=text,
            quotes=quotes,
            started_at=0.0,
            duration_s=0.0,
        )
    )
    assert rendered.plain == "a ⟦✓ verified “seen”⟧ b ⟦✗ unverified “made up”⟧"
    styles = {str(span.style) for span in rendered.spans}
    assert "bold green" in styles and "red strike" in styles
