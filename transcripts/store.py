"""Append-only JSONL files: one whole record per line, flushed and synced as it is written.

Transcripts (one per finished debate) and judgments (one per verdict a judge gives on a
stored debate) share this mechanism. A killed writer keeps every finished record; a line
torn by a kill mid-write is reported and skipped when reading, and the next append starts
on a fresh line so nothing written before it is lost or merged.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from debate.errors import DataError, validation_message
from debate.sinks import RetryableSink, TranscriptSink
from debate.types import Transcript

R = TypeVar("R", bound=BaseModel)

__all__ = ["JsonlRecords", "JsonlStore", "RetryableSink", "TranscriptSink", "load_transcripts"]


@dataclass
class Records(Generic[R]):
    """What a read found: the valid records, and what it had to skip."""

    records: list[R] = field(default_factory=list)
    bad_lines: list[int] = field(default_factory=list)
    """1-based numbers of lines that could not be read (torn or malformed)."""
    duplicates: int = 0
    """Records whose key an earlier line already had (the first one wins, unless it is
    ``replaceable``: a failed debate is superseded by its rerun)."""
    superseded: list[int] = field(default_factory=list)
    """1-based numbers of lines whose record a later line replaced."""


class JsonlRecords(Generic[R]):
    """Records of one pydantic model in a JSONL file, keyed so a resume can skip them."""

    def __init__(
        self,
        path: Path | str,
        model: type[R],
        key: Callable[[R], str],
        noun: str = "record",
        replaceable: Callable[[R], bool] | None = None,
    ) -> None:
        self.path = Path(path)
        self.model = model
        self.key = key
        self.noun = noun
        self.replaceable = replaceable
        self._keys: set[str] | None = None
        self._replaceable_keys: set[str] = set()
        """Keys whose current record is replaceable; known once ``_keys`` is."""

    def read(self, strict: bool = False) -> Records[R]:
        """Every valid record, first per key. ``strict`` turns an unreadable line into a
        ``DataError`` unless it is the last line or was torn by a kill (a malformed file,
        not an interrupted write)."""
        result: Records[R] = Records()
        if not self.path.exists():
            return result
        seen: dict[str, tuple[int, int]] = {}  # key -> (index in records, line number)
        lines = self.path.read_bytes().split(b"\n")
        last = max((i for i, line in enumerate(lines) if line.strip()), default=-1)
        for number, raw in enumerate(lines, start=1):
            if not raw.strip():
                continue
            try:
                record = self.model.model_validate_json(raw)
            except (ValidationError, ValueError) as exc:
                if strict and number - 1 != last and not _torn(exc):
                    raise DataError(
                        f"{self.path}:{number}: not a valid {self.noun} ({_first_error(exc)})"
                    ) from None
                result.bad_lines.append(number)
                continue
            key = self.key(record)
            if key in seen:
                index, line = seen[key]
                if self._is_replaceable(result.records[index]):
                    result.records[index] = record  # keeps the first one's place in order
                    result.superseded.append(line)
                    seen[key] = (index, number)
                else:
                    result.duplicates += 1
                continue
            seen[key] = (len(result.records), number)
            result.records.append(record)
        return result

    def keys(self) -> set[str]:
        if self._keys is None:
            records = self.read().records  # one read gives both key sets, kept up to date
            self._keys = {self.key(r) for r in records}
            self._replaceable_keys = {self.key(r) for r in records if self._is_replaceable(r)}
        return set(self._keys)

    def replaceable_keys(self) -> set[str]:
        """Keys whose record a later one would supersede (failed debates, for a transcript)."""
        self.keys()
        return set(self._replaceable_keys)

    def _is_replaceable(self, record: R) -> bool:
        return self.replaceable is not None and self.replaceable(record)

    def append(self, record: R) -> None:
        """Write one whole line and flush it to disk before returning."""
        append_lines(self.path, [record.model_dump_json()])
        if self._keys is not None:
            key = self.key(record)
            if key not in self._keys or key in self._replaceable_keys:  # it is the record now
                self._replaceable_keys.discard(key)
                if self._is_replaceable(record):
                    self._replaceable_keys.add(key)
            self._keys.add(key)

    def compact(self) -> int:
        """Drop the lines a later record superseded (rewritten atomically; every other line,
        unreadable ones included, is kept byte for byte). Returns how many were dropped."""
        found = self.read()
        if not found.superseded:
            return 0
        drop = set(found.superseded)
        lines = self.path.read_bytes().split(b"\n")
        kept = [line for number, line in enumerate(lines, start=1) if number not in drop]
        tmp = self.path.with_name(f".{self.path.name}.compact.tmp")
        with tmp.open("wb") as handle:
            handle.write(b"\n".join(kept))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, self.path)
        return len(drop)


@dataclass
class LoadResult(Records[Transcript]):
    @property
    def transcripts(self) -> list[Transcript]:
        return self.records


class JsonlStore(JsonlRecords[Transcript]):
    """Transcripts in one JSONL file, keyed by debate id. Reads tolerate a torn last line.

    A failed debate's record is superseded by a later record of the same debate (a rerun
    with ``--retry-failed``); a finished one never is."""

    def __init__(self, path: Path | str) -> None:
        super().__init__(path, Transcript, lambda t: t.debate_id, "transcript", replaceable=_failed)

    def failed_ids(self) -> set[str]:
        """Debates whose stored record is a failure (rerun by ``--retry-failed``)."""
        return self.replaceable_keys()

    def __iter__(self) -> Iterator[Transcript]:
        return iter(self.load().transcripts)

    def load(self, strict: bool = False) -> LoadResult:
        found = self.read(strict)
        return LoadResult(found.records, found.bad_lines, found.duplicates, found.superseded)

    def ids(self) -> set[str]:
        return self.keys()


def _failed(transcript: Transcript) -> bool:
    return transcript.error is not None


def append_lines(path: Path, lines: list[str]) -> None:
    """Append whole lines, flushed and fsynced before returning. A torn last line (a kill
    mid-write) is isolated on its own line, never glued onto the next record."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        if handle.tell() > 0 and not _ends_with_newline(path):
            handle.write(b"\n")
        handle.write("".join(line + "\n" for line in lines).encode())
        handle.flush()
        os.fsync(handle.fileno())


