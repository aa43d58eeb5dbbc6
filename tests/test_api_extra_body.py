"""Extra request fields per backend (``extra_body``): sent, recorded, and in the cache key.

llama.cpp's OpenAI-compatible server samples with its own defaults (top_k, repeat_penalty)
even at temperature 0; ``extra_body`` in the backend spec is how a config switches them off.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from debate import LiveJob, ModelDebater, run_many
from debate.components import Components
from debate.domains.evidence import evidence_questions
from debate.errors import ConfigError
from debate.models import FunctionBackend, GenerateRequest, Message, Model, ModelConfig
from debate.models.anthropic_backend import AnthropicBackend
from debate.models.fake_server import FakeAPIServer
from debate.models.openai_backend import OpenAIBackend
from debate.models.wrapper import cache_key
from debate.protocol import build_protocol
from debate.role_specs import ModelRoleSpec
from judges import ModelJudge
from tests.api_replies import KEY, role_reply

pytest.importorskip("openai")
pytest.importorskip("anthropic")
pytest.importorskip("aiohttp")

GREEDY = {"top_k": 1, "repeat_penalty": 1.0, "samplers": ["top_k"]}


def user(text: str) -> list[Message]:
    return [Message(role="system", content="be brief"), Message(role="user", content=text)]


def spec(server: FakeAPIServer, kind: str, extra: str) -> ModelRoleSpec:
    url = server.base_url if kind == "openai" else server.url
    text = f"""
backend = {{ kind = "{kind}", base_url = "{url}", extra_body = {extra} }}
model = {{ model = "m" }}
"""
    return ModelRoleSpec.model_validate(tomllib.loads(text))


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_extra_fields_from_the_config_reach_the_server(
    kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    extra = '{ top_k = 1, repeat_penalty = 1.0, samplers = ["top_k"] }'
    async with FakeAPIServer(FunctionBackend(lambda r: "ok")) as server:
        role = spec(server, kind, extra)
        async with Model(Components().make("backend", role.backend), role.model) as model:
            await model.generate(user("q"))
    (served,) = server.served()
    assert {k: served.body[k] for k in GREEDY} == GREEDY
    assert served.body["model"] == "m" and served.body["temperature"] == 0.0


async def test_anthropic_extra_fields_go_with_the_sampling_fields() -> None:
    async with FakeAPIServer(FunctionBackend(lambda r: "ok")) as server:
        backend = AnthropicBackend(base_url=server.url, api_key=KEY, extra_body={"top_k": 5})
        async with Model(backend, ModelConfig(model="m")) as model:
            await model.generate(user("q"))
        quiet = AnthropicBackend(
            base_url=server.url, api_key=KEY, extra_body={"top_k": 5}, sampling_in_body=False
        )
        async with Model(quiet, ModelConfig(model="m")) as model:
            await model.generate(user("q"))
    first, second = (s.body for s in server.served())
    assert first["top_k"] == 5 and first["temperature"] == 0.0
    assert second["top_k"] == 5 and "temperature" not in second


async def test_without_extra_fields_nothing_is_added(tmp_path: Path) -> None:
    async with FakeAPIServer(FunctionBackend(lambda r: "ok")) as server:
        backend = OpenAIBackend(base_url=server.base_url, api_key=KEY)
        async with Model(backend, ModelConfig(model="m")) as model:
            await model.generate(user("q"))
    (served,) = server.served()
    assert "top_k" not in served.body and "extra_body" not in served.body
    assert backend.identity() == {"kind": "openai", "base_url": server.base_url}


def test_extra_fields_are_part_of_the_identity_and_the_cache_key() -> None:
    url = "http://127.0.0.1:8080/v1"
    plain = OpenAIBackend(base_url=url, api_key=KEY)
    greedy = OpenAIBackend(base_url=url, api_key=KEY, extra_body=GREEDY)
    other = OpenAIBackend(base_url=url, api_key=KEY, extra_body={**GREEDY, "top_k": 40})
    assert greedy.identity()["extra_body"] == GREEDY and "extra_body" not in plain.identity()
    req = GenerateRequest(model="m", messages=user("q"))  # the same request for all three
    keys = {cache_key(b.identity(), req) for b in (plain, greedy, other)}
    assert len(keys) == 3
    again = OpenAIBackend(base_url=url, api_key=KEY, extra_body=dict(reversed(GREEDY.items())))
    assert cache_key(again.identity(), req) == cache_key(greedy.identity(), req)


async def test_changing_extra_fields_misses_the_response_cache(tmp_path: Path) -> None:
    async with FakeAPIServer(FunctionBackend(lambda r: "ok")) as server:
        for extra in ({"top_k": 40}, {"top_k": 1}, {"top_k": 1}):
            backend = OpenAIBackend(base_url=server.base_url, api_key=KEY, extra_body=extra)
            async with Model(backend, ModelConfig(model="m", cache_dir=tmp_path)) as model:
                await model.generate(user("q"), seed=1)
    assert [s.body["top_k"] for s in server.served()] == [40, 1]  # the third was a cache hit


async def test_transcripts_record_the_extra_fields(tmp_path: Path) -> None:
    async with FakeAPIServer(FunctionBackend(role_reply), api_key=KEY) as server:
        backend = OpenAIBackend(base_url=server.base_url, api_key=KEY, extra_body=GREEDY)
        judge_backend = OpenAIBackend(base_url=server.base_url, api_key=KEY)
        async with (
            Model(backend, ModelConfig(model="m")) as debater,
            Model(judge_backend, ModelConfig(model="j")) as judge,
        ):
            (question,) = evidence_questions(1, seed=5)
            protocol = build_protocol("debate-sequential", {"rounds": 1})
            job = LiveJob("d0", question, protocol, ModelDebater(debater), ModelJudge(judge), 0)
            (ran,) = await run_many([job])
    assert ran.error is None
    for info in ran.debaters.values():
        assert info.settings["backend"]["extra_body"] == GREEDY
    assert "extra_body" not in ran.judge.settings["backend"]
    debater_bodies = [s.body for s in server.served() if s.body["model"] == "m"]
    assert debater_bodies and all(b["top_k"] == 1 for b in debater_bodies)


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (OpenAIBackend, "temperature"),
        (OpenAIBackend, "logprobs"),
        (OpenAIBackend, "seed"),
        (AnthropicBackend, "max_tokens"),
        (AnthropicBackend, "top_p"),
    ],
)
def test_extra_fields_may_not_override_what_the_backend_sends(make: Any, field: str) -> None:
    with pytest.raises(ConfigError, match=f"may not set \\['{field}'\\]"):
        make(base_url="http://127.0.0.1:1", api_key=KEY, extra_body={field: 1})


def test_extra_fields_must_be_json() -> None:
    with pytest.raises(ConfigError, match="extra_body is not JSON"):
        OpenAIBackend(base_url="http://127.0.0.1:1", api_key=KEY, extra_body={"x": {1, 2}})


def test_extra_fields_are_copied_not_shared() -> None:
    given: dict[str, Any] = {"samplers": ["top_k"]}
    backend = OpenAIBackend(base_url="http://127.0.0.1:1", api_key=KEY, extra_body=given)
    given["samplers"].append("min_p")
    assert backend.extra_body == {"samplers": ["top_k"]}
