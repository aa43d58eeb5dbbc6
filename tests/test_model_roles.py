"""Tests for model-backed roles (ModelDebater, ModelJudge) over offline backends."""

from __future__ import annotations

from pathlib import Path

import pytest

from debate.debaters import ModelDebater
from debate.engine import run_debate
from debate.errors import ConfigError
from debate.models import (
    FunctionBackend,
    GenerateRequest,
    GenerateResponse,
    Message,
    Model,
    ModelConfig,
    ScriptedBackend,
    ScriptNotConsumed,
)
from debate.prompts import PromptSet
from debate.protocol import build_protocol
from debate.types import Question, Usage
from judges import ModelJudge

SECRET = "SECRET-CONTEXT: the vault log shows Amberly at 9pm"
VALID = "Debater A quoted the log.\nProbabilities: A=0.9, B=0.1"


def question(correct_index: int = 0) -> Question:
    return Question(
        id="q-model",
        text="Who opened the vault?",
        options=["Amberly", "Bartholomew"],
        correct_index=correct_index,
        context=SECRET,
        metadata={"answer_key": "Amberly"},
    )


def model(backend: ScriptedBackend | FunctionBackend) -> Model:
    return Model(backend, ModelConfig(model="test"))


def messages(request: GenerateRequest) -> dict[str, str]:
    return {m.role: m.content for m in request.messages}


def everything(request: GenerateRequest) -> str:
    return "\n".join(m.content for m in request.messages)


# --- ModelDebater ------------------------------------------------------------------------


async def test_debater_prompt_has_hidden_context_and_own_answer() -> None:
    backend = ScriptedBackend(["Amberly did it.", "Bartholomew did it."])
    judge = ModelJudge(model(ScriptedBackend([VALID])))
    with backend:
        transcript = await run_debate(
            question(),
            build_protocol("debate-sequential", {"rounds": 1}),
            ModelDebater(model(backend)),
            judge,
            swap=False,
            raise_errors=True,
        )
    first, second = backend.requests
    assert SECRET in messages(first)["user"]
    assert SECRET in messages(second)["user"]
    # each debater is told to argue for its own shown answer
    assert "is: Amberly" in messages(first)["system"]
    assert "(A) Amberly" in messages(first)["user"]
    assert "is: Bartholomew" in messages(second)["system"]
    assert "You defend (B) Bartholomew" in messages(second)["user"]
    # the second speaker reads the first speech
    assert "Amberly did it." in messages(second)["user"]
    assert [t.text for t in transcript.turns] == ["Amberly did it.", "Bartholomew did it."]
    assert transcript.turns[0].request is not None
    assert transcript.turns[0].request["messages"][0]["role"] == "system"


async def test_debater_strips_whitespace_and_records_request() -> None:
    backend = ScriptedBackend(["  padded speech \n"])
    transcript = await run_debate(
        question(),
        build_protocol("consultancy", {"rounds": 1, "assignment": "incorrect"}),
        ModelDebater(model(backend)),
        ModelJudge(model(ScriptedBackend([VALID]))),
        swap=False,
        raise_errors=True,
    )
    (speech,) = transcript.turns
    assert speech.text == "padded speech"
    assert speech.speaker == "consultant"
    assert speech.request is not None
    assert speech.request["seed"] == backend.requests[0].seed
    assert "consultant" in messages(backend.requests[0])["system"]
    assert "is: Bartholomew" in messages(backend.requests[0])["system"]


# --- ModelJudge --------------------------------------------------------------------------


async def judge_requests(correct_index: int, swap: bool) -> list[GenerateRequest]:
    judge_backend = ScriptedBackend([VALID])
    with judge_backend:
        await run_debate(
            question(correct_index),
            build_protocol("debate-sequential", {"rounds": 1}),
            ModelDebater(model(ScriptedBackend(["First speech.", "Second speech."]))),
            ModelJudge(model(judge_backend)),
            swap=swap,
            raise_errors=True,
        )
    return judge_backend.requests


async def test_judge_prompt_has_no_hidden_context() -> None:
    (request,) = await judge_requests(correct_index=0, swap=False)
    text = everything(request)
    assert SECRET not in text
    assert "vault log" not in text
    assert "answer_key" not in text
    # but it does get the question, both answers and the speeches
    assert "Who opened the vault?" in text
    assert "(A) Amberly" in text
    assert "(B) Bartholomew" in text
    assert "First speech." in text
    assert "Second speech." in text