def _ends_with_newline(path: Path) -> bool:
    with path.open("rb") as handle:
        handle.seek(-1, os.SEEK_END)
        return handle.read(1) == b"\n"


def _torn(exc: Exception) -> bool:
    """A line cut short by a kill mid-write: valid JSON up to where it stops. A resumed run
    appends after it, so it need not be the last line; it is skipped, never fatal."""
    return isinstance(exc, ValidationError) and any(
        err["type"] == "json_invalid" and "EOF while parsing" in err["msg"] for err in exc.errors()
    )


def _first_error(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return validation_message(exc)
    return str(exc).splitlines()[0]


def read_transcripts(path: Path | str, *, allow_empty: bool = False) -> tuple[Path, LoadResult]:
    """A transcripts file (or a run directory holding ``transcripts.jsonl``), read with what
    was skipped, so a caller can report it. A missing or empty file is a ``DataError``
    unless ``allow_empty`` (a run that has stored nothing yet): then it reads as no records."""
    target = Path(path)
    if target.is_dir():
        target = target / "transcripts.jsonl"
    if not target.exists() and not allow_empty:
        raise DataError(f"no such transcripts file: {target}")
    result = JsonlStore(target).load(strict=True)
    if not result.transcripts and not result.bad_lines:
        if allow_empty:
            return target, result
        raise DataError(f"{target} is empty: no debate has been stored in it yet")
    if result.bad_lines and not result.transcripts:
        number = result.bad_lines[0]
        raw = target.read_bytes().split(b"\n")[number - 1]
        try:
            Transcript.model_validate_json(raw)
            reason = "unreadable"
        except (ValidationError, ValueError) as exc:
            reason = _first_error(exc)
        raise DataError(
            f"{target}:{number}: not a valid transcript ({reason}); no valid transcript in the file"
        )
    return target, result


def skipped_note(path: Path, result: Records[Any]) -> str | None:
    """One line saying which unreadable lines a read skipped, or None if it skipped none."""
    if not result.bad_lines:
        return None
    lines = ", ".join(str(n) for n in result.bad_lines[:5])
    more = f" and {len(result.bad_lines) - 5} more" if len(result.bad_lines) > 5 else ""
    noun = "line" if len(result.bad_lines) == 1 else "lines"
    return f"skipped {len(result.bad_lines)} unreadable {noun} in {path} (line {lines}{more})"


def load_transcripts(
    path: Path | str, on_skip: Callable[[str], None] | None = None
) -> list[Transcript]:
    """Load a transcripts file (or a run directory holding ``transcripts.jsonl``); a torn or
    unreadable line is skipped and, with ``on_skip``, reported through it."""
    target, result = read_transcripts(path)
    note = skipped_note(target, result)
    if note is not None and on_skip is not None:
        on_skip(note)
    return result.transcripts
