"""Reuse of prompt key/value states between requests that share a long prefix.

In a hidden-passage debate every debater call for a question starts with the same story
(about 2,000 tokens), and on a CPU reading it (prefill) costs more than writing the speech.
After a batch, each prompt's key/value states are kept; a later prompt that starts with the
same tokens reuses them and computes only the rest. Matching is on token ids (longest
common prefix), so it needs no cooperation from callers beyond putting shared text first.

Entries are held up to a memory budget and evicted least recently used first; an entry
whose prefix a newer prompt shares is replaced by the newer one (it holds that prefix too),
so one story is kept about once however many calls read it.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import torch

KV = list[tuple["torch.Tensor", "torch.Tensor"]]
"""Per layer: keys and values, each (kv_heads, tokens, head_dim)."""

MIN_PREFIX = 128
"""Shorter shared prefixes are not worth a lookup (chat-template headers are shared too)."""


def common_prefix(a: np.ndarray, b: np.ndarray) -> int:
    """Length of the longest common prefix of two id arrays."""
    n = min(len(a), len(b))
    diff = np.flatnonzero(a[:n] != b[:n])
    return int(diff[0]) if len(diff) else n


@dataclass
class PrefixStats:
    lookups: int = 0
    hits: int = 0
    reused_tokens: int = 0


@dataclass(eq=False)  # entries are compared by identity (their arrays have no truth value)
class _Entry:
    ids: np.ndarray
    kv: KV
    nbytes: int
    used: int


@dataclass
class PrefixCache:
    """Prompt key/value states by token ids, within ``max_bytes``."""

    max_bytes: int
    min_prefix: int = MIN_PREFIX
    stats: PrefixStats = field(default_factory=PrefixStats)
    _entries: list[_Entry] = field(default_factory=list)
    _clock: itertools.count[int] = field(default_factory=itertools.count)

    @property
    def nbytes(self) -> int:
        return sum(entry.nbytes for entry in self._entries)

    def peek(self, ids: list[int]) -> tuple[KV | None, int]:
        """``lookup`` for the cache's own planning: not counted as a request or a hit."""
        kv, known = self.lookup(ids)
        self.stats.lookups -= 1
        self.stats.hits -= known > 0
        return kv, known

    def lookup(self, ids: list[int]) -> tuple[KV | None, int]:
        """The cached states sharing the longest prefix with ``ids``, and its length."""
        self.stats.lookups += 1
        query = np.asarray(ids, dtype=np.int64)
        best: _Entry | None = None
        best_len = 0
        for entry in self._entries:
            shared = common_prefix(entry.ids, query)
            if shared > best_len:
                best, best_len = entry, shared
        if best is None or best_len < self.min_prefix:
            return None, 0
        best.used = next(self._clock)
        self.stats.hits += 1
        return best.kv, best_len

    def store(self, ids: list[int], kv: KV) -> None:
        """Keep ``kv`` (the states of all of ``ids``), replacing entries it supersedes."""
        if len(ids) < self.min_prefix:
            return
        key = np.asarray(ids, dtype=np.int64)
        nbytes = sum(k.numel() * k.element_size() + v.numel() * v.element_size() for k, v in kv)
        if nbytes > self.max_bytes:
            return
        self._entries = [e for e in self._entries if common_prefix(e.ids, key) < self.min_prefix]
        self._entries.append(_Entry(key, kv, nbytes, next(self._clock)))
        while self.nbytes > self.max_bytes:
            self._entries.remove(min(self._entries, key=lambda e: e.used))


def supports_prefix_reuse(model_config: object) -> bool:
    """Only plain per-layer caches can be spliced (not sliding-window or hybrid ones)."""
    from transformers import DynamicCache
    from transformers.cache_utils import DynamicLayer

    cache = DynamicCache(config=model_config)  # type: ignore[arg-type]
    return all(type(layer) is DynamicLayer for layer in cache.layers)


