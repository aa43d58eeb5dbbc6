"""What the engine needs from a store of transcripts (``transcripts.JsonlStore`` is one).

Defined here, beside the engine, so the runtime depends on no storage package: a store
only has to have these methods.
"""

from __future__ import annotations

from typing import Protocol, TypeVar, runtime_checkable

from debate.types import Transcript

Record = TypeVar("Record", contravariant=True)


class RecordSink(Protocol[Record]):
    """Where ``run_jobs`` puts each finished job's result, and how it knows what is stored:
    transcripts for debates, or another record (a sweep's cell, a chunk of MNIST games)."""

    def ids(self) -> set[str]: ...

    def append(self, record: Record) -> None: ...


class TranscriptSink(Protocol):
    """Where ``run_many`` puts each finished debate, and how it knows what is stored."""

    def ids(self) -> set[str]: ...

    def append(self, transcript: Transcript) -> None: ...


@runtime_checkable
class RetryableSink(TranscriptSink, Protocol):
    """A store that can rerun failed debates (``--retry-failed``)."""

    def failed_ids(self) -> set[str]:
        """Debates whose stored record is a failure."""
        ...

    def compact(self) -> int:
        """Drop records a rerun superseded; returns how many."""
        ...
