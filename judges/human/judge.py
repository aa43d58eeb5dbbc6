"""A person judging at the terminal: the same role as a model judge, drawn with rich.

``HumanJudge`` implements ``Judge`` (a verdict with a probability per answer) and
``QuestioningJudge`` (questions between rounds of an interactive protocol), so the engine,
evals and reports treat human and model verdicts alike. It is also a ``DebateObserver``:
when it judges a debate as it runs, each turn is drawn the moment it arrives, with a
waiting indicator while speakers write. Model text reaches the screen only through
``transcripts.render`` (literal characters; control characters and the framework's mark
characters made visible escapes, see ``transcripts.safe``), in the pager too: the pager
drops styles, and a checked quote's mark is told apart by its characters alone.

Answers are listed in an order drawn for this judge and this debate (recorded with the
verdict), and nothing on screen tells which answer is correct.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from rich.console import Console
from rich.pager import Pager
from rich.status import Status
from rich.text import Text

from debate.errors import ConfigError
from debate.seeds import rng_for
from debate.text import seat_label, speaker_label
from debate.types import AgentInfo, JudgeView, Seat, Turn, Verdict, letter
from judges.human.entry import Entry, parse_line
from judges.human.keys import KeySource, SessionQuit, TerminalKeys
from transcripts.render import colour, literal, render_question, render_turn

JUDGE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
MAX_TEXT = 2000
"""Longest rationale or question kept (a paste accident should not flood the record)."""
NO_QUESTION = "(The judge has no question.)"


def check_judge_id(judge_id: str) -> str:
    if not JUDGE_ID.fullmatch(judge_id):
        raise ConfigError(
            f"judge id {judge_id!r} must be 1-64 letters, digits, '.', '_' or '-', "
            "starting with a letter or digit"
        )
    return judge_id


class HumanJudge:
    """A person at this terminal; ``judge_id`` names them in every record and result.

    ``blind`` only changes what the screen promises: this class never sees correctness
    (a ``JudgeView`` does not hold it); a session that reveals answers does so itself.
    """

    def __init__(
        self,
        judge_id: str,
        *,
        console: Console | None = None,
        keys: KeySource | None = None,
        blind: bool = True,
        pager: Pager | None = None,
    ) -> None:
        self.judge_id = check_judge_id(judge_id)
        self.name = f"human:{judge_id}"
        self.console = console or Console(highlight=False)
        self.keys = keys or TerminalKeys()
        self.blind = blind
        self.pager = pager  # None: the system pager ($PAGER, else less)
        self.done = 0
        self.total: int | None = None
        self._debate: str | None = None
        self._shown: set[int] = set()
        self._waiting: list[str] = []
        self._status: Status | None = None
        self._clock = time.perf_counter()
        self.interrupted = False

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="human", name=self.name, settings={"judge_id": self.judge_id})

    def plan(self, total: int, done: int) -> None:
        """How many debates the session holds and how many this judge has already judged."""
        self.total, self.done = total, done

    def display_order(self, view: JudgeView) -> list[int]:
        """The answers' positions in the order this judge sees them (fixed per debate)."""
        order = list(range(len(view.answers)))
        rng_for(0, "human display order", self.judge_id, view.debate_id).shuffle(order)
        return order

    # --- the judge's roles --------------------------------------------------------------

    async def __call__(self, view: JudgeView) -> Verdict:
        self._stop_if_interrupted()
        self._catch_up(view)
        order = self.display_order(view)
        self.console.print(
            Text.assemble(
                ("Your judgment", "bold reverse"),
                (
                    "  blind: how you did is shown when the session ends"
                    if self.blind
                    else "  practice: the correct answer is shown after your verdict",
                    "dim",
                ),
            )
        )
        probabilities, entered = (
            self._enter_keys(view, order) if self.keys.keyed else self._enter_line(view, order)
        )
        rationale = self._rationale()
        seconds = time.perf_counter() - self._clock
        self.done += 1
        verdict = Verdict(
            probabilities=probabilities,
            raw=rationale,
            request={"display_order": order, "entered": entered, "seconds": round(seconds, 3)},
        )
        # The pick is recorded; a tie has none and is scored 1/k (``Verdict.score``).
        return verdict.model_copy(update={"choice": None if verdict.tied else verdict.decision})

    async def ask(self, view: JudgeView) -> str:
        """A question for the debaters, typed between rounds (recorded as a turn)."""
        self._stop_if_interrupted()
        self._catch_up(view)
        self.console.print(
            Text("Your question for the debaters (one line; Enter: no question): ", style="bold"),
            end="",
        )
        line = self.keys.read_line()
        if line is None:
            raise SessionQuit
        return line.strip()[:MAX_TEXT] or NO_QUESTION

    # --- watching a live debate (DebateObserver) ----------------------------------------

    def debate_started(self, view: JudgeView) -> None:
        self._stop_if_interrupted()
        self._begin(view)

    def turn_started(self, debate_id: str, seat: Seat) -> None:
        if debate_id == self._debate:
            self._waiting.append(seat_label(seat.name, seat.position))
            self._show_waiting()

    def turn_finished(self, debate_id: str, turn: Turn) -> None:
        if debate_id != self._debate:
            return
        label = speaker_label(turn)
        if label in self._waiting:
            self._waiting.remove(label)
        self._show_turn(turn)
        self._show_waiting()

    def debate_finished(self, debate_id: str, error: str | None) -> None:
        self._waiting.clear()
        self._show_waiting()
        if error is not None and debate_id == self._debate:
            # Not the message itself: a speaker's error can quote its prompt, hidden context
            # included. It is in the transcript.
            self.console.print(
                Text(
                    "This debate stopped: a speaker failed. It is recorded as failed and "
                    "there is nothing for you to judge.",
                    style="bold red",
                )
            )

    def close(self) -> None:
        """Stop the waiting indicator (on any way out of a session)."""
        self._waiting.clear()
        self._show_waiting()

    # --- drawing ------------------------------------------------------------------------

    def _begin(self, view: JudgeView) -> None:
        if view.debate_id == self._debate:
            return
        self.close()
        self._debate, self._shown, self._clock = view.debate_id, set(), time.perf_counter()
        total = f" of {self.total}" if self.total is not None else ""
        self.console.rule(Text(f"debate {self.done + 1}{total} · judge {self.judge_id}"))
        self.console.print(render_question(view, self.display_order(view)))

    def _catch_up(self, view: JudgeView) -> None:
        """Draw whatever of this debate is not on screen yet (all of a stored debate)."""
        self._begin(view)
        self.close()
        for turn in view.turns:
            if turn.index not in self._shown:
                self._show_turn(turn)

    def _show_turn(self, turn: Turn) -> None:
        self._shown.add(turn.index)
        self.console.print(render_turn(turn))

    def _show_waiting(self) -> None:
        if not self._waiting:
            if self._status is not None:
                self._status.stop()
                self._status = None
            return
        text = f"waiting for {' and '.join(self._waiting)}…"
        if not self.console.is_terminal:
            self.console.print(literal(text, "dim", multiline=False))
        elif self._status is None:
            self._status = self.console.status(
                literal(text, "bold", multiline=False), spinner="dots"
            )
            self._status.start()
        else:
            self._status.update(literal(text, "bold", multiline=False))

    # --- input --------------------------------------------------------------------------

    def _entry(self, view: JudgeView, order: Sequence[int]) -> Entry:
        return Entry(
            letters=[letter(p) for p in order],
            answers=[view.answers[p] for p in order],
            colours=[colour(p) for p in order],
        )

    def _enter_keys(self, view: JudgeView, order: Sequence[int]) -> tuple[list[float], str]:
        from rich.live import Live

        entry = self._entry(view, order)
        while True:
            action = None
            # Key mode first: it discards keys typed before the entry is on screen.
            with (
                self.keys.capture(),
                Live(
                    entry.render(), console=self.console, auto_refresh=False, transient=True
                ) as live,
            ):
                while action is None:
                    action = entry.press(self.keys.read_key())
                    live.update(entry.render(), refresh=True)
            if action == "quit":
                raise SessionQuit
            if action == "page":
                self._page(view, order)
                continue
            self.console.print(Text.assemble(("your judgment: ", "bold"), entry.choice_text()))
            return entry.probabilities(order), " ".join(entry.keys)

    def _enter_line(self, view: JudgeView, order: Sequence[int]) -> tuple[list[float], str]:
        entry = self._entry(view, order)
        first, last = entry.letters[0], entry.letters[-1].lower()
        self.console.print(
            Text(
                f"Type an answer's letter and how likely it is to be correct (1-99), e.g. "
                f"{last}80; a bare number is for {first}, listed first. q quits."
            )
        )
        while True:
            self.console.print(Text("judgment> "), end="")
            line = self.keys.read_line()
            if line is None or line.strip().lower() in ("q", "quit"):
                raise SessionQuit
            parsed = parse_line(line, entry.letters)
            if isinstance(parsed, str):
                self.console.print(literal(parsed, "red"))
                continue
            entry.selected = parsed[0]
            entry.set_selected(parsed[1])
            self.console.print(Text.assemble(("your judgment: ", "bold"), entry.choice_text()))
            return entry.probabilities(order), line.strip()

    def _rationale(self) -> str:
        self.console.print(Text("Why? one line, optional (Enter to skip): ", style="bold"), end="")
        try:
            line = self.keys.read_line()
        except KeyboardInterrupt:
            # The probability is given: keep it (saved by the caller) and stop before the
            # next debate, instead of losing it with the rationale.
            self.interrupted = True
            self.console.print()
            return ""
        return (line or "").strip()[:MAX_TEXT]

    def _stop_if_interrupted(self) -> None:
        if self.interrupted:
            raise KeyboardInterrupt

    def _page(self, view: JudgeView, order: Sequence[int]) -> None:
        with self.console.pager(self.pager):
            self.console.print(render_question(view, order))
            for turn in view.turns:
                self.console.print(render_turn(turn))
