"""SDK setup outside the per-attempt timeout, unreadable 200 replies, and give-up messages.

A provider SDK is imported (seconds for ``anthropic``) and its client built once, before the
first timed attempt: with a fault-free server every planned call is sent exactly once. A 200
reply that is not a reply (a proxy's HTML page, JSON of another shape) is retried like
truncated JSON. When ``Model`` gives up, its error says who gave up on what, and why.
"""

from __future__ import annotations

import asyncio
import importlib
import itertools
import logging
import socket
import threading
import time
from types import ModuleType
from typing import Any

import pytest

from debate import LiveJob, ModelDebater, run_many
from debate.domains.evidence import evidence_questions
from debate.models import (
    AttemptsTimedOut,
    Backend,
    FunctionBackend,
    GenerateRequest,
    GenerateResponse,
    Message,
    Model,
    ModelConfig,
    RetriesExhausted,
    RetryableError,
)
from debate.models.anthropic_backend import AnthropicBackend
from debate.models.api_errors import connection_problem
from debate.models.fake_server import FakeAPIServer, FaultPlan
from debate.models.openai_backend import OpenAIBackend
from debate.models.sdk_backend import SDKBackend
from debate.protocol import build_protocol
from judges import ModelJudge
from tests.api_replies import FAST, KEY, role_reply

pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("aiohttp")

PLANNED = 20
TIMEOUT_S = 2.0
"""Per-attempt timeout: ample for one request to the local fake server, even on a busy machine."""
SETUP_S = 3.0
"""Simulated one-time setup: longer than the timeout, so charging it to an attempt fails."""


def user(text: str) -> list[Message]:
    return [Message(role="user", content=text)]


def make_backend(api: str, server: FakeAPIServer) -> SDKBackend:
    if api == "openai":
        return OpenAIBackend(base_url=server.base_url, api_key=KEY)
    return AnthropicBackend(base_url=server.url, api_key=KEY)


def slow_import(
    monkeypatch: pytest.MonkeyPatch,
    seconds: float,
    names: tuple[str, ...] = ("openai", "anthropic"),
) -> list[str]:
    """Make the first import of each SDK in ``names`` take ``seconds`` (a cold ``import
    anthropic`` takes about 6 s on a small machine)."""
    real = importlib.import_module
    slowed: list[str] = []

    def import_module(name: str, package: str | None = None) -> ModuleType:
        if name in names and name not in slowed:
            slowed.append(name)
            time.sleep(seconds)
        return real(name, package)

    monkeypatch.setattr(importlib, "import_module", import_module)
    return slowed


# --- item 2: setup is not an attempt ----------------------------------------------------------


def count_attempts(backend: SDKBackend) -> list[int]:
    """Count the attempts ``Model`` makes on ``backend`` (each timed ``generate`` call)."""
    attempts: list[int] = []
    generate = backend.generate

    async def counted(request: GenerateRequest) -> GenerateResponse:
        attempts.append(1)
        return await generate(request)

    backend.generate = counted  # type: ignore[method-assign]
    return attempts


