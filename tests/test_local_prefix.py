"""Prefix reuse: the cache's bookkeeping, and identical outputs with and without it."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from debate.models import GenerateRequest, Message, SamplingSettings  # noqa: E402
from debate.models.local import LocalBackend  # noqa: E402
from debate.models.prefix_cache import PrefixCache, common_prefix  # noqa: E402
from debate.models.tiny import build_tiny_model  # noqa: E402
from tests.torch_threads import one_torch_thread  # noqa: E402, F401  (autouse)


def states(n: int, fill: float = 1.0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two layers of fake key/value states for ``n`` tokens (2 heads, dim 4): 128 B/token."""
    return [(torch.full((2, n, 4), fill), torch.full((2, n, 4), fill)) for _ in range(2)]


def test_common_prefix() -> None:
    a = np.array([1, 2, 3, 4])
    assert common_prefix(a, np.array([1, 2, 9])) == 2
    assert common_prefix(a, np.array([1, 2])) == 2
    assert common_prefix(a, np.array([7])) == 0


def test_lookup_finds_the_longest_shared_prefix_above_the_minimum() -> None:
    cache = PrefixCache(max_bytes=10**6, min_prefix=4)
    story_a, story_b = list(range(100, 120)), list(range(200, 230))
    cache.store([*story_a, 1, 2], states(22, 1.0))
    cache.store([*story_b, 3], states(31, 2.0))
    kv, shared = cache.lookup([*story_b, 5, 6])
    assert shared == 30 and kv is not None and float(kv[0][0][0, 0, 0]) == 2.0
    assert cache.lookup([100, 101, 102, 999]) == (None, 0)  # 3 shared tokens: below minimum
    assert cache.stats.lookups == 2 and cache.stats.hits == 1


def test_a_newer_prompt_with_the_same_prefix_replaces_the_older() -> None:
    cache = PrefixCache(max_bytes=10**6, min_prefix=4)
    story = list(range(50))
    cache.store([*story, 1], states(51))
    cache.store([*story, 2, 2], states(52))
    assert len(cache._entries) == 1 and cache.nbytes == 52 * 128
    assert cache.lookup([*story, 3])[1] == 50


def test_least_recently_used_entries_go_first_when_over_budget() -> None:
    cache = PrefixCache(max_bytes=3 * 10 * 128, min_prefix=4)
    prompts = [[k * 100 + i for i in range(10)] for k in range(1, 4)]
    for ids in prompts:
        cache.store(ids, states(10))
    cache.lookup(prompts[0])  # the first is now the most recently used
    cache.store([400 + i for i in range(10)], states(10))
    assert cache.lookup(prompts[1]) == (None, 0)  # evicted
    assert cache.lookup(prompts[0])[1] == 10 and cache.lookup(prompts[2])[1] == 10
    cache.store(list(range(1000, 1100)), states(100))  # larger than the whole budget
    assert cache.nbytes <= cache.max_bytes


def story_request(story: str, text: str) -> GenerateRequest:
    """A debater-like call: the story first (shared, reusable), then the turn's own text."""
    return GenerateRequest(
        model="tiny",
        messages=[Message(role="system", content=story), Message(role="user", content=text)],
        sampling=SamplingSettings(max_tokens=8),
    )


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=2)


async def test_outputs_are_the_same_with_and_without_prefix_reuse(tiny_dir: Path) -> None:
    story = "The butler was in the kitchen at noon; the maid left at one. " * 6
    reusing = LocalBackend(path=str(tiny_dir), max_batch_size=8, batch_wait_ms=50, dtype="float32")
    plain = LocalBackend(
        path=str(tiny_dir), max_batch_size=8, batch_wait_ms=50, prefix_cache_mb=0, dtype="float32"
    )
    assert reusing.engine.prefix is not None and plain.engine.prefix is None

    def request(text: str, with_story: bool = True) -> GenerateRequest:
        system = f"Story: {story}" if with_story else "Be brief."
        return GenerateRequest(
            model="tiny",
            messages=[Message(role="system", content=system), Message(role="user", content=text)],
            sampling=SamplingSettings(max_tokens=10),
        )

    first = [request("Argue for Ann.")]
    later = [
        request("Argue for Bob, who was seen near the shed at noon."),
        request("x"),
        request("Who did it?", with_story=False),  # no shared prefix, batched with the rest
    ]
    try:
        for backend in (reusing, plain):
            await backend.generate(first[0])
        got = await asyncio.gather(*(reusing.generate(r) for r in later))
        want = await asyncio.gather(*(plain.generate(r) for r in later))
    finally:
        await reusing.aclose()
        await plain.aclose()
    assert [r.text for r in got] == [r.text for r in want]
    assert reusing.engine.prefix.stats.reused_tokens > 2 * len(story)  # type: ignore[union-attr]


