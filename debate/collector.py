"""The garbage collector's pace while a batch runs.

A batch allocates millions of short-lived objects (requests, replies, prompt strings) while
it holds thousands of long-lived ones (the results so far). At CPython's default first
threshold (700 allocations) the collector runs so often that objects of the calls in
flight survive a collection, are promoted and are traversed again and again: measured on
the API benchmark, about a third of the framework's own CPU per call. A higher first
threshold lets them die young; cyclic garbage is still collected, a little later.

Full collections are the other cost: each walks every object alive, most of them from before
the run (imported modules, an SDK's thousands of types, datasets), about 80 ms a walk with
the OpenAI SDK loaded. So a run also freezes what exists when it starts (``gc.freeze``:
those objects are left out of collections until the run ends, then thawed), and full
collections walk only what the run made. Both settings are the process's, so they hold only
while a run is in progress (nested runs share them) and are undone when the last one ends;
a process that froze objects itself keeps its own freeze.
"""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

BATCH_THRESHOLD = 20_000
"""Allocations between young collections during a run (CPython's default: 700)."""

_lock = threading.Lock()
_depth = 0
_saved: tuple[int, ...] | None = None
_froze = False


@contextlib.contextmanager
def batch_collection(threshold: int = BATCH_THRESHOLD) -> Iterator[None]:
    """Young collections every ``threshold`` allocations (never fewer than the process's
    own setting) until the outermost run ends."""
    global _depth, _saved, _froze
    with _lock:
        if _depth == 0:
            _saved = gc.get_threshold()
            first, *older = _saved
            if first and threshold > first:  # 0 means the collector is off: leave it
                gc.set_threshold(threshold, *older)
            _froze = gc.get_freeze_count() == 0
            if _froze:
                gc.freeze()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved is not None:
                gc.set_threshold(*_saved)
                _saved = None
                if _froze:
                    gc.unfreeze()
                    _froze = False