@pytest.mark.parametrize("api", ["openai", "anthropic"])
async def test_a_slow_sdk_import_sends_each_planned_call_exactly_once(
    api: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    slowed = slow_import(monkeypatch, seconds=SETUP_S)
    async with FakeAPIServer(FunctionBackend(lambda r: "answer"), api_key=KEY) as server:
        backend = make_backend(api, server)
        attempts = count_attempts(backend)
        config = ModelConfig(
            model="m", timeout_s=TIMEOUT_S, max_retries=3, max_concurrency=64, **FAST
        )
        async with Model(backend, config) as model:
            replies = await asyncio.gather(
                *(model.generate(user(f"q{i}"), seed=i) for i in range(PLANNED))
            )
    sent = len(server.served())
    print(f"{api}: calls planned {PLANNED}, attempts {len(attempts)}, requests sent {sent}")
    assert slowed == [api]  # the slow import really happened during this test
    assert [r.text for r in replies] == ["answer"] * PLANNED
    assert len(attempts) == PLANNED  # no attempt timed out and was retried
    assert sent == PLANNED and server.counts["ok"] == PLANNED
    asked = sorted(s.request.messages[-1].content for s in server.served())
    assert asked == sorted(f"q{i}" for i in range(PLANNED))  # each call once, none twice


async def test_one_backends_slow_import_does_not_time_out_anothers_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The reported failure: a judge's first call imports ``anthropic`` while debater calls
    are in flight; a blocked event loop let their timeouts expire after the server had
    answered, so they were sent (and paid for) again."""
    slowed = slow_import(monkeypatch, seconds=SETUP_S, names=("anthropic",))
    server = FakeAPIServer(FunctionBackend(lambda r: "answer"), latency_s=0.1, api_key=KEY)
    config = ModelConfig(model="m", timeout_s=TIMEOUT_S, max_retries=3, **FAST)
    async with server:
        debater = Model(make_backend("openai", server), config)
        judge = Model(make_backend("anthropic", server), config)
        async with debater, judge:
            await debater.generate(user("warm-up"))

            async def judge_calls() -> list[GenerateResponse]:
                await asyncio.sleep(0.02)  # the debater's requests are on the wire by now
                return await asyncio.gather(*(judge.generate(user(f"j{i}")) for i in range(10)))

            speeches, verdicts = await asyncio.gather(
                asyncio.gather(*(debater.generate(user(f"d{i}")) for i in range(10))),
                judge_calls(),
            )
    sent = len(server.served())
    print(f"two backends: calls planned 21, requests sent {sent}")
    assert slowed == ["anthropic"]
    assert len(speeches) == len(verdicts) == 10
    assert sent == 21 and server.counts["ok"] == 21


async def test_slow_client_construction_is_not_charged_to_an_attempt(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    real = SDKBackend._make_client

    def slow_client(self: SDKBackend, sdk: ModuleType, http_client: Any) -> Any:
        time.sleep(SETUP_S)
        return real(self, sdk, http_client)

    monkeypatch.setattr(SDKBackend, "_make_client", slow_client)
    async with FakeAPIServer(FunctionBackend(lambda r: "ok"), api_key=KEY) as server:
        config = ModelConfig(model="m", timeout_s=TIMEOUT_S, max_retries=2, **FAST)
        async with Model(make_backend("openai", server), config) as model:
            await asyncio.gather(*(model.generate(user("q"), seed=i) for i in range(5)))
    assert [s.fault for s in server.served()] == ["ok"] * 5


async def test_the_sdk_is_imported_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    """While the SDK imports, other coroutines run: the import waits for one to signal."""
    real = importlib.import_module
    signalled = threading.Event()
    waited: list[bool] = []

    def import_module(name: str, package: str | None = None) -> ModuleType:
        if name == "anthropic" and not waited:
            waited.append(signalled.wait(timeout=5))  # never set if the loop is blocked
        return real(name, package)

    async def signal_soon() -> None:
        await asyncio.sleep(0)
        signalled.set()

    monkeypatch.setattr(importlib, "import_module", import_module)
    async with FakeAPIServer(FunctionBackend(lambda r: "ok")) as server:
        model = Model(make_backend("anthropic", server), ModelConfig(model="m"))
        async with model:
            reply, _ = await asyncio.gather(model.generate(user("q")), signal_soon())
    assert reply.text == "ok" and waited == [True]


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry per SDK client built while the test runs."""
    built: list[int] = []
    real = SDKBackend._make_client

    def counted(self: SDKBackend, sdk: ModuleType, http_client: Any) -> Any:
        built.append(1)
        return real(self, sdk, http_client)

    monkeypatch.setattr(SDKBackend, "_make_client", counted)
    return built


async def test_prepare_runs_once_per_event_loop_and_a_cache_hit_needs_none(
    tmp_path: Any, builds: list[int]
) -> None:
    async with FakeAPIServer(FunctionBackend(lambda r: "ok")) as server:
        backend = make_backend("openai", server)
        async with Model(backend, ModelConfig(model="m", cache_dir=tmp_path)) as model:
            await asyncio.gather(*(model.generate(user("q"), seed=i) for i in range(8)))
        assert len(builds) == 1
        async with Model(backend, ModelConfig(model="m", cache_dir=tmp_path)) as again:
            hit = await again.generate(user("q"), seed=0)  # closed client, but a cache hit
    assert hit.cached and len(builds) == 1


async def test_many_first_calls_wait_for_one_preparation_together(builds: list[int]) -> None:
    """200 calls arriving before the client exists: one import, one client, and no chain of
    lock hand-offs (each waiting call woken by the one before it, a loop turn apiece)."""
    backend = OpenAIBackend(base_url="http://127.0.0.1:1/v1", api_key=KEY)
    loop = asyncio.get_running_loop()
    turns = 0

    def tick() -> None:
        nonlocal turns
        turns += 1
        if not done.is_set():
            loop.call_soon(tick)

    done = asyncio.Event()
    loop.call_soon(tick)
    await asyncio.gather(*(backend.prepare() for _ in range(200)))
    done.set()
    await backend.aclose()
    assert len(builds) == 1
    assert turns < 50, turns  # a lock chain takes about one turn per waiting call


async def test_a_failed_preparation_fails_its_callers_and_is_tried_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from debate.errors import ConfigError

    backend = OpenAIBackend(base_url="http://127.0.0.1:1/v1", api_key=KEY)
    monkeypatch.setattr(backend, "sdk_module", "no_such_sdk_module")
    results = await asyncio.gather(*(backend.prepare() for _ in range(5)), return_exceptions=True)
    assert all(isinstance(r, ConfigError) for r in results)
    monkeypatch.setattr(backend, "sdk_module", "openai")
    await backend.prepare()  # tried again, now with an SDK that imports
    assert backend.client() is not None
    await backend.aclose()


def test_a_missing_sdk_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from debate.errors import ConfigError

    backend = OpenAIBackend(base_url="http://127.0.0.1:1/v1", api_key=KEY)
    monkeypatch.setattr(backend, "sdk_module", "no_such_sdk_module")
    with pytest.raises(ConfigError, match="needs the `no_such_sdk_module` package"):
        asyncio.run(backend.prepare())


# --- item 3: a 200 reply that is not a reply --------------------------------------------------


@pytest.mark.parametrize("api", ["openai", "anthropic"])
@pytest.mark.parametrize("fault", ["html", "wrong_shape"])
async def test_an_unreadable_200_reply_is_retried(api: str, fault: str) -> None:
    faults = FaultPlan(script=[fault, fault])
    async with FakeAPIServer(FunctionBackend(lambda r: "fine"), faults=faults) as server:
        model = Model(make_backend(api, server), ModelConfig(model="m", **FAST))
        async with model:
            response = await model.generate(user("q"))
    assert response.text == "fine" and response.usage.calls == 1
    assert [r.fault for r in server.served()] == [fault, fault, "ok"]


@pytest.mark.parametrize("api", ["openai", "anthropic"])
async def test_giving_up_on_html_names_the_backend_model_attempts_and_cause(api: str) -> None:
    async with FakeAPIServer(FunctionBackend(lambda r: "x"), faults=FaultPlan(html=1.0)) as server:
        config = ModelConfig(model="gpt-x", max_retries=2, **FAST)
        async with Model(make_backend(api, server), config) as model:
            with pytest.raises(RetriesExhausted) as info:
                await model.generate(user("q"))
    message = str(info.value)
    assert message.startswith(f"{api} model gpt-x: gave up after 3 attempts; last: ")
    assert "not JSON" in message and "\n" not in message
    assert info.value.attempts == 3 and len(server.served()) == 3


# --- item 3: give-up messages --------------------------------------------------------------


async def test_timeouts_exhausted_say_so_with_the_timeout() -> None:
    async def hang(request: GenerateRequest) -> str:
        await asyncio.sleep(5)
        return "never"

    model = Model(FunctionBackend(hang), ModelConfig(model="slow-1", timeout_s=0.05, **FAST))
    with pytest.raises(AttemptsTimedOut) as info:
        await model.generate(user("q"))
    assert str(info.value) == (
        "function model slow-1: gave up after 5 attempts; last: request timed out after 0.05 s"
    )
    assert isinstance(info.value, TimeoutError) and isinstance(info.value, RetryableError)


async def test_one_attempt_is_singular_and_secrets_are_redacted() -> None:
    class Leaky(Backend):
        kind = "leaky"

        @property
        def secrets(self) -> tuple[str, ...]:
            return (KEY,)

        async def generate(self, request: GenerateRequest) -> GenerateResponse:
            raise RetryableError(f"503 from a server that echoed {KEY}\nand a second line")

    model = Model(Leaky(), ModelConfig(model="m", max_retries=0, **FAST))
    with pytest.raises(RetriesExhausted) as info:
        await model.generate(user("q"))
    message = str(info.value)
    assert message.startswith("leaky model m: gave up after 1 attempt; last: 503 from")
    assert KEY not in message and "[redacted]" in message and "\n" not in message
    assert not isinstance(info.value, TimeoutError)


async def test_a_non_retryable_error_is_not_wrapped() -> None:
    def refuse(request: GenerateRequest) -> str:
        raise ValueError("bad")

    model = Model(FunctionBackend(refuse), ModelConfig(model="m", **FAST))
    with pytest.raises(ValueError, match=r"^bad$"):
        await model.generate(user("q"))


async def test_a_debate_failing_on_timeouts_records_why(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR)
    faults = FaultPlan(timeout=1.0, hang_s=5.0)
    async with FakeAPIServer(FunctionBackend(role_reply), faults=faults, api_key=KEY) as server:
        backend = OpenAIBackend(base_url=server.base_url, api_key=KEY)
        config = ModelConfig(model="gpt-x", timeout_s=0.1, max_retries=1, **FAST)
        async with Model(backend, config) as model:
            (question,) = evidence_questions(1, seed=5)
            protocol = build_protocol("debate-sequential", {"rounds": 1})
            job = LiveJob("d0", question, protocol, ModelDebater(model), ModelJudge(model), 0)
            (ran,) = await run_many([job])
    assert ran.error is not None and KEY not in ran.error
    assert "openai model gpt-x: gave up after 2 attempts; last: request timed out after 0.1 s" in (
        ran.error
    )


# --- item 14a: a refused connection is not a timeout -----------------------------------------


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.parametrize("api", ["openai", "anthropic"])
async def test_a_refused_connection_is_reported_as_refused(api: str) -> None:
    port = closed_port()
    url = f"http://127.0.0.1:{port}" + ("/v1/" if api == "openai" else "/")
    backend: SDKBackend = (
        OpenAIBackend(base_url=url, api_key=KEY)
        if api == "openai"
        else AnthropicBackend(base_url=url, api_key=KEY)
    )
    async with Model(backend, ModelConfig(model="m", max_retries=1, **FAST)) as model:
        with pytest.raises(RetriesExhausted) as info:
            await model.generate(user("q"))
    message = str(info.value)
    safe = f"http://127.0.0.1:{port}" + ("/v1" if api == "openai" else "")
    assert message.endswith(f"connection refused to {safe}"), message
    assert "timed out" not in message and KEY not in message


def _chained(*errors: BaseException) -> BaseException:
    for outer, inner in itertools.pairwise(errors):
        outer.__cause__ = inner
    return errors[0]


def test_connection_problem_reads_the_cause_chain() -> None:
    url = "http://h:1/v1"
    refused = _chained(RuntimeError("Request timed out."), OSError("x"), ConnectionRefusedError())
    assert connection_problem(refused, url) == f"connection refused to {url}"
    dns = _chained(RuntimeError("Connection error."), socket.gaierror(-2, "Name not known"))
    assert connection_problem(dns, url) == f"cannot resolve the host of {url}"
    reset = _chained(RuntimeError("x"), ConnectionResetError())
    assert connection_problem(reset, url) == f"connection reset by {url}"
    context = RuntimeError("outer")
    context.__context__ = ConnectionRefusedError()
    assert connection_problem(context, url) == f"connection refused to {url}"
    assert connection_problem(TimeoutError(), url) is None
    loop_a, loop_b = RuntimeError("a"), RuntimeError("b")
    loop_a.__cause__, loop_b.__cause__ = loop_b, loop_a  # a cycle ends the walk
    assert connection_problem(loop_a, url) is None
