"""The ``answer_letters`` option: a logprob judge names its answer letters, and each backend
honours it as it can (llama.cpp's grammar, a logit bias, or not at all).

Against a real llama.cpp server (SmolLM2-135M, default prompts, 20 naive verdicts, no
re-asks) the unconstrained judge parsed 2 of 20 verdicts and the grammar-constrained one 20
of 20. These tests check the request bodies on the fake server and the parsing offline.
"""

from __future__ import annotations

import math
import tomllib
from pathlib import Path
from typing import Any

import pytest

from debate.components import Components
from debate.errors import ConfigError
from debate.models import (
    FunctionBackend,
    GenerateRequest,
    GenerateResponse,
    Message,
    Model,
    ModelConfig,
)
from debate.models.answer_letters import ANSWER_LETTERS, answer_letters, grammar
from debate.models.anthropic_backend import AnthropicBackend
from debate.models.fake_server import FakeAPIServer, default_reply
from debate.models.openai_backend import OpenAIBackend
from debate.models.wrapper import cache_key
from debate.role_specs import ModelRoleSpec
from debate.types import JudgeView
from judges import ModelJudge
from judges.parsing import probabilities_from_logprobs, verdict_letter
from tests.api_replies import FAST, KEY
from tests.cli_helpers import one_line_error

pytest.importorskip("openai")
pytest.importorskip("aiohttp")


def view(n_answers: int = 2) -> JudgeView:
    return JudgeView(
        debate_id="d1",
        protocol="naive",
        question="Who did it?",
        answers=["the gardener", "the cook", "the butler"][:n_answers],
        turns=[],
        seed=3,
    )


async def judged_body(constraint: str, n_answers: int = 2) -> dict[str, Any]:
    """The request body a logprob judge sends through an OpenAI backend with ``constraint``."""
    async with FakeAPIServer(FunctionBackend(default_reply)) as server:
        backend = OpenAIBackend(
            base_url=server.base_url,
            api_key=KEY,
            answer_constraint=constraint,  # type: ignore[arg-type]  # tests pass strings
        )
        async with Model(backend, ModelConfig(model="m", **FAST)) as model:
            verdict = await ModelJudge(model, probabilities="logprobs")(view(n_answers))
    assert verdict.parsed
    (served,) = server.served()
    return served.body


# --- what each backend sends -------------------------------------------------------------


async def test_grammar_constrains_the_reply_to_the_answer_letters() -> None:
    body = await judged_body("grammar", n_answers=3)
    assert body["grammar"] == 'root ::= "("? ("A" | "B" | "C")'
    assert body["logprobs"] is True and body["top_logprobs"] == 10
    assert ANSWER_LETTERS not in body and "logit_bias" not in body


async def test_logit_bias_biases_the_letters_and_generates_one_token() -> None:
    body = await judged_body("logit_bias")
    assert body["logit_bias"] == {"A": 100, "B": 100}
    assert body["max_tokens"] == 1 and body["logprobs"] is True
    assert ANSWER_LETTERS not in body and "grammar" not in body


async def test_without_a_constraint_the_option_is_dropped() -> None:
    body = await judged_body("none")
    assert not {ANSWER_LETTERS, "grammar", "logit_bias"} & set(body)
    assert body["logprobs"] is True and body["max_tokens"] == 4


async def test_requests_without_the_option_are_unchanged_by_a_constraint() -> None:
    async with FakeAPIServer(FunctionBackend(default_reply)) as server:
        backend = OpenAIBackend(base_url=server.base_url, api_key=KEY, answer_constraint="grammar")
        async with Model(backend, ModelConfig(model="m", **FAST)) as model:
            await model.generate([Message(role="user", content="speak")])
    (served,) = server.served()
    assert "grammar" not in served.body and "extra_body" not in served.body


async def test_the_judge_names_the_letters_to_every_backend() -> None:
    seen: list[GenerateRequest] = []

    def reply(request: GenerateRequest) -> GenerateResponse:
        seen.append(request)
        return GenerateResponse(text="B", extra={"logprobs": [entry("B", -0.1, {"A": -2.4})]})

    model = Model(FunctionBackend(reply, logprobs=True), ModelConfig(model="f"))
    await ModelJudge(model, probabilities="logprobs")(view(3))
    assert seen[0].extra[ANSWER_LETTERS] == ["A", "B", "C"]


async def test_a_stated_judge_sends_no_letters() -> None:
    model = Model(FunctionBackend(lambda r: "Probabilities: A=0.4, B=0.6"), ModelConfig(model="f"))
    judge = ModelJudge(model, probabilities="stated")
    verdict = await judge(view())
    assert verdict.parsed
    backend = model.backend
    assert isinstance(backend, FunctionBackend) and backend.requests[0].extra == {}


