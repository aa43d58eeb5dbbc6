"""Entering a probability: the state a judge's keys move, and how it is drawn.

The judge chooses an answer (its letter, or up/down) and sets how likely it is to be
correct: left/right move it by 5 points, digits type it exactly (1-99). The other answers
share the rest in proportion, so the numbers always sum to 100 and what is drawn is
exactly what Enter records. An exact tie for the top answer is scored like every judge's
tie (1/k, see ``Verdict.score``); since 50/50 is also where a debate starts, Enter on a tie
asks once more before recording it, so a tie is always meant.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from transcripts.render import literal
from transcripts.safe import safe_text

STEP = 5
BAR_WIDTH = 30
Action = Literal["commit", "quit", "page"]


@dataclass
class Entry:
    """Probabilities (in percent) for the answers in display order, and the cursor."""

    letters: list[str]
    answers: list[str]
    colours: list[str]
    percents: list[float] = field(default_factory=list)
    selected: int = 0
    typed: str = ""
    note: str = ""
    keys: list[str] = field(default_factory=list)
    _tie_asked: bool = field(default=False, repr=False)

    def __post_init__(self) -> None:
        if not self.percents:
            self.percents = [100 / len(self.letters)] * len(self.letters)

    def set_selected(self, percent: float) -> None:
        """Give the chosen answer ``percent`` (1-99); the others share the rest in proportion."""
        percent = min(99.0, max(1.0, percent))
        others = [i for i in range(len(self.percents)) if i != self.selected]
        total = sum(self.percents[i] for i in others)
        for i in others:
            self.percents[i] = (100 - percent) * self.percents[i] / total
        self.percents[self.selected] = percent

    def decided(self) -> bool:
        top = max(self.percents)
        return sum(1 for p in self.percents if abs(p - top) < 1e-9) == 1

    def press(self, key: str) -> Action | None:
        """Apply one key; return what the session must do, if anything."""
        self.note = ""
        self.keys.append(key)
        lower = key.lower() if len(key) == 1 else key
        if key in ("eof",) or lower == "q":
            return "quit"
        if lower == "p":
            return "page"
        if key == "enter":
            confirmed = self._tie_asked
            self._tie_asked = False
            if self.decided() or confirmed:
                return "commit"
            self._tie_asked = True
            self.note = (
                "that is a tie, scored as a fair guess: Enter again to record it, "
                "or lean one way (e.g. 51)"
            )
            return None
        self._tie_asked = False
        if lower in (letter.lower() for letter in self.letters):
            self.selected = [letter.lower() for letter in self.letters].index(lower)
        elif key in ("up", "down", "tab"):
            self.selected = (self.selected + (-1 if key == "up" else 1)) % len(self.letters)
        elif key in ("left", "right", "-", "+", "="):
            # to the next multiple of STEP in that direction: 73 goes to 75 or 70
            now = self.percents[self.selected] / STEP
            down = key in ("left", "-")
            self.set_selected(
                (math.ceil(now - 1e-9) - 1 if down else math.floor(now + 1e-9) + 1) * STEP
            )
        elif key.isascii() and key.isdigit():
            self.typed = key if len(self.typed) >= 2 else self.typed + key
            if 1 <= int(self.typed) <= 99:
                self.set_selected(int(self.typed))
            else:
                self.note = "type a whole number from 1 to 99"
            return None
        elif key == "backspace":
            self.typed = self.typed[:-1]
            if self.typed and int(self.typed) >= 1:
                self.set_selected(int(self.typed))
            return None
        else:
            self.note = f"'{safe_text(key, multiline=False)}' does nothing here"
        self.typed = ""
        return None

    def probabilities(self, order: Sequence[int]) -> list[float]:
        """The probabilities in the view's answer order (``order`` maps display to view)."""
        out = [0.0] * len(order)
        for shown, position in enumerate(order):
            out[position] = self.percents[shown] / 100
        total = sum(out)
        return [p / total for p in out]

    def choice_text(self) -> str:
        ranked = sorted(range(len(self.letters)), key=lambda i: -self.percents[i])
        return ", ".join(f"{self.letters[i]} {self.percents[i]:.0f}%" for i in ranked)

    def render(self) -> RenderableType:
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=1)
        grid.add_column()
        grid.add_column(max_width=48, no_wrap=True, overflow="ellipsis")
        grid.add_column()
        grid.add_column(justify="right", width=4)
        for i, (letter, answer) in enumerate(zip(self.letters, self.answers, strict=True)):
            filled = round(self.percents[i] / 100 * BAR_WIDTH)
            bar = Text("█" * filled, style=self.colours[i])
            bar.append("·" * (BAR_WIDTH - filled), style="dim")
            grid.add_row(
                Text("▶", style="bold") if i == self.selected else "",
                Text(letter, style=f"bold {self.colours[i]}"),
                literal(answer, self.colours[i], multiline=False),
                bar,
                f"{self.percents[i]:.0f}%",
            )
        letters = "/".join(letter.lower() for letter in self.letters)
        hint = Text(
            f"{letters} or ↑↓ choose an answer · ←→ -/+{STEP} · type 1-99: % for the "
            "chosen answer · Enter confirm · p page through the debate · q quit",
            style="dim",
        )
        parts: list[RenderableType] = [grid, hint]
        if self.note:
            parts.append(literal(self.note, "bold red"))
        return Group(*parts)


_LINE = re.compile(
    r"^(?:(?P<l1>[a-z])\s*[=:]?\s*(?P<n1>\d{1,2})|(?P<n2>\d{1,2})\s*(?P<l2>[a-z])?)\s*%?$"
)


def parse_line(text: str, letters: Sequence[str]) -> tuple[int, int] | str:
    """``b80``, ``B = 80%``, ``80 b`` or a bare ``80`` (for the first listed answer) as
    (display index, percent); anything else gives the message to show."""
    match = _LINE.match(text.strip().lower())
    if match is None:
        return f"{text.strip()!r}: type a letter and a number, e.g. {letters[-1].lower()}80"
    label = match.group("l1") or match.group("l2") or letters[0].lower()
    number = int(match.group("n1") or match.group("n2"))
    lowered = [letter.lower() for letter in letters]
    if label not in lowered:
        return f"{label.upper()!r} is not an answer here; answers are {', '.join(letters)}"
    if not 1 <= number <= 99:
        return "the probability must be a whole number from 1 to 99"
    return lowered.index(label), number
