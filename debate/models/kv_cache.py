"""A key/value cache that appends in place, for batched decoding on long prompts.

transformers' ``DynamicLayer`` concatenates each new token onto the whole cache, copying it
every step: for 16 rows of a 2,000-token story that is about 1.5 GB of memory traffic per
generated token, which made decoding, not the model, the cost of a hidden-passage debate on a
CPU. ``GrowingLayer`` keeps keys and values in a buffer with room to spare and writes new
tokens into it; ``keys``/``values`` are views of the filled part, so everything that reads a
``DynamicLayer`` reads this one unchanged.

Caches are handed to transformers as ``Cache`` objects through the ``cache`` argument, and
read back from ``output.cache``: the legacy ``past_key_values`` name warns in transformers 5
and goes away (5.40 for ``forward``, 6.0 for ``generate``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from transformers import DynamicCache
from transformers.cache_utils import DynamicLayer

if TYPE_CHECKING:
    import torch

HEADROOM = 256
"""Spare token slots added whenever the buffer grows (a speech or two of decoding)."""


class GrowingLayer(DynamicLayer):  # type: ignore[no-untyped-call]
    """A ``DynamicLayer`` whose update writes into a preallocated buffer."""

    _length = 0
    _key_buffer: torch.Tensor | None = None
    _value_buffer: torch.Tensor | None = None

    def update(
        self, key_states: torch.Tensor, value_states: torch.Tensor, *args: Any, **kwargs: Any
    ) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.is_initialized:
            self.lazy_initialization(key_states, value_states)
        start, new = self._length, key_states.shape[-2]
        if self._key_buffer is None or start + new > self._key_buffer.shape[-2]:
            self._key_buffer = _grown(self._key_buffer, key_states, start, start + new + HEADROOM)
            self._value_buffer = _grown(
                self._value_buffer, value_states, start, start + new + HEADROOM
            )
        assert self._value_buffer is not None
        self._key_buffer[..., start : start + new, :] = key_states
        self._value_buffer[..., start : start + new, :] = value_states
        self._length = start + new
        self.keys = self._key_buffer[..., : self._length, :]
        self.values = self._value_buffer[..., : self._length, :]
        return self.keys, self.values


def _grown(
    buffer: torch.Tensor | None, like: torch.Tensor, filled: int, capacity: int
) -> torch.Tensor:
    grown = like.new_empty((*like.shape[:-2], capacity, like.shape[-1]))
    if buffer is not None and filled:
        grown[..., :filled, :] = buffer[..., :filled, :]
    return grown


def filled_cache(
    model_config: object, layers: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()
) -> DynamicCache:
    """A plain ``DynamicCache`` for the model holding ``layers`` (exact-size tensors, as the
    prefix cache stores them), filled through ``Cache.update``."""
    cache = DynamicCache(config=model_config)  # type: ignore[arg-type]
    for index, (keys, values) in enumerate(layers):
        cache.update(keys, values, index)
    return cache


def growing_cache(
    model_config: object, layers: Sequence[tuple[torch.Tensor, torch.Tensor]] = ()
) -> DynamicCache:
    """A ``DynamicCache`` of ``GrowingLayer``s for the model, holding ``layers`` if given."""
    cache = DynamicCache(config=model_config)  # type: ignore[arg-type]
    grown = [GrowingLayer() for _ in cache.layers]  # type: ignore[no-untyped-call]
    for layer, (keys, values) in zip(grown, layers, strict=False):
        layer.update(keys, values)
    cache.layers = list(grown)
    return cache
