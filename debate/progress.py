"""How the engine reports progress, without knowing who is watching.

The engine calls a ``ProgressReporter``; the CLI passes a rich progress bar on a terminal
and plain lines when output is piped (CI logs, batch jobs). Plain lines come when debates
finish, and also, since a batch of local-model debates can take minutes to finish its
first one, as a heartbeat whenever nothing was printed for ``heartbeat_s`` seconds (30 by
default): a log that stops means a run that stopped, not one still reading its prompts.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import IO, Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from debate.types import JudgeView, Seat, Transcript, Turn


class ProgressReporter(Protocol):
    """One interface for every experiment: ``start`` with the total and what is already
    stored, ``advance`` by a finished debate (its transcript counts failures) or by
    ``count`` units that have none (a sweep's simulated cells), ``finish`` once."""

    def start(self, total: int, skipped: int) -> None: ...

    def advance(self, transcript: Transcript | None = None, *, count: int = 1) -> None: ...

    def finish(self) -> None: ...


class DebateObserver(Protocol):
    """Follows one debate as it runs, seeing only what its judge may see.

    A live display (a human judging while the debate happens) implements it; the engine
    calls it from the event loop, so a method must return quickly.
    """

    def debate_started(self, view: JudgeView) -> None:
        """Before the first round: the question and the answers, no turns yet."""

    def turn_started(self, debate_id: str, seat: Seat) -> None:
        """A speaker has been asked for a turn (show that we are waiting for it)."""

    def turn_finished(self, debate_id: str, turn: Turn) -> None:
        """A turn has arrived (turns of a simultaneous round arrive in completion order)."""

    def debate_finished(self, debate_id: str, error: str | None) -> None:
        """The debate is over (after the verdict, or after a failure)."""


class NullObserver:
    """Watches nothing (every run that has no live display)."""

    def debate_started(self, view: JudgeView) -> None:
        pass

    def turn_started(self, debate_id: str, seat: Seat) -> None:
        pass

    def turn_finished(self, debate_id: str, turn: Turn) -> None:
        pass

    def debate_finished(self, debate_id: str, error: str | None) -> None:
        pass


class NullProgress:
    """Reports nothing (library use, tests)."""

    def start(self, total: int, skipped: int) -> None:
        pass

    def advance(self, transcript: Transcript | None = None, *, count: int = 1) -> None:
        pass

    def finish(self) -> None:
        pass


HEARTBEAT_S = 30.0
"""Most seconds a piped run goes without a progress line."""


class Activity(NullObserver):
    """Counts what the debates in this process are doing, for the heartbeat: debates begun
    and not yet over, and turns finished. The engine calls it on the event loop; the
    heartbeat thread only reads the counts."""

    def __init__(self) -> None:
        self.in_flight = self.turns = 0

    def debate_started(self, view: JudgeView) -> None:
        self.in_flight += 1

    def turn_finished(self, debate_id: str, turn: Turn) -> None:
        self.turns += 1

    def debate_finished(self, debate_id: str, error: str | None) -> None:
        self.in_flight = max(0, self.in_flight - 1)


class PlainProgress:
    """A line every ``every`` units (None: every tenth of the total), and a heartbeat line
    when none was printed for ``heartbeat_s`` seconds (None: no heartbeat): readable in
    logs, no control characters.

    The heartbeat runs on a daemon thread, so it beats even while the event loop is busy
    (a local model's batch). ``observer`` counts debates in flight and turns for it; a run
    whose debates run in this process passes it to the engine (``progress_observer``).
    """

    def __init__(
        self,
        stream: IO[str] | None = None,
        every: int | None = 100,
        unit: str = "debates",
        heartbeat_s: float | None = HEARTBEAT_S,
    ) -> None:
        if heartbeat_s is not None and heartbeat_s <= 0:
            raise ValueError("heartbeat_s must be positive (None: no heartbeat)")
        self.stream = stream or sys.stderr
        self.every = every
        self.unit = unit
        self.heartbeat_s = heartbeat_s
        self.observer = Activity()
        self.done = self.total = self.errors = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = self._last_line = time.monotonic()

    def start(self, total: int, skipped: int) -> None:
        self.total, self.done = total, skipped
        self.step = self.every or max(1, total // 10)
        self._started = time.monotonic()
        self._line(f"{self.unit}: {total} planned, {skipped} already stored")
        if self.heartbeat_s is not None and self._thread is None and skipped < total:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._beat, name="progress-heartbeat", daemon=True
            )
            self._thread.start()

    def advance(self, transcript: Transcript | None = None, *, count: int = 1) -> None:
        before, self.done = self.done, self.done + count
        self.errors += transcript is not None and transcript.error is not None
        if self.done // self.step != before // self.step or self.done == self.total:
            self._line(f"{self.unit}: {self.done}/{self.total} done, {self.errors} failed")

    def finish(self) -> None:
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join()

    def heartbeat(self) -> str:
        """The heartbeat line: what is done, what is under way, and for how long."""
        parts = [f"{self.unit}: {self.done}/{self.total} done", f"{self.errors} failed"]
        activity = self.observer
        if activity.in_flight:
            parts.append(f"{activity.in_flight} in flight, {activity.turns} turns so far")
        parts.append(f"{_clock(time.monotonic() - self._started)} elapsed")
        return ", ".join(parts)

    def _beat(self) -> None:
        assert self.heartbeat_s is not None
        while True:
            with self._lock:
                wait = self._last_line + self.heartbeat_s - time.monotonic()
            if self._stop.wait(max(wait, 0.0)):
                return
            with self._lock:
                due = time.monotonic() - self._last_line >= self.heartbeat_s
            if due:
                try:
                    self._line(self.heartbeat())
                except (OSError, ValueError):  # the stream is gone (closed, broken pipe)
                    return

    def _line(self, text: str) -> None:
        with self._lock:
            print(text, file=self.stream, flush=True)
            self._last_line = time.monotonic()


def _clock(seconds: float) -> str:
    """``1h02m03s``, ``4m05s`` or ``6s``: elapsed time in a log line."""
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{secs:02d}s"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


class RichProgress:
    """A live progress bar for interactive terminals."""

    def __init__(self, console: Console, description: str = "debates") -> None:
        self.progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failed"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=console,
        )
        self.description = description
        self.task: TaskID | None = None

    def start(self, total: int, skipped: int) -> None:
        self.progress.start()
        self.task = self.progress.add_task(
            self.description, total=total, completed=skipped, failed=0
        )

    def advance(self, transcript: Transcript | None = None, *, count: int = 1) -> None:
        assert self.task is not None
        failed = int(self.progress.tasks[0].fields["failed"])
        failed += transcript is not None and transcript.error is not None
        self.progress.update(self.task, advance=count, failed=failed)

    def finish(self) -> None:
        self.progress.stop()


def progress_for(
    console: Console,
    unit: str = "debates",
    every: int | None = 100,
    heartbeat_s: float | None = HEARTBEAT_S,
) -> ProgressReporter:
    """A bar on a terminal (it shows the time itself), plain lines otherwise: a line every
    ``every`` units, and a heartbeat after ``heartbeat_s`` seconds without one."""
    if console.is_terminal:
        return RichProgress(console, unit)
    return PlainProgress(console.file, every, unit, heartbeat_s)


def progress_observer(progress: ProgressReporter) -> DebateObserver | None:
    """The observer a reporter watches debates through (a heartbeat's counts), if it has one:
    a run passes it to the engine when its debates run in this process (observers do not
    cross to worker processes)."""
    observer: DebateObserver | None = getattr(progress, "observer", None)
    return observer
