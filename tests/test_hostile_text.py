"""A debater's forged quote marks and hostile sequences, in every way a judge can see them.

A genuine mark must be told apart by its characters alone: with colour, without (``NO_COLOR``,
``no_color=True``, ``color_system=None``, a plain file), in the pager (which drops styles)
and in exported text. The judge's rule, checked here: every ``✓`` on screen is a verified
quote, and the quote is exactly what stands between ``⟦✓ verified “`` and the next ``”⟧``.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from rich.console import Console
from rich.pager import Pager

from debate.quotes import EvidencePolicy, find_quotes
from debate.types import JudgeView, Turn
from judges.human import HumanJudge, ScriptedKeys
from tests.test_render import make_transcript
from transcripts.render import render_transcript
from transcripts.safe import safe_text

REPO = Path(__file__).resolve().parents[1]
PASSAGE = "Dana signed the ledger out at 9pm.\nIvo was at the harbour all evening."
TRUE_QUOTE = "Dana signed the ledger out at 9pm"
SGR = re.compile(r"\x1b\[[0-9;]*m")
LIVE = re.compile(r"\r(?:\x1b\[2K|\x1b\[1A)+|\x1b\[\?25[lh]")
"""What rich itself writes to redraw the probability entry (and nothing else)."""
GENUINE = re.compile(r"⟦✓ verified “(.*?)”⟧", re.DOTALL)

FORGERIES = {
    "plain": "“Ivo took the ledger” [✓]",
    "worded": "“Ivo took the ledger” [✓ verified]",
    "new mark": "⟦✓ verified “Ivo took the ledger”⟧",
    "heavy": "“Ivo took it” [✔] [✔\ufe0f] ✅",
    "ballot": "“Ivo took it” ☑ 🗹 🗸",
    "root": "“Ivo took it” [√] ⎷",
    "legacy": "“Ivo took it” 🮱 𐄂",
    "cross on opponent": "B said “Dana signed it” ⟦✗ unverified “Dana signed it”⟧ [✗]",
    "fullwidth": "［✓］ 〚✓ verified “Ivo took it”〛",
    "zero width": "⟦\u200b✓\u200d verified “Ivo took it”⟧ [\u2060✓]",
    "bidi": "\u202e]✓[ “ti koot ovI”\u202c \u2067⟦✓⟧\u2069",
    "combining": "\u0338\u0336 [v\u20de] v\u20dd ✓\u0338",
    "private use": "“Ivo took it” [\uf00c] [\U000f012c]",
    "carriage return": "innocent\r⟦✓ verified “Ivo took it”⟧",
    "ansi green": "\x1b[1;32m“Ivo took it” [✓]\x1b[0m\x1b[2J",
    "c1 csi": "\x9b1;32m“Ivo took it”\x9b0m",
    "markup": "[bold green]“Ivo took it” [✓][/bold green] [bold red]x[/]",
    "fake panel": (
        "I rest.\n╰──────────╯\n╭─ Debater B  round 1 ─╮\n│ I concede: ⟦✓ verified “Ivo”⟧ │"
    ),
    "fake subtitle": "╰─ quotes checked: 2 verified, 0 unverified ─╯",
}


def speech(forgery: str, position: int = 0, policy: EvidencePolicy | None = None) -> Turn:
    """A turn with the forgery around one true quote and one invented quote, checked by the
    framework against the passage, as the engine does."""
    text = (
        f"{forgery} The log: <quote>{TRUE_QUOTE}</quote>. {forgery} "
        f"And <quote>Ivo took the ledger</quote>. {forgery}"
    )
    return Turn(
        index=position,
        round=0,
        speaker=f"debater_{'AB'[position]}",
        position=position,
        text=text,
        quotes=find_quotes(text, PASSAGE, policy),
        started_at=0.0,
        duration_s=0.0,
    )


def seen_on(console: Console, live: bool = False) -> str:
    """What the person sees: the bytes written, less rich's own style codes (and, with
    ``live``, its redrawing of the entry). Nothing else may reach the terminal as a control
    sequence."""
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    shown = SGR.sub("", LIVE.sub("", raw) if live else raw)
    assert not re.search(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]", shown), repr(shown)
    assert "\x1b]8;" not in raw
    return shown


def check_honest(shown: str, turns: list[Turn], panels: int | None = None) -> None:
    """Every mark on screen is one the framework computed, with the quote it computed."""
    quotes = [q for t in turns for q in t.quotes]
    verified = [safe_text(q.text) for q in quotes if q.verified]
    assert shown.count("✓") == len(verified)
    assert GENUINE.findall(shown) == verified
    assert shown.count("✗") == len(quotes) - len(verified)
    assert shown.count("⟦") == shown.count("⟧") == len(quotes)
    # frames: one top and one bottom border per panel, the debater drew none of its own
    panels = len(turns) if panels is None else panels
    lines = [line.lstrip() for line in shown.splitlines()]
    assert sum(line.startswith("╭") for line in lines) == panels
    assert sum(line.startswith("╰") for line in lines) == panels
    for line in lines:
        if line.startswith("│"):
            assert line.count("│") == 2, line  # the panel's own two sides, no more
    assert "[✓]" not in shown and "✔" not in shown and "√" not in shown


def console_for(mode: str, monkeypatch: pytest.MonkeyPatch) -> Console:
    out = io.StringIO()
    if mode == "NO_COLOR":
        monkeypatch.setenv("NO_COLOR", "1")
        return Console(file=out, record=True, width=200, force_terminal=True)
    monkeypatch.delenv("NO_COLOR", raising=False)
    if mode == "colour":
        return Console(
            file=out, record=True, width=200, force_terminal=True, color_system="truecolor"
        )
    if mode == "no_color":
        return Console(file=out, record=True, width=200, force_terminal=True, no_color=True)
    if mode == "color_system=None":
        return Console(file=out, record=True, width=200, force_terminal=True, color_system=None)
    assert mode == "plain file"
    return Console(file=out, record=True, width=200, force_terminal=False)


COLOUR_SGR = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-8]|9[0-7])[;m]")


def check_mode(raw: str, mode: str) -> None:
    """The console really is in that mode: colour, styles without colour, or no styles."""
    if mode == "colour":
        assert COLOUR_SGR.search(raw)
    elif mode in ("no_color", "NO_COLOR"):
        assert "\x1b[" in raw and not COLOUR_SGR.search(raw)
    else:
        assert "\x1b" not in raw


MODES = ["colour", "no_color", "NO_COLOR", "color_system=None", "plain file"]


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("forgery", list(FORGERIES.values()), ids=list(FORGERIES))
def test_forged_marks_are_told_apart_in_every_mode(
    forgery: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns = [speech(forgery, 0), speech(forgery, 1)]
    assert [q.verified for q in turns[0].quotes] == [True, False]
    console = console_for(mode, monkeypatch)
    console.print(render_transcript(make_transcript(turns)))
    check_mode(console.file.getvalue(), mode)  # type: ignore[attr-defined]
    check_honest(seen_on(console), turns, panels=3)  # and the verdict's
    check_honest(console.export_text(), turns, panels=3)


class CapturePager(Pager):
    """Keeps what would have gone to ``less``."""

    def __init__(self) -> None:
        self.pages: list[str] = []

    def show(self, content: str) -> None:
        self.pages.append(content)


def judge_view(turns: list[Turn], answers: tuple[str, str] = ("Dana", "Ivo")) -> JudgeView:
    return JudgeView(
        debate_id="hostile", protocol="debate-sequential", question="Who took the ledger?",
        answers=list(answers), turns=turns, seed=1,
    )  # fmt: skip


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("forgery", list(FORGERIES.values()), ids=list(FORGERIES))
async def test_forged_marks_are_told_apart_on_the_judging_screen_and_in_the_pager(
    forgery: str, mode: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    turns = [speech(forgery, 0), speech(forgery, 1)]
    console, pager = console_for(mode, monkeypatch), CapturePager()
    keys = ScriptedKeys(["p", "a", "6", "0", "enter"], [""])
    human = HumanJudge("tester", console=console, keys=keys, pager=pager)
    await human(judge_view(turns))
    assert len(pager.pages) == 1
    check_honest(pager.pages[0], turns)
    check_honest(seen_on(console, live=True), turns)  # once: the pager's text is not here


def test_a_quote_cannot_be_stretched_over_the_debaters_own_words(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Curly quotes the debater writes around a true quote do not widen what is verified."""
    text = f"“Ivo stole the ledger, and <quote>{TRUE_QUOTE}</quote>” and more”"
    turn = speech("").model_copy(update={"text": text, "quotes": find_quotes(text, PASSAGE)})
    console = console_for("plain file", monkeypatch)
    console.print(render_transcript(make_transcript([turn])))
    assert GENUINE.findall(seen_on(console)) == [TRUE_QUOTE]


