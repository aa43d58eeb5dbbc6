"""Local generation uses only transformers' supported API: no deprecation warnings.

The legacy ``past_key_values`` argument and output attribute warn in transformers 5 and are
removed in 5.40 (``forward``) and 6.0 (``generate``); key/value states go in and out as
``Cache`` objects through ``cache``. The warnings are errors here, and the transformers
loggers (which report deprecations through ``warning_once``, printed once per process) are
watched too, on every path: plain batches, prefix reuse, prefixes warmed and settled alone.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from debate.models import GenerateRequest, Message, SamplingSettings
from debate.models.local import LocalBackend
from debate.models.tiny import build_tiny_model
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=4)


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@pytest.fixture
def strict(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Deprecation and future warnings raise; transformers' log warnings are collected.

    ``warning_once`` is memoised per process, so it is replaced by a plain ``warning`` here:
    a deprecation logged by an earlier test still shows up in this one.
    """

    def every_time(self: logging.Logger, *args: Any, **kwargs: Any) -> None:
        self.warning(*args, **kwargs)

    monkeypatch.setattr(logging.Logger, "warning_once", every_time, raising=False)
    handler = _Records()
    root = logging.getLogger("transformers")
    root.addHandler(handler)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", FutureWarning)
            warnings.simplefilter("error", DeprecationWarning)
            yield handler.messages
    finally:
        root.removeHandler(handler)


def story_request(story: str, text: str, max_tokens: int = 8) -> GenerateRequest:
    return GenerateRequest(
        model="tiny",
        messages=[Message(role="system", content=story), Message(role="user", content=text)],
        sampling=SamplingSettings(max_tokens=max_tokens),
    )


def deprecations(messages: list[str]) -> list[str]:
    return [m for m in messages if "deprecat" in m.lower() or "past_key_values" in m]


async def test_generation_with_prefix_reuse_uses_no_deprecated_api(
    tiny_dir: Path, strict: list[str]
) -> None:
    old = "Ann was at the mill; the miller saw her leave at noon. " * 6
    new = "Dov lost his keys at the fair and found them in a boot. " * 6
    # float32: the exact mode, whose outputs do not depend on batching or reuse.
    reusing = LocalBackend(path=str(tiny_dir), max_batch_size=8, batch_wait_ms=200, dtype="float32")
    plain = LocalBackend(
        path=str(tiny_dir), max_batch_size=8, batch_wait_ms=200, prefix_cache_mb=0, dtype="float32"
    )
    batch = [
        story_request(old, "Argue for Ann."),
        story_request(old, "Argue against."),  # shares the old story: reused
        story_request(new, "Why?"),  # a new story: read alone first (settle)
        story_request(new, "Why not?"),  # shares it within the batch (warm)
    ]
    try:
        first = [await b.generate(story_request(old, "Begin.")) for b in (reusing, plain)]
        got = await asyncio.gather(*(reusing.generate(r) for r in batch))
        want = await asyncio.gather(*(plain.generate(r) for r in batch))
        alone = [await plain.generate(r) for r in batch]
    finally:
        await reusing.aclose()
        await plain.aclose()
    assert first[0].text == first[1].text
    assert [r.text for r in got] == [r.text for r in want] == [r.text for r in alone]
    assert reusing.engine.prefix is not None and reusing.engine.prefix.stats.reused_tokens > 0
    assert deprecations(strict) == []


async def test_logprob_and_sampled_generation_use_no_deprecated_api(
    tiny_dir: Path, strict: list[str]
) -> None:
    backend = LocalBackend(path=str(tiny_dir), max_batch_size=4, batch_wait_ms=100, dtype="float32")
    sampled = SamplingSettings(temperature=0.8, max_tokens=6)
    requests = [
        GenerateRequest(
            model="tiny",
            messages=[Message(role="user", content="A or B?")],
            sampling=SamplingSettings(max_tokens=2),
            extra={"logprobs": True, "top_logprobs": 3},
        ),
        GenerateRequest(
            model="tiny", messages=[Message(role="user", content="Go.")], sampling=sampled, seed=7
        ),
    ]
    try:
        replies = await asyncio.gather(*(backend.generate(r) for r in requests))
    finally:
        await backend.aclose()
    assert replies[0].extra["logprobs"] and replies[1].usage.output_tokens > 0
    assert deprecations(strict) == []


def test_the_strict_fixture_catches_the_legacy_argument(tiny_dir: Path, strict: list[str]) -> None:
    """The check can fail: the old spelling is caught (a warning raised, or a log line)."""
    import torch
    from transformers import AutoModelForCausalLM, DynamicCache

    model = AutoModelForCausalLM.from_pretrained(str(tiny_dir))
    ids = torch.tensor([[5, 6, 7]])
    with torch.inference_mode():
        try:
            out = model(input_ids=ids, past_key_values=DynamicCache(config=model.config))
            out.past_key_values  # noqa: B018 - the legacy output attribute
        except (FutureWarning, DeprecationWarning):
            return
    assert deprecations(strict), "the legacy spelling should have been reported"
