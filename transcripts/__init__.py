"""Transcript storage and rendering."""

from transcripts.store import JsonlStore, LoadResult, TranscriptSink, load_transcripts

__all__ = ["JsonlStore", "LoadResult", "TranscriptSink", "load_transcripts"]
