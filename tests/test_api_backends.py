"""OpenAI and Anthropic backends through the real SDKs, over HTTP, against the fake server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest

from debate.errors import ConfigError
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
)
from debate.models.anthropic_backend import AnthropicBackend
from debate.models.api_errors import ProviderError, parse_retry_after, redact, safe_url
from debate.models.costs import Price, default_price
from debate.models.fake_server import FakeAPIServer, FaultPlan
from debate.models.openai_backend import OpenAIBackend
from debate.types import Usage
from tests.api_replies import FAST, KEY

pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("aiohttp")


def user(text: str) -> list[Message]:
    return [Message(role="system", content="be brief"), Message(role="user", content=text)]


def openai_model(server: FakeAPIServer, **config: Any) -> Model:
    backend = OpenAIBackend(base_url=server.base_url, api_key=KEY)
    return Model(backend, ModelConfig(model="gpt-4o-mini", **{**FAST, **config}))


def anthropic_model(server: FakeAPIServer, **config: Any) -> Model:
    backend = AnthropicBackend(base_url=server.url, api_key=KEY)
    return Model(backend, ModelConfig(model="claude-3-5-haiku", **{**FAST, **config}))


@pytest.fixture
async def echo() -> AsyncIterator[FakeAPIServer]:
    def reply(request: GenerateRequest) -> GenerateResponse:
        text = f"echo: {request.messages[-1].content}"
        return GenerateResponse(text=text, usage=Usage(input_tokens=1000, output_tokens=500))

    async with FakeAPIServer(FunctionBackend(reply), api_key=KEY) as server:
        yield server


# --- request and reply translation ---------------------------------------------------------


async def test_openai_request_reaches_the_server_whole(echo: FakeAPIServer) -> None:
    sampling = SamplingSettings(temperature=0.7, max_tokens=33, top_p=0.9, stop=["END"])
    async with openai_model(echo, sampling=sampling) as model:
        response = await model.generate(user("hello"), seed=42)
    assert response.text == "echo: hello"
    (served,) = echo.served()
    assert served.api == "openai" and served.authorized
    request = served.request
    assert [m.role for m in request.messages] == ["system", "user"]
    assert request.sampling == sampling and request.seed == 42
    assert request.model == "gpt-4o-mini"


async def test_anthropic_moves_system_prompt_and_sends_sampling(echo: FakeAPIServer) -> None:
    sampling = SamplingSettings(temperature=0.3, max_tokens=20, stop=["STOP"])
    async with anthropic_model(echo, sampling=sampling) as model:
        response = await model.generate(user("hi"))
    assert response.text == "echo: hi" and response.finish_reason == "stop"
    (served,) = echo.served()
    assert served.api == "anthropic"
    assert served.request.messages[0] == Message(role="system", content="be brief")
    assert served.request.sampling.temperature == 0.3
    assert served.request.sampling.stop == ["STOP"]


@pytest.mark.parametrize("make", [openai_model, anthropic_model])
async def test_usage_and_cost_come_from_the_reply_and_the_price_table(
    echo: FakeAPIServer, make: Any
) -> None:
    async with make(echo) as model:
        response = await model.generate(user("q"))
    usage = response.usage
    assert (usage.input_tokens, usage.output_tokens, usage.calls) == (1000, 500, 1)
    price = default_price(model.config.model)
    assert price is not None
    assert usage.cost_usd == pytest.approx(price.cost(1000, 500))


async def test_configured_price_wins_and_a_cache_hit_is_free(
    echo: FakeAPIServer, tmp_path: Any
) -> None:
    price = Price(input_per_mtok=1.0, output_per_mtok=2.0)
    async with openai_model(echo, price=price, cache_dir=tmp_path) as model:
        first = await model.generate(user("q"), seed=1)
        again = await model.generate(user("q"), seed=1)
    assert first.usage.cost_usd == pytest.approx((1000 * 1.0 + 500 * 2.0) / 1e6)
    assert again.cached and again.usage.cost_usd == 0.0
    assert len(echo.served()) == 1


async def test_openai_logprobs_come_back_in_extra() -> None:
    top = [{"token": "B", "logprob": -0.1}, {"token": "A", "logprob": -2.4}]
    entries = [{"token": "B", "logprob": -0.1, "top_logprobs": top}]
    backend = ScriptedBackend([GenerateResponse(text="B", extra={"logprobs": entries})])
    async with FakeAPIServer(backend) as server, openai_model(server) as model:
        response = await model.generate(user("q"), extra={"logprobs": True, "top_logprobs": 2})
    assert response.extra["logprobs"] == entries
    assert server.served()[0].request.extra == {"logprobs": True, "top_logprobs": 2}


# --- faults: one retry policy (ours), the SDK never retries -------------------------------


@pytest.mark.parametrize("make", [openai_model, anthropic_model])
@pytest.mark.parametrize("fault", ["rate_limit", "server_error", "malformed", "truncated"])
async def test_transient_faults_are_retried_once_each(fault: str, make: Any) -> None:
    faults = FaultPlan(script=[fault, fault], retry_after_s=0.0)
    async with (
        FakeAPIServer(FunctionBackend(lambda r: "fine"), faults=faults) as server,
        make(server) as model,
    ):
        response = await model.generate(user("q"))
    assert response.text == "fine" and response.usage.calls == 1
    assert [r.fault for r in server.served()] == [fault, fault, "ok"]


async def test_retry_after_from_a_429_is_honoured() -> None:
    faults = FaultPlan(script=["rate_limit"], retry_after_s=0.4)
    async with (
        FakeAPIServer(FunctionBackend(lambda r: "ok"), faults=faults) as server,
        openai_model(server) as model,
    ):
        start = time.monotonic()
        await model.generate(user("q"))
        waited = time.monotonic() - start
    assert waited >= 0.4  # backoff alone would be about a millisecond


async def test_a_hung_request_times_out_and_is_retried() -> None:
    faults = FaultPlan(script=["timeout"], hang_s=10)
    async with (
        FakeAPIServer(FunctionBackend(lambda r: "late but fine"), faults=faults) as server,
        anthropic_model(server, timeout_s=0.3) as model,
    ):
        response = await model.generate(user("q"))
    assert response.text == "late but fine"
    assert [r.fault for r in server.served()] == ["timeout", "ok"]


async def test_retries_are_bounded_by_the_model_config() -> None:
    faults = FaultPlan(server_error=1.0)
    async with (
        FakeAPIServer(FunctionBackend(lambda r: "never"), faults=faults) as server,
        openai_model(server, max_retries=2) as model,
    ):
        with pytest.raises(RetryableError, match="500"):
            await model.generate(user("q"))
    assert len(server.served()) == 3  # no SDK retries stacked on ours


@pytest.mark.parametrize("make", [openai_model, anthropic_model])
async def test_bad_key_fails_at_once_and_the_key_is_redacted(make: Any) -> None:
    server = FakeAPIServer(FunctionBackend(lambda r: "x"), api_key="other", echo_key_in_errors=True)
    async with server, make(server) as model:
        with pytest.raises(ProviderError) as info:
            await model.generate(user("q"))
    assert server.counts["unauthorized"] == 1  # not retried
    message = str(info.value)
    assert "401" in message and KEY not in message and "[redacted]" in message
    assert info.value.__cause__ is None and info.value.__suppress_context__


async def test_bad_request_is_not_retried() -> None:
    async with FakeAPIServer(FunctionBackend(lambda r: "x")) as server:
        backend = OpenAIBackend(base_url=server.base_url, api_key=KEY)
        async with Model(backend, ModelConfig(model="m", **FAST)) as model:
            with pytest.raises(ValueError, match="does not support"):
                await model.generate(user("q"), extra={"n": 3})
    assert server.served() == []


# --- keys, identity, event loops ---------------------------------------------------------


def test_missing_key_is_a_config_error_naming_the_variable() -> None:
    with pytest.raises(ConfigError, match=r"\$OPENAI_API_KEY"):
        OpenAIBackend()
    with pytest.raises(ConfigError, match=r"\$MY_KEY"):
        AnthropicBackend(api_key_env="MY_KEY")


def test_key_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    backend = OpenAIBackend()
    assert KEY in backend.secrets
    assert KEY not in repr(backend.identity())


def test_identity_has_no_secret_and_no_credentials_in_the_url() -> None:
    backend = OpenAIBackend(base_url="http://user:pw@127.0.0.1:8000/v1/?token=abc", api_key=KEY)
    assert backend.identity() == {"kind": "openai", "base_url": "http://127.0.0.1:8000/v1"}
    assert AnthropicBackend(api_key=KEY).identity()["base_url"] == "https://api.anthropic.com"


async def test_a_local_server_needs_no_key(echo: FakeAPIServer) -> None:
    echo.api_key = None
    backend = OpenAIBackend(base_url=echo.base_url)
    async with Model(backend, ModelConfig(model="local")) as model:
        assert (await model.generate(user("x"))).text == "echo: x"


def test_backend_survives_a_second_event_loop() -> None:
    async def once() -> str:
        async with FakeAPIServer(FunctionBackend(lambda r: "ok")) as server:
            backend.base_url = server.base_url
            try:
                return (await model.generate(user("q"))).text
            finally:
                await model.aclose()

    backend: Backend = OpenAIBackend(base_url="http://127.0.0.1:1/v1", api_key=KEY)
    model = Model(backend, ModelConfig(model="m"))
    assert asyncio.run(once()) == "ok"
    assert asyncio.run(once()) == "ok"


# --- helpers ---------------------------------------------------------------------------------


def test_parse_retry_after_forms() -> None:
    assert parse_retry_after({"Retry-After": "3"}) == 3.0
    assert parse_retry_after({"retry-after-ms": "250"}) == 0.25
    assert parse_retry_after({}) is None and parse_retry_after(None) is None
    assert parse_retry_after({"Retry-After": "soon"}) is None
    later = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    waited = parse_retry_after({"Retry-After": later})
    assert waited is not None and 25 < waited <= 30


def test_redact_and_safe_url() -> None:
    assert redact(f"bad key {KEY}!", [KEY, None, ""]) == "bad key [redacted]!"
    assert safe_url("https://k:s@api.example.com/v1?x=1#f") == "https://api.example.com/v1"