async def test_a_story_shared_within_one_batch_is_computed_once(tiny_dir: Path) -> None:
    story = "Cy was asleep when the vase broke; Bob had mud on his boots. " * 6
    reusing = LocalBackend(path=str(tiny_dir), max_batch_size=8, batch_wait_ms=200, dtype="float32")
    plain = LocalBackend(
        path=str(tiny_dir), max_batch_size=8, batch_wait_ms=200, prefix_cache_mb=0, dtype="float32"
    )

    texts = ["Argue for Cy.", "Argue for Bob.", "Argue for nobody at all."]
    try:
        got = await asyncio.gather(*(reusing.generate(story_request(story, t)) for t in texts))
        want = await asyncio.gather(*(plain.generate(story_request(story, t)) for t in texts))
    finally:
        await reusing.aclose()
        await plain.aclose()
    assert reusing.stats.sizes == {3: 1}  # one batch, and no earlier one to reuse from
    assert [r.text for r in got] == [r.text for r in want]
    stats = reusing.engine.prefix.stats  # type: ignore[union-attr]
    assert stats.hits == 3 and stats.reused_tokens >= 3 * len(story)


async def test_a_new_story_in_a_batch_of_cached_ones_is_read_alone(tiny_dir: Path) -> None:
    """One uncached story must not make every row of the batch compute a story's length."""
    old = "Ann was at the mill; the miller saw her leave at noon. " * 6
    new = "Dov lost his keys at the fair and found them in a boot. " * 6
    reusing = LocalBackend(path=str(tiny_dir), max_batch_size=8, batch_wait_ms=200, dtype="float32")
    plain = LocalBackend(
        path=str(tiny_dir), max_batch_size=8, batch_wait_ms=200, prefix_cache_mb=0, dtype="float32"
    )

    batch = [
        story_request(old, "Argue for Ann."),
        story_request(old, "Argue against."),
        story_request(new, "Why?"),
    ]
    try:
        for backend in (reusing, plain):
            await backend.generate(story_request(old, "Begin."))
        computed_before = reusing.engine.prefix.stats.reused_tokens  # type: ignore[union-attr]
        got = await asyncio.gather(*(reusing.generate(r) for r in batch))
        want = await asyncio.gather(*(plain.generate(r) for r in batch))
    finally:
        await reusing.aclose()
        await plain.aclose()
    assert [r.text for r in got] == [r.text for r in want]
    assert reusing.stats.sizes == {1: 1, 3: 1}
    # The new story was computed alone, so the batch reuses nearly every prompt token (only
    # the rows' own questions are computed); read in the batch, it would have reused none.
    reused = reusing.engine.prefix.stats.reused_tokens - computed_before  # type: ignore[union-attr]
    assert reused > 0.9 * sum(r.usage.input_tokens for r in got)


def test_growing_cache_layer_holds_what_concatenation_would() -> None:
    from debate.models.kv_cache import HEADROOM, GrowingLayer

    layer, chunks = GrowingLayer(), [torch.randn(2, 3, n, 4) for n in (5, 1, HEADROOM, 1, 7)]
    for chunk in chunks:
        keys, values = layer.update(chunk, -chunk)
    assert torch.equal(keys, torch.cat(chunks, dim=-2)) and torch.equal(values, -keys)
    assert layer.get_seq_length() == sum(c.shape[-2] for c in chunks)
