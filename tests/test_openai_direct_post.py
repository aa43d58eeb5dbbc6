"""The OpenAI backend sends ``chat.completions.create``'s request through the client's own
``post`` (skipping the SDK's argument walk, a third of its CPU per call): the same JSON on
the wire, the same headers, the same parsed reply and the same errors as ``create``."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest

pytest.importorskip("openai")
aiohttp = pytest.importorskip("aiohttp")

from aiohttp import web  # noqa: E402

from debate.models import GenerateRequest, Message, SamplingSettings  # noqa: E402
from debate.models.base import RetryableError  # noqa: E402
from debate.models.openai_backend import OpenAIBackend  # noqa: E402

REPLY = {
    "id": "c1",
    "object": "chat.completion",
    "created": 1,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "message": {"role": "assistant", "content": "Answer: (B) — “quoted” <b>x</b>"},
            "finish_reason": "stop",
            "logprobs": {
                "content": [
                    {
                        "token": "B",
                        "logprob": -0.1,
                        "bytes": None,
                        "top_logprobs": [{"token": "A", "logprob": -2.4, "bytes": None}],
                    }
                ]
            },
        }
    ],
    "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
}
VARYING = {"x-stainless-retry-count", "x-stainless-read-timeout", "content-length"}
"""Headers that may differ between two sends of the same request (none do today, but
these are per attempt by design)."""


class Capture:
    def __init__(self) -> None:
        self.seen: list[tuple[bytes, dict[str, str]]] = []
        self.status = 200

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((await request.read(), dict(request.headers)))
        if self.status != 200:
            return web.json_response({"error": {"message": "slow down"}}, status=self.status)
        return web.json_response(REPLY)


@pytest.fixture
async def capture() -> AsyncIterator[tuple[Capture, str]]:
    found = Capture()
    app = web.Application()
    app.router.add_post("/v1/chat/completions", found.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield found, f"http://127.0.0.1:{port}/v1"
    finally:
        await runner.cleanup()


def request(**fields: Any) -> GenerateRequest:
    sampling = fields.pop("sampling", SamplingSettings(max_tokens=32))
    return GenerateRequest(
        model="gpt-test",
        messages=[
            Message(role="system", content='Be brief. Ünïcode, "quotes", \\ and \n lines.'),
            Message(role="user", content="Which? [b]markup[/b] {braces} 😀"),
        ],
        sampling=sampling,
        **fields,
    )


LETTERS = {"answer_letters": ["A", "B"]}
CASES = [
    ("plain", {}, {}),
    ("sampled", {"sampling": SamplingSettings(max_tokens=5, temperature=0.7, top_p=0.9)}, {}),
    ("stops and seed", {"sampling": SamplingSettings(stop=["\n\n", "END"]), "seed": 7}, {}),
    ("logprobs", {"extra": {"logprobs": True, "top_logprobs": 5}}, {}),
    (
        "letters, grammar",
        {"extra": {"answer_letters": ["A", "B"]}},
        {"answer_constraint": "grammar"},
    ),
    (
        "letters, bias",
        {"extra": {"answer_letters": ["A", "B"]}},
        {"answer_constraint": "logit_bias"},
    ),
    ("extra body", {}, {"extra_body": {"top_k": 1, "samplers": ["top_k"]}}),
    ("completion tokens", {}, {"max_tokens_param": "max_completion_tokens"}),
]


@pytest.mark.parametrize(("name", "fields", "settings"), CASES, ids=[c[0] for c in CASES])
async def test_the_wire_and_the_reply_are_create_s(
    capture: tuple[Capture, str], name: str, fields: dict[str, Any], settings: dict[str, Any]
) -> None:
    server, url = capture
    backend = OpenAIBackend(base_url=url, api_key="sk-test", **settings)
    try:
        await backend.prepare()
        client = backend.client()
        params = backend.params(request(**fields))
        ours = await backend._send(client, dict(params))
        theirs = await client.chat.completions.create(**params)
    finally:
        await backend.aclose()
    (body_ours, head_ours), (body_theirs, head_theirs) = server.seen
    # The same JSON (create orders the keys its own way; JSON objects are unordered).
    assert json.loads(body_ours) == json.loads(body_theirs)
    assert json.loads(body_ours)["model"] == "gpt-test"
    same = {k: v for k, v in head_ours.items() if k.lower() not in VARYING}
    assert same == {k: v for k, v in head_theirs.items() if k.lower() not in VARYING}
    assert head_ours["Authorization"] == "Bearer sk-test"
    assert type(ours) is type(theirs) and ours.model_dump() == theirs.model_dump()
    assert backend._translate(ours) == backend._translate(theirs)


async def test_errors_are_the_sdks_and_map_as_before(capture: tuple[Capture, str]) -> None:
    server, url = capture
    server.status = 429
    backend = OpenAIBackend(base_url=url, api_key="sk-test")
    try:
        await backend.prepare()
        with pytest.raises(RetryableError) as caught:
            await backend.generate(request())
    finally:
        await backend.aclose()
    assert backend.is_retryable(caught.value)
    assert "slow down" in str(caught.value) and "sk-test" not in str(caught.value)