def test_a_fuzzily_verified_quote_cannot_close_its_own_mark_early(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A quote verified by a fuzzy match may hold a few characters of the debater's choice:
    never the mark's closing bracket, so the extent of the quote stays the framework's."""
    body = "Dana signed the ledger out at 9pm”⟧ Ivo"
    text = f"<quote>{body}</quote>"
    quotes = find_quotes(text, PASSAGE, EvidencePolicy(fuzzy_threshold=80))
    assert quotes[0].verified
    turn = speech("").model_copy(update={"text": text, "quotes": quotes})
    console = console_for("plain file", monkeypatch)
    console.print(render_transcript(make_transcript([turn])))
    shown = seen_on(console)
    assert GENUINE.findall(shown) == ["Dana signed the ledger out at 9pm”\\u27e7 Ivo"]
    assert shown.count("⟧") == 1


def test_hostile_answers_cannot_fake_a_row_or_a_mark_in_the_entry(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    v = judge_view([], answers=("Dana ✓\n▶ B Ivo ███", "Ivo [bold]x[/] \x1b[2J"))
    console = console_for("colour", monkeypatch)
    console.print(HumanJudge("t", console=console)._entry(v, [0, 1]).render())
    shown = seen_on(console)
    assert "Dana \\u2713\\n▶ B Ivo \\u2588" in shown
    assert "[bold]x[/] \\x1b[2J" in shown
    assert "✓" not in shown
    rows = [line for line in shown.splitlines() if re.search(r"\d%\s*$", line)]
    assert len(rows) == 2, rows  # one row per answer


def test_paths_and_file_text_reach_the_judge_command_escaped(tmp_path: Path) -> None:
    """The judging command prints paths (a folder may be named anything) and file text only
    through ``safe_text``: nothing from them reaches the terminal as a control sequence."""
    from tests.test_human_tui import make_run

    run = tmp_path / "run\x1b[2J\u202e[bold]x[/]"
    make_run(run, n=2)
    done = subprocess.run(
        [sys.executable, "-m", "debate.cli", "judge", str(run), "--judge-id", "x"],
        input="q\n", capture_output=True, text=True, cwd=REPO, env={**os.environ, "COLUMNS": "300"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "\x1b" not in done.stdout and "\u202e" not in done.stdout
    assert "run\\x1b[2J\\u202e[bold]x[/]" in done.stdout  # the path, as typed, escaped
    assert "Stopped. 0 judgments by x are saved" in done.stdout
