"""How the engine reports progress, without knowing who is watching.

The engine calls a ``ProgressReporter``; the CLI passes a rich progress bar on a terminal
and plain lines when output is piped (CI logs, batch jobs).
"""

from __future__ import annotations

import sys
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


class PlainProgress:
    """A line every ``every`` units (None: every tenth of the total): readable in logs, no
    control characters."""

    def __init__(
        self, stream: IO[str] | None = None, every: int | None = 100, unit: str = "debates"
    ) -> None:
        self.stream = stream or sys.stderr
        self.every = every
        self.unit = unit
        self.done = self.total = self.errors = 0

    def start(self, total: int, skipped: int) -> None:
        self.total, self.done = total, skipped
        self.step = self.every or max(1, total // 10)
        print(f"{self.unit}: {total} planned, {skipped} already stored", file=self.stream)

    def advance(self, transcript: Transcript | None = None, *, count: int = 1) -> None:
        before, self.done = self.done, self.done + count
        self.errors += transcript is not None and transcript.error is not None
        if self.done // self.step != before // self.step or self.done == self.total:
            print(
                f"{self.unit}: {self.done}/{self.total} done, {self.errors} failed",
                file=self.stream,
                flush=True,
            )

    def finish(self) -> None:
        pass


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
    console: Console, unit: str = "debates", every: int | None = 100
) -> ProgressReporter:
    """A bar on a terminal, plain lines otherwise (a line every ``every`` units)."""
    if console.is_terminal:
        return RichProgress(console, unit)
    return PlainProgress(console.file, every, unit)