async def test_judge_prompt_does_not_depend_on_which_answer_is_correct() -> None:
    # Same options shown in the same order; only the correct index differs.
    # correct_index=0, swap=False -> shown [0, 1]; correct_index=1, swap=True -> shown [0, 1].
    (when_a,) = await judge_requests(correct_index=0, swap=False)
    (when_b,) = await judge_requests(correct_index=1, swap=True)
    assert when_a.messages == when_b.messages


async def test_valid_judge_reply_gives_a_parsed_verdict() -> None:
    transcript = await run_debate(
        question(),
        build_protocol("naive"),
        ModelDebater(model(ScriptedBackend([]))),
        ModelJudge(model(ScriptedBackend([VALID]))),
        swap=False,
        raise_errors=True,
    )
    verdict = transcript.verdict
    assert verdict is not None
    assert verdict.parsed is True
    assert verdict.probabilities == pytest.approx([0.9, 0.1])
    assert verdict.raw == VALID
    assert verdict.decision == 0
    assert transcript.correct is True
    assert transcript.p_correct == pytest.approx(0.9)


async def test_unparseable_judge_reply_counts_as_wrong() -> None:
    reply = "Debater A is clearly right. Final answer: A"
    transcript = await run_debate(
        question(),
        build_protocol("naive"),
        ModelDebater(model(ScriptedBackend([]))),
        ModelJudge(model(ScriptedBackend([reply])), max_reasks=0),
        swap=False,
    )
    assert transcript.error is None
    verdict = transcript.verdict
    assert verdict is not None
    assert verdict.parsed is False
    assert verdict.raw == reply
    assert verdict.decision is None
    assert verdict.probabilities == [0.5, 0.5]
    assert transcript.correct is False
    assert transcript.p_correct == pytest.approx(0.5)


# --- prompts -----------------------------------------------------------------------------


