"""Transcript storage and rendering."""

from debate.quotes import EvidencePolicy, find_quotes, mark_quotes
from transcripts.store import JsonlStore, LoadResult, TranscriptSink, load_transcripts

__all__ = [
    "EvidencePolicy",
    "JsonlStore",
    "LoadResult",
    "TranscriptSink",
    "find_quotes",
    "load_transcripts",
    "mark_quotes",
]