def assemble(
    cache: PrefixCache, prompts: list[list[int]], width: int, model_config: object
) -> tuple[object | None, int]:
    """A batch cache holding reused states for the first ``reused`` columns, or (None, 0).

    Rows are left-padded to ``width``. Reused columns must be the same for every row, so
    they end where the row with the longest uncached remainder starts computing; a row
    whose own cached prefix is shorter, or that has none, is padding there (masked, so the
    zeros put in its place are never attended to).
    """
    import torch

    from debate.models.kv_cache import growing_cache

    found = [cache.lookup(ids) for ids in prompts]
    # Keep at least one token per row to compute, so every row gets fresh logits.
    shared = [
        min(n, len(ids) - 1) if kv is not None else 0
        for (kv, n), ids in zip(found, prompts, strict=True)
    ]
    reused = width - max(len(ids) - n for ids, n in zip(prompts, shared, strict=True))
    if reused < cache.min_prefix:
        return None, 0
    template = next(kv for kv, _ in found if kv is not None)
    layers = []
    for layer, (k0, v0) in enumerate(template):
        keys = k0.new_zeros((len(prompts), k0.shape[0], reused, k0.shape[2]))
        values = v0.new_zeros((len(prompts), v0.shape[0], reused, v0.shape[2]))
        for row, ((kv, _), ids) in enumerate(zip(found, prompts, strict=True)):
            take = reused - (width - len(ids))  # this row's tokens inside the reused columns
            if kv is not None and take > 0:
                keys[row, :, reused - take :] = kv[layer][0][:, :take]
                values[row, :, reused - take :] = kv[layer][1][:, :take]
        layers.append((keys, values))
    cache.stats.reused_tokens += sum(max(0, reused - (width - len(ids))) for ids in prompts)
    with torch.inference_mode():
        return growing_cache(model_config, layers), reused


def keep(cache: PrefixCache, prompts: list[list[int]], width: int, past: object) -> None:
    """Store each row's prompt states from the batch's final cache (copies, not views)."""
    layers = past.layers  # type: ignore[attr-defined]
    for row, ids in enumerate(prompts):
        if len(ids) < cache.min_prefix:
            continue
        start = width - len(ids)
        kv = [
            (layer.keys[row, :, start:width].clone(), layer.values[row, :, start:width].clone())
            for layer in layers
        ]
        cache.store(ids, kv)


def warm(cache: PrefixCache, prompts: list[list[int]], model: object, device: object) -> None:
    """Compute once, and keep, a long prefix that several prompts of one batch share.

    Reuse works across batches; two prompts in the same batch that start with the same
    uncached story would otherwise each compute it. Their common prefix is run through the
    model first (one forward pass, no padding) and kept, so ``assemble`` then reuses it.
    """
    arrays = [np.asarray(ids, dtype=np.int64) for ids in prompts]
    wanted: dict[bytes, np.ndarray] = {}
    for i, a in enumerate(arrays):
        for b in arrays[i + 1 :]:
            shared = min(common_prefix(a, b), len(a) - 1, len(b) - 1)
            if shared >= cache.min_prefix:
                wanted.setdefault(a[:shared].tobytes(), a[:shared])
    for prefix in sorted(wanted.values(), key=len, reverse=True):
        _, known = cache.peek(prefix.tolist())
        if known >= len(prefix):
            continue
        _extend(cache, prefix.tolist(), model, device)


def settle(cache: PrefixCache, prompts: list[list[int]], model: object, device: object) -> int:
    """Compute apart, and keep, the prompts whose uncached part would pad the whole batch.

    A batch computes, for every row, as many columns as its longest uncached remainder: one
    story read for the first time would make all sixteen rows compute two thousand tokens.
    Rows with a long remainder are instead run alone (from their cached prefix, no padding)
    when that costs less, so the batch then computes only the short remainders. The cost is
    counted in token columns: ``rows * T`` for the batch plus each remainder run alone.
    Returns how many prompts were run alone.
    """
    remainders = []
    for ids in prompts:
        _, known = cache.peek(ids)
        remainders.append(len(ids) - min(known, len(ids) - 1))
    # Remainders above the threshold T are run alone; try each remainder as T.
    best = min(
        set(remainders),
        key=lambda t: len(prompts) * t + sum(r for r in remainders if r > t),
    )
    alone = [
        ids
        for ids, r in zip(prompts, remainders, strict=True)
        if r > best and len(ids) - 1 >= cache.min_prefix
    ]
    for ids in alone:
        _extend(cache, ids[:-1], model, device)
    return len(alone)


def _extend(cache: PrefixCache, ids: list[int], model: object, device: object) -> None:
    """Run ``ids`` through the model from its longest cached prefix, and keep its states."""
    import torch

    from debate.models.kv_cache import filled_cache

    kv, known = cache.peek(ids)
    known = min(known, len(ids) - 1)
    with torch.inference_mode():
        layers = [(k[None, :, :known], v[None, :, :known]) for k, v in kv or []]
        if not layers or known <= 0:
            layers, known = [], 0
        past = filled_cache(model.config, layers)  # type: ignore[attr-defined]
        rest = torch.as_tensor(ids[known:], device=device)[None]  # type: ignore[arg-type]
        out = model(input_ids=rest, cache=past, use_cache=True)  # type: ignore[operator]
    states = [(layer.keys[0], layer.values[0]) for layer in out.cache.layers]
    cache.store(ids, states)
