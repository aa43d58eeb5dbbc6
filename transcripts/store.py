"""Append-only JSONL store: one whole transcript per line, flushed as each debate ends.

A killed batch keeps every finished debate; a line torn by a kill mid-write is reported
and skipped when reading, and the next append starts on a fresh line so nothing written
before it is lost or merged.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from pydantic import ValidationError

from debate.errors import DataError
from debate.types import Transcript


class TranscriptSink(Protocol):
    """What the engine needs from a store."""

    def ids(self) -> set[str]: ...

    def append(self, transcript: Transcript) -> None: ...


@dataclass
class LoadResult:
    transcripts: list[Transcript] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)
    """1-based numbers of lines that could not be read (torn or malformed)."""
    duplicates: int = 0


class JsonlStore:
    """Transcripts in one JSONL file. Reads tolerate a torn last line."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._ids: set[str] | None = None

    def __iter__(self) -> Iterator[Transcript]:
        return iter(self.load().transcripts)

    def load(self, strict: bool = False) -> LoadResult:
        """Read every valid transcript; the first copy of an id wins.

        ``strict`` turns an unreadable line that is *not* the last into a ``DataError``
        (a malformed file, not a kill mid-write).
        """
        result = LoadResult()
        if not self.path.exists():
            return result
        seen: set[str] = set()
        with self.path.open("rb") as handle:
            lines = handle.read().split(b"\n")
        last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                transcript = Transcript.model_validate_json(raw)
            except (ValidationError, ValueError) as exc:
                if strict and number - 1 != last:
                    raise DataError(
                        f"{self.path}:{number}: not a valid transcript ({_first_error(exc)})"
                    ) from None
                result.bad_lines.append(number)
                continue
            if transcript.debate_id in seen:
                result.duplicates += 1
                continue
            seen.add(transcript.debate_id)
            result.transcripts.append(transcript)
        return result

    def ids(self) -> set[str]:
        if self._ids is None:
            self._ids = {t.debate_id for t in self.load().transcripts}
        return set(self._ids)

    def append(self, transcript: Transcript) -> None:
        """Write one whole line and flush it to disk before returning."""
        line = transcript.model_dump_json() + "\n"
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("ab") as handle:
            if handle.tell() > 0 and not _ends_with_newline(self.path):
                handle.write(b"\n")  # isolate a torn line instead of gluing onto it
            handle.write(line.encode())
            handle.flush()
            os.fsync(handle.fileno())
        if self._ids is not None:
            self._ids.add(transcript.debate_id)


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        return f"{where}: {err['msg']}" if where else err["msg"]
    return str(exc).splitlines()[0]


def load_transcripts(path: Path | str) -> list[Transcript]:
    """Load a transcripts file (or a run directory holding ``transcripts.jsonl``)."""
    target = Path(path)
    if target.is_dir():
        target = target / "transcripts.jsonl"
    if not target.exists():
        raise DataError(f"no such transcripts file: {target}")
    result = JsonlStore(target).load(strict=True)
    if result.bad_lines and not result.transcripts:
        raise DataError(f"{target}: no valid transcript in the file")
    return result.transcripts
