"""Tests for the model seam: test doubles, retries, limits, cache and usage."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

import pytest

from debate.models import (
    Backend,
    FunctionBackend,
    GenerateRequest,
    GenerateResponse,
    Message,
    Model,
    ModelConfig,
    RetryableError,
    SamplingSettings,
    ScriptedBackend,
    ScriptExhausted,
    ScriptNotConsumed,
)
from debate.types import Usage

FAST = {"backoff_initial_s": 0.001, "backoff_max_s": 0.01}


def user(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


def model(backend: Backend, **config: Any) -> Model:
    return Model(backend, ModelConfig(model="m", **config))


# --- doubles -----------------------------------------------------------------------------


async def test_scripted_backend_answers_in_order_and_records_requests() -> None:
    backend = ScriptedBackend(["one", "two words", "three"])
    m = model(backend)
    texts = [(await m.generate(user(f"q{i}"))).text for i in range(3)]
    assert texts == ["one", "two words", "three"]
    assert [r.messages[-1].content for r in backend.requests] == ["q0", "q1", "q2"]
    assert backend.remaining == 0


async def test_scripted_backend_str_gets_word_count_usage() -> None:
    response = await model(ScriptedBackend(["two words"])).generate(user("a b c"))
    assert response.usage.input_tokens == 3
    assert response.usage.output_tokens == 2
    assert response.usage.calls == 1
    assert response.cached is False


async def test_scripted_backend_passes_responses_and_raises_exceptions() -> None:
    given = GenerateResponse(text="x", finish_reason="length")
    backend = ScriptedBackend([given, KeyError("boom")])
    assert (await backend.generate(GenerateRequest(model="m", messages=user("q")))).text == "x"
    with pytest.raises(KeyError, match="boom"):
        await backend.generate(GenerateRequest(model="m", messages=user("q")))


async def test_scripted_backend_exhaustion_names_the_request() -> None:
    backend = ScriptedBackend(["only"])
    m = model(backend)
    await m.generate(user("first"))
    long_question = "why " * 100
    with pytest.raises(ScriptExhausted, match="after 1 call") as info:
        await m.generate(user(long_question))
    assert "why why" in str(info.value)
    assert len(str(info.value)) < 300  # the message is truncated
    assert len(backend.requests) == 2  # exhaustion is not retried


async def test_scripted_backend_context_manager_requires_full_consumption() -> None:
    with pytest.raises(ScriptNotConsumed, match="1 script item"), ScriptedBackend(["a", "b"]) as b:
        await model(b).generate(user("q"))


async def test_scripted_backend_context_manager_passes_when_consumed() -> None:
    with ScriptedBackend(["a"]) as b:
        await model(b).generate(user("q"))
    b.verify()


def test_scripted_backend_context_manager_keeps_original_error() -> None:
    with pytest.raises(ValueError, match="inner"), ScriptedBackend(["unused"]):
        raise ValueError("inner")


async def test_function_backend_sync() -> None:
    backend = FunctionBackend(lambda r: r.messages[-1].content.upper())
    response = await model(backend).generate(user("hello"))
    assert response.text == "HELLO"
    assert len(backend.requests) == 1


async def test_function_backend_async_and_full_response() -> None:
    async def fn(request: GenerateRequest) -> GenerateResponse:
        await asyncio.sleep(0)
        return GenerateResponse(text=f"seed={request.seed}", usage=Usage(output_tokens=7))

    response = await model(FunctionBackend(fn)).generate(user("q"), seed=42)
    assert response.text == "seed=42"
    assert response.usage.output_tokens == 7
    assert response.usage.calls == 1  # the wrapper counts the call


def test_doubles_identity_has_kind_and_name() -> None:
    assert ScriptedBackend([], name="s1").identity() == {"kind": "scripted", "name": "s1"}
    assert FunctionBackend(str).identity() == {"kind": "function", "name": "function"}


# --- request building --------------------------------------------------------------------


async def test_generate_builds_request_from_config_and_overrides() -> None:
    backend = ScriptedBackend(["a", "b"])
    m = Model(backend, ModelConfig(model="gpt-x", sampling=SamplingSettings(temperature=0.7)))
    await m.generate(user("q"))
    hot = SamplingSettings(temperature=1.0, max_tokens=5)
    await m.generate(user("q"), seed=3, sampling=hot, extra={"logprobs": True})
    first, second = backend.requests
    assert first.model == "gpt-x" and first.sampling.temperature == 0.7 and first.seed is None
    assert second.sampling == hot and second.seed == 3 and second.extra == {"logprobs": True}


async def test_generate_request_passes_request_through() -> None:
    backend = ScriptedBackend(["a"])
    request = GenerateRequest(model="other", messages=user("q"), seed=1)
    assert (await model(backend).generate_request(request)).text == "a"
    assert backend.requests == [request]


def test_describe() -> None:
    info = Model(ScriptedBackend([]), ModelConfig(model="m1")).describe()
    assert info.kind == "model" and info.name == "scripted:m1" and info.model == "m1"
    assert info.settings["temperature"] == 0.0
    assert info.settings["backend"] == {"kind": "scripted", "name": "scripted"}
    assert Model(ScriptedBackend([]), ModelConfig(model="m1"), name="alice").describe().name == (
        "alice"
    )


# --- retries -----------------------------------------------------------------------------


async def test_retryable_error_is_retried_until_success() -> None:
    backend = ScriptedBackend([RetryableError("429"), RetryableError("503"), "ok"])
    response = await model(backend, **FAST).generate(user("q"))
    assert response.text == "ok"
    assert len(backend.requests) == 3


async def test_non_retryable_error_propagates_at_once() -> None:
    backend = ScriptedBackend([ValueError("bad request"), "never"])
    with pytest.raises(ValueError, match="bad request"):
        await model(backend, **FAST).generate(user("q"))
    assert len(backend.requests) == 1


async def test_retry_after_is_honoured() -> None:
    backend = ScriptedBackend([RetryableError("slow down", retry_after=0.2), "ok"])
    start = time.monotonic()
    assert (await model(backend, **FAST).generate(user("q"))).text == "ok"
    assert time.monotonic() - start >= 0.2


async def test_retries_exhausted_reraises_last_error() -> None:
    errors = [RetryableError(f"fail {i}") for i in range(3)]
    backend = ScriptedBackend([*errors, "too late"])
    with pytest.raises(RetryableError, match="fail 2"):
        await model(backend, max_retries=2, **FAST).generate(user("q"))
    assert len(backend.requests) == 3  # first attempt + 2 retries


async def test_timeout_is_retried() -> None:
    calls = 0

    async def fn(request: GenerateRequest) -> str:
        nonlocal calls
        calls += 1
        if calls == 1:
            await asyncio.sleep(5)
        return "fast"

    response = await model(FunctionBackend(fn), timeout_s=0.05, **FAST).generate(user("q"))
    assert response.text == "fast"
    assert calls == 2


async def test_timeout_exhausted_raises_timeout_error() -> None:
    async def fn(request: GenerateRequest) -> str:
        await asyncio.sleep(5)
        return "never"

    backend = FunctionBackend(fn)
    with pytest.raises(TimeoutError):
        await model(backend, timeout_s=0.02, max_retries=1, **FAST).generate(user("q"))
    assert len(backend.requests) == 2


async def test_backend_error_classification_hooks_are_used() -> None:
    class Flaky(Backend):
        kind = "flaky"

        def __init__(self) -> None:
            self.calls = 0

        async def generate(self, request: GenerateRequest) -> GenerateResponse:
            self.calls += 1
            if self.calls == 1:
                raise ConnectionError("reset")
            return GenerateResponse(text="ok")

        def is_retryable(self, error: BaseException) -> bool:
            return isinstance(error, ConnectionError)

        def retry_after(self, error: BaseException) -> float | None:
            return 0.1

    backend = Flaky()
    start = time.monotonic()
    assert (await model(backend, **FAST).generate(user("q"))).text == "ok"
    assert backend.calls == 2
    assert time.monotonic() - start >= 0.1


# --- concurrency and rate limits ---------------------------------------------------------


async def test_concurrency_limit() -> None:
    in_flight = peak = 0

    async def fn(request: GenerateRequest) -> str:
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        await asyncio.sleep(0.03)
        in_flight -= 1
        return "ok"

    m = model(FunctionBackend(fn), max_concurrency=3)
    results = await asyncio.gather(*(m.generate(user(f"q{i}")) for i in range(10)))
    assert len(results) == 10
    assert peak == 3


async def test_rate_limit() -> None:
    m = model(FunctionBackend(lambda r: "ok"), requests_per_minute=600)  # 10 per second
    start = time.monotonic()
    await asyncio.gather(*(m.generate(user(f"q{i}")) for i in range(15)))
    assert time.monotonic() - start >= 0.95


async def test_no_rate_limit_by_default_is_fast() -> None:
    m = model(FunctionBackend(lambda r: "ok"))
    start = time.monotonic()
    await asyncio.gather(*(m.generate(user(f"q{i}")) for i in range(15)))
    assert time.monotonic() - start < 0.9  # contrast with the limited run above


# --- cache -------------------------------------------------------------------------------


async def test_cache_hit_makes_no_backend_call(tmp_path: Path) -> None:
    backend = ScriptedBackend(["answer"])
    async with model(backend, cache_dir=tmp_path) as m:
        first = await m.generate(user("q"), seed=1)
        second = await m.generate(user("q"), seed=1)
    assert first.cached is False and second.cached is True
    assert second.text == "answer"
    assert len(backend.requests) == 1


async def test_cache_misses_on_different_seed_message_or_backend(tmp_path: Path) -> None:
    backend = ScriptedBackend(["a", "b", "c"])
    async with model(backend, cache_dir=tmp_path) as m:
        assert (await m.generate(user("q"), seed=1)).text == "a"
        assert (await m.generate(user("q"), seed=2)).text == "b"
        assert (await m.generate(user("other"), seed=1)).text == "c"
    other = ScriptedBackend(["d"], name="other")
    async with model(other, cache_dir=tmp_path) as m2:
        response = await m2.generate(user("q"), seed=1)
    assert response.text == "d" and response.cached is False
    assert len(backend.requests) == 3


async def test_cache_persists_across_instances(tmp_path: Path) -> None:
    async with model(ScriptedBackend(["stored"]), cache_dir=tmp_path) as m:
        await m.generate(user("q"))
    empty = ScriptedBackend([])  # any backend call would raise ScriptExhausted
    async with model(empty, cache_dir=tmp_path) as m2:
        response = await m2.generate(user("q"))
    assert response.text == "stored" and response.cached is True
    assert empty.requests == []


async def test_errors_are_not_cached(tmp_path: Path) -> None:
    backend = ScriptedBackend([ValueError("boom"), "ok"])
    async with model(backend, cache_dir=tmp_path) as m:
        with pytest.raises(ValueError):
            await m.generate(user("q"))
        assert (await m.generate(user("q"))).text == "ok"
    assert len(backend.requests) == 2


async def test_no_cache_without_cache_dir() -> None:
    backend = ScriptedBackend(["a", "b"])
    m = model(backend)
    assert (await m.generate(user("q"))).text == "a"
    assert (await m.generate(user("q"))).text == "b"


# --- usage -------------------------------------------------------------------------------


async def test_usage_totals(tmp_path: Path) -> None:
    script = [
        GenerateResponse(text="x", usage=Usage(input_tokens=10, output_tokens=2, cost_usd=0.5)),
        GenerateResponse(text="y", usage=Usage(input_tokens=20, output_tokens=3, cost_usd=1.0)),
    ]
    async with model(ScriptedBackend(script), cache_dir=tmp_path) as m:
        await m.generate(user("a"))
        await m.generate(user("b"))
        hit = await m.generate(user("a"))
        total = m.usage
    assert hit.usage == Usage(input_tokens=10, output_tokens=2, calls=0, cached_calls=1)
    assert total.calls == 2 and total.cached_calls == 1
    assert total.input_tokens == 40 and total.output_tokens == 7
    assert total.cost_usd == pytest.approx(1.5)  # a cache hit costs nothing


async def test_retries_count_as_one_call() -> None:
    m = model(ScriptedBackend([RetryableError("x"), "ok"]), **FAST)
    response = await m.generate(user("q"))
    assert response.usage.calls == 1
    assert m.usage.calls == 1


def test_model_survives_a_second_event_loop() -> None:
    async def fn(request: GenerateRequest) -> str:
        await asyncio.sleep(0.01)
        return "ok"

    m = model(FunctionBackend(fn), max_concurrency=1)

    async def burst() -> None:
        await asyncio.gather(*(m.generate(user(f"q{i}")) for i in range(3)))

    asyncio.run(burst())
    asyncio.run(burst())  # a semaphore bound to the first loop would raise here
    assert m.usage.calls == 6
