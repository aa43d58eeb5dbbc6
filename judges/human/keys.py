"""Keyboard input for a human judge: single keys in a terminal, lines otherwise.

A judge at a terminal moves a probability with keys and sees it change at once, which
needs the terminal out of line mode while it types; the terminal is restored on every exit
path. When input is not a terminal (a pipe, a script) the same judge reads whole lines.
Ctrl-C always stops the session at once: in key mode it arrives as a byte and is raised
here, in line mode Python's own interrupt is restored around the blocking read (asyncio's
handler would otherwise only cancel the task once the read returns).
"""

from __future__ import annotations

import os
import select
import signal
import sys
import threading
from collections import deque
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import IO, Protocol

ESCAPES = {
    "[A": "up",
    "[B": "down",
    "[C": "right",
    "[D": "left",
    "OA": "up",
    "OB": "down",
    "OC": "right",
    "OD": "left",
    "[3~": "delete",
}
CONTROL = {"\r": "enter", "\n": "enter", "\x7f": "backspace", "\x08": "backspace", "\t": "tab"}


class SessionQuit(KeyboardInterrupt):
    """The judge asked to stop. A KeyboardInterrupt, so nothing on the way out (the engine
    records ordinary exceptions as failed debates) can mistake it for a failure."""


class KeySource(Protocol):
    """Where a judge's keys and lines come from."""

    @property
    def keyed(self) -> bool:
        """True when single keys can be read (a terminal); else only whole lines."""

    def capture(self) -> AbstractContextManager[None]:
        """The span in which ``read_key`` may be called (the terminal is in key mode)."""

    def read_key(self) -> str:
        """One key: a printable character, or a name (enter, backspace, left, right...)."""

    def read_line(self) -> str | None:
        """One line without its newline; None at end of input."""


@contextmanager
def _python_interrupts() -> Iterator[None]:
    """Let Ctrl-C raise KeyboardInterrupt inside a blocking read, even under asyncio."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


class TerminalKeys:
    """Keys from a terminal (termios); lines through ``input`` with readline editing."""

    def __init__(self, stream: IO[str] | None = None) -> None:
        self.stream = stream or sys.stdin

    @property
    def fd(self) -> int:
        return self.stream.fileno()

    @property
    def keyed(self) -> bool:
        return self.stream.isatty()

    @contextmanager
    def capture(self) -> Iterator[None]:
        import termios

        saved = termios.tcgetattr(self.fd)
        mode = termios.tcgetattr(self.fd)
        # No line buffering, no echo, and Ctrl-C as a byte (raised by read_key): output
        # processing stays on, so rich can draw while keys are read.
        mode[3] &= ~(termios.ICANON | termios.ECHO | termios.ISIG)
        mode[6][termios.VMIN], mode[6][termios.VTIME] = 1, 0
        termios.tcflush(self.fd, termios.TCIFLUSH)  # keys typed while reading do not count
        termios.tcsetattr(self.fd, termios.TCSANOW, mode)
        try:
            yield
        finally:
            termios.tcsetattr(self.fd, termios.TCSADRAIN, saved)

    def _byte(self, timeout: float | None = None) -> bytes:
        if timeout is not None and not select.select([self.fd], [], [], timeout)[0]:
            return b""
        return os.read(self.fd, 1)

    def read_key(self) -> str:
        first = self._byte()
        if first in (b"", b"\x04"):
            return "eof"
        if first == b"\x03":
            raise KeyboardInterrupt
        if first == b"\x1b":
            rest = b""
            while len(rest) < 4 and (byte := self._byte(0.03)):
                rest += byte
                if byte.isalpha() or byte == b"~":
                    break
            return ESCAPES.get(rest.decode("ascii", "replace"), "escape")
        data = first
        width = 2 if first[0] >= 0xC0 else 1
        width = 3 if first[0] >= 0xE0 else width
        width = 4 if first[0] >= 0xF0 else width
        while len(data) < width:
            data += self._byte()
        char = data.decode("utf-8", "replace")
        return CONTROL.get(char, char)

    def read_line(self) -> str | None:
        with _python_interrupts():
            try:
                return input()
            except EOFError:
                return None


class ScriptedKeys:
    """A judge's keys and lines from a script (tests, demos); fails loudly when it runs out."""

    def __init__(self, keys: Iterable[str] = (), lines: Iterable[str] = ()) -> None:
        self.keys: deque[str] = deque(keys)
        self.lines: deque[str] = deque(lines)

    @property
    def keyed(self) -> bool:
        return True

    @contextmanager
    def capture(self) -> Iterator[None]:
        yield

    def read_key(self) -> str:
        if not self.keys:
            raise RuntimeError("scripted keys exhausted: the judge wanted another key")
        key = self.keys.popleft()
        if key == "ctrl-c":
            raise KeyboardInterrupt
        return key

    def read_line(self) -> str | None:
        if not self.lines:
            raise RuntimeError("scripted lines exhausted: the judge wanted another line")
        return self.lines.popleft()