def test_anthropic_refuses_the_option_as_it_refuses_logprobs() -> None:
    backend = AnthropicBackend(base_url="http://127.0.0.1:1", api_key=KEY)
    messages = [Message(role="user", content="q")]
    for extra in ({"logprobs": True}, {ANSWER_LETTERS: ["A", "B"]}):
        request = GenerateRequest(model="m", messages=messages, extra=extra)
        with pytest.raises(ValueError, match="does not support options"):
            backend.params(request)
    # ...and a judge on it never sends either: it has no logprobs, so it states them.
    assert ModelJudge(Model(backend, ModelConfig(model="m"))).method == "stated"


# --- configuration -----------------------------------------------------------------------


def role(extra: str) -> ModelRoleSpec:
    text = f"""
backend = {{ kind = "openai", base_url = "http://127.0.0.1:8091/v1"{extra} }}
model = {{ model = "m" }}
"""
    return ModelRoleSpec.model_validate(tomllib.loads(text))


def test_the_constraint_is_set_from_the_config_and_changes_the_cache_key() -> None:
    spec = role(', answer_constraint = "grammar"')
    backend = Components().make("backend", spec.backend)
    assert isinstance(backend, OpenAIBackend) and backend.answer_constraint == "grammar"
    assert backend.identity()["answer_constraint"] == "grammar"
    plain = Components().make("backend", role("").backend)
    assert "answer_constraint" not in plain.identity()  # old cache keys still hold
    request = GenerateRequest(model="m", messages=[Message(role="user", content="q")])
    assert cache_key(backend.identity(), request) != cache_key(plain.identity(), request)


def test_a_bad_constraint_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match="answer_constraint must be one of none, grammar"):
        OpenAIBackend(base_url="http://127.0.0.1:1", api_key=KEY, answer_constraint="gbnf")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"may not set \['grammar'\]"):
        OpenAIBackend(
            base_url="http://127.0.0.1:1",
            api_key=KEY,
            answer_constraint="grammar",
            extra_body={"grammar": "root ::= x"},
        )
    config = tmp_path / "bad.toml"
    config.write_text(
        """
name = "bad"
[dataset]
kind = "evidence"
n = 2
[[protocols]]
name = "naive"
[[judges]]
kind = "model"
name = "j"
backend = { kind = "openai", base_url = "http://127.0.0.1:1/v1", answer_constraint = "gbnf" }
model = { model = "m" }
""",
        encoding="utf-8",
    )
    line = one_line_error(capsys, "run", "--config", str(config), "--out", str(tmp_path / "o"))
    assert "answer_constraint" in line


@pytest.mark.parametrize("letters", [[], ["a"], ["A", "A"], ["AB"], "AB", ['A" | "B']])
def test_letters_are_checked_before_they_reach_a_grammar(letters: Any) -> None:
    with pytest.raises(ValueError, match="distinct capital letters"):
        answer_letters({ANSWER_LETTERS: letters})
    assert answer_letters({}) is None
    assert grammar(["A", "B"]) == 'root ::= "("? ("A" | "B")'


# --- reading the answer position ---------------------------------------------------------


def entry(token: str, logprob: float, top: dict[str, float]) -> dict[str, Any]:
    return {
        "token": token,
        "logprob": logprob,
        "top_logprobs": [{"token": t, "logprob": lp} for t, lp in top.items()],
    }


def test_a_constrained_reply_is_read_at_the_letter_after_its_bracket() -> None:
    # What llama.cpp returns under the grammar: "(" (raw alternatives: words), then the letter.
    reply = [
        entry("(", -0.9, {"(": -0.9, "The": -1.6, "A": -3.1}),
        entry("A", -0.4, {"A": -0.4, "B": -1.3, "Deb": -3.0}),
    ]
    probs = probabilities_from_logprobs(reply, 2)
    a, b = math.exp(-0.4), math.exp(-1.3)
    assert probs == pytest.approx([a / (a + b), b / (a + b)])  # not the "A" of position 0


@pytest.mark.parametrize(
    "tokens",
    [["Answer", ": B"], ["Answer", ":B"], ["A", "nswer", ": B"], ["The", " answer", " is", ": B"]],
)
def test_a_colon_and_letter_in_one_token_follow_the_label(tokens: list[str]) -> None:
    assert verdict_letter(tokens) == (len(tokens) - 1, "B")


@pytest.mark.parametrize("tokens", [[":B"], ["Debater", ": B"], ["A", ":", " B"]])
def test_a_colon_without_a_label_is_no_answer_position(tokens: list[str]) -> None:
    found = verdict_letter(tokens)
    assert found is None or found == (0, "A")  # "A:" then "B" is a vote for A, never for B