def write_prompts(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "prompts.toml"
    path.write_text(text)
    return path


async def test_prompt_override_from_toml_changes_the_system_message(tmp_path: Path) -> None:
    path = write_prompts(
        tmp_path, '[debater_system]\ndefault = "CUSTOM SYSTEM: defend {answer} ({letter})."\n'
    )
    prompts = PromptSet.from_toml(path)
    backend = ScriptedBackend(["one", "two"])
    await run_debate(
        question(),
        build_protocol("debate-sequential", {"rounds": 1}),
        ModelDebater(model(backend), prompts),
        ModelJudge(model(ScriptedBackend([VALID]))),
        swap=False,
        raise_errors=True,
    )
    assert messages(backend.requests[0])["system"] == "CUSTOM SYSTEM: defend Amberly (A)."
    assert messages(backend.requests[1])["system"] == "CUSTOM SYSTEM: defend Bartholomew (B)."
    # tables and keys not in the file keep their defaults
    assert SECRET in messages(backend.requests[0])["user"]
    assert prompts.get("debater_system", "consultancy") == PromptSet().get(
        "debater_system", "consultancy"
    )


def test_prompt_lookup_prefers_protocol_seat_then_protocol_then_default(tmp_path: Path) -> None:
    path = write_prompts(
        tmp_path,
        "[debater_system]\n"
        'default = "D"\n'
        '"debate-sequential" = "P"\n'
        '"debate-sequential.debater_B" = "PS"\n',
    )
    prompts = PromptSet.from_toml(path)
    assert prompts.get("debater_system", "debate-sequential", "debater_B") == "PS"
    assert prompts.get("debater_system", "debate-sequential", "debater_A") == "P"
    assert prompts.get("debater_system", "debate-simultaneous", "debater_B") == "D"


@pytest.mark.parametrize(
    "text",
    ["[debater_system\n", '[no_such_table]\ndefault = "x"\n', "[debater_system]\ndefault = 3\n"],
)
def test_bad_prompt_file_is_a_config_error(tmp_path: Path, text: str) -> None:
    with pytest.raises(ConfigError):
        PromptSet.from_toml(write_prompts(tmp_path, text))


def test_missing_prompt_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        PromptSet.from_toml(tmp_path / "absent.toml")


async def test_braces_in_model_output_pass_through_literally() -> None:
    tricky = "Consider {question} and {context} and {0} and {unclosed"
    backend = ScriptedBackend([tricky, "A plain reply."])
    judge_backend = ScriptedBackend([VALID])
    transcript = await run_debate(
        question(),
        build_protocol("debate-sequential", {"rounds": 1}),
        ModelDebater(model(backend)),
        ModelJudge(model(judge_backend)),
        swap=False,
    )
    assert transcript.error is None
    assert transcript.turns[0].text == tricky
    assert tricky in messages(backend.requests[1])["user"]
    judge_text = everything(judge_backend.requests[0])
    assert tricky in judge_text
    assert SECRET not in judge_text  # "{context}" was not expanded for the judge


async def test_function_backend_drives_both_roles() -> None:
    def reply(request: GenerateRequest) -> str:
        system = request.messages[0].content
        if system.startswith("You are the judge"):
            return "Probabilities: A=20%, B=80%"
        return "I defend " + ("Amberly" if "is: Amberly" in system else "Bartholomew")

    backend = FunctionBackend(reply)
    shared = model(backend)
    transcript = await run_debate(
        question(),
        build_protocol("debate-simultaneous", {"rounds": 2}),
        ModelDebater(shared),
        ModelJudge(shared),
        swap=False,
        raise_errors=True,
    )
    assert len(backend.requests) == 5
    assert [t.text for t in transcript.turns] == [
        "I defend Amberly",
        "I defend Bartholomew",
    ] * 2
    assert transcript.verdict is not None
    assert transcript.verdict.probabilities == pytest.approx([0.2, 0.8])
    assert transcript.correct is False
    assert transcript.p_correct == pytest.approx(0.2)


# --- scripted backend and usage ----------------------------------------------------------


async def test_scripted_backend_with_unused_items_fails_verify() -> None:
    backend = ScriptedBackend(["one", "two", "an extra reply nobody asks for"])
    await run_debate(
        question(),
        build_protocol("debate-sequential", {"rounds": 1}),
        ModelDebater(model(backend)),
        ModelJudge(model(ScriptedBackend([VALID]))),
        raise_errors=True,
    )
    assert backend.remaining == 1
    with pytest.raises(ScriptNotConsumed, match="1 script item"):
        backend.verify()


async def test_scripted_backend_context_manager_checks_consumption() -> None:
    with pytest.raises(ScriptNotConsumed), ScriptedBackend(["used", "unused"]) as backend:
        await model(backend).generate([Message(role="user", content="hi")])


async def test_backend_usage_is_summed_into_transcript_usage() -> None:
    def response(text: str, tokens_in: int, tokens_out: int, cost: float) -> GenerateResponse:
        usage = Usage(input_tokens=tokens_in, output_tokens=tokens_out, cost_usd=cost)
        return GenerateResponse(text=text, usage=usage)

    debater_backend = ScriptedBackend([response("one", 10, 3, 0.25), response("two", 12, 4, 0.25)])
    judge_backend = ScriptedBackend([response(VALID, 40, 5, 0.5)])
    transcript = await run_debate(
        question(),
        build_protocol("debate-sequential", {"rounds": 1}),
        ModelDebater(model(debater_backend)),
        ModelJudge(model(judge_backend)),
        raise_errors=True,
    )
    assert transcript.turns[0].usage.input_tokens == 10
    assert transcript.verdict is not None
    assert transcript.verdict.usage.input_tokens == 40
    assert transcript.usage.input_tokens == 62
    assert transcript.usage.output_tokens == 12
    assert transcript.usage.calls == 3
    assert transcript.usage.cached_calls == 0
    assert transcript.usage.cost_usd == pytest.approx(1.0)


async def test_debater_backend_error_is_recorded_in_transcript() -> None:
    backend = ScriptedBackend(["fine", ValueError("backend fell over")])
    transcript = await run_debate(
        question(),
        build_protocol("debate-sequential", {"rounds": 1}),
        ModelDebater(model(backend)),
        ModelJudge(model(ScriptedBackend([VALID]))),
    )
    assert transcript.error == "debater_B: ValueError: backend fell over"
    assert transcript.correct is False
    assert [t.text for t in transcript.turns] == ["fine"]


def test_prompt_file_with_unknown_field_fails_at_load(tmp_path: Path) -> None:
    from debate.errors import ConfigError

    bad = tmp_path / "prompts.toml"
    bad.write_text('[debater_system]\ndefault = "You argue for {answer} as {persona}."\n')
    with pytest.raises(ConfigError, match=r"unknown field.*persona"):
        PromptSet.from_toml(bad)
