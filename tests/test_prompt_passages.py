"""Debater prompts follow the task: no hidden passage, no talk of quoting one; and an answer
that ends a sentence is not followed by a second full stop."""

from __future__ import annotations

from pathlib import Path

import pytest

from debate.debaters import ModelDebater
from debate.engine import run_debate
from debate.errors import ConfigError
from debate.models import GenerateRequest, Model, ModelConfig, ScriptedBackend
from debate.prompts import DEBATER_SYSTEM, DEBATER_TURN, PromptSet, count_fields, fill
from debate.protocol import build_protocol
from debate.types import Question
from judges import ModelJudge

PRESET = Path(__file__).resolve().parents[1] / "evals/presets/prompts/hidden-passage-small.toml"
PASSAGE_WORDS = ("quote", "background", "passage", "story", "text", "(none)")
VALID = "Probabilities: A=0.6, B=0.4"


def question(
    context: str | None, options: tuple[str, str] = ("Amberly", "Bartholomew")
) -> Question:
    return Question(
        id="q",
        text="Who opened the vault?",
        options=list(options),
        correct_index=0,
        context=context,
    )


async def debater_requests(
    q: Question, prompts: PromptSet | None = None, protocol: str = "debate-sequential"
) -> list[GenerateRequest]:
    backend = ScriptedBackend(["First speech.", "Second speech."])
    judge = ModelJudge(Model(ScriptedBackend([VALID]), ModelConfig(model="j")), prompts)
    settings = {"rounds": 1} if protocol != "consultancy" else {}
    await run_debate(
        q,
        build_protocol(protocol, settings),
        ModelDebater(Model(backend, ModelConfig(model="d")), prompts),
        judge,
        swap=False,
        raise_errors=True,
    )
    return backend.requests


def text_of(request: GenerateRequest) -> str:
    return "\n".join(m.content for m in request.messages)


# --- no hidden passage -------------------------------------------------------------------


@pytest.mark.parametrize("context", [None, "", "   "])
@pytest.mark.parametrize("protocol", ["debate-sequential", "consultancy"])
async def test_without_a_passage_debaters_are_not_told_to_quote_one(
    context: str | None, protocol: str
) -> None:
    for request in await debater_requests(question(context), protocol=protocol):
        text = text_of(request).lower()
        assert not [w for w in PASSAGE_WORDS if w in text], text
        assert "amberly" in text or "bartholomew" in text


async def test_with_a_passage_the_prompts_are_unchanged() -> None:
    context = "The vault log shows Amberly at 9pm."
    first, _ = await debater_requests(question(context))
    system, user = (m.content for m in first.messages)
    assert system == DEBATER_SYSTEM["default"].format(answer="Amberly", **count_fields(2))
    assert "quote it to support your case and answer your opponent. Write" in system
    assert "Background (hidden from the judge):\n" + context in user
    assert user.startswith(
        DEBATER_TURN["default"]
        .split("{context}")[0]
        .format(
            question="Who opened the vault?",
            answers="(A) Amberly; (B) Bartholomew",
            letter="A",
            answer="Amberly",
        )
    )


@pytest.mark.parametrize("context", [None, "Ann was at the mill at noon. " * 3])
async def test_the_small_model_preset_mentions_the_story_only_when_there_is_one(
    context: str | None,
) -> None:
    requests = await debater_requests(question(context), PromptSet.from_toml(PRESET))
    for request in requests:
        text = text_of(request)
        assert ("story" in text.lower()) == (context is not None)
        assert ("<quote>" in text) == (context is not None)
        assert text.rstrip().endswith("Argument:")


def test_an_overridden_template_is_used_with_and_without_a_passage(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[debater_system]\ndefault = "MINE {answer}"\n')
    prompts = PromptSet.from_toml(path)
    for passage in (True, False):
        assert (
            prompts.get("debater_system", "debate-sequential", passage=passage) == "MINE {answer}"
        )
    # consultancy was not overridden: it keeps both built-in texts
    assert "quote" not in prompts.get("debater_system", "consultancy", passage=False)
    assert "quote" in prompts.get("debater_system", "consultancy", passage=True)
    in_code = PromptSet(debater_system={"default": "CODE"})
    assert in_code.get("debater_system", "naive", passage=False) == "CODE"


def test_a_file_can_give_both_variants_and_the_more_specific_level_wins(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text(
        '[debater_system]\ndefault = "WITH"\n"debate-sequential" = "SEQ"\n'
        '[debater_system_no_passage]\ndefault = "WITHOUT"\n'
    )
    prompts = PromptSet.from_toml(path)
    assert prompts.get("debater_system", "naive", passage=True) == "WITH"
    assert prompts.get("debater_system", "naive", passage=False) == "WITHOUT"
    # a protocol-level template beats a default-level variant
    assert prompts.get("debater_system", "debate-sequential", passage=False) == "SEQ"
    assert prompts.get("judge_turn", "naive", passage=False) == PromptSet().judge_turn["default"]


def test_variant_templates_are_checked_for_unknown_fields(tmp_path: Path) -> None:
    path = tmp_path / "p.toml"
    path.write_text('[debater_turn_no_passage]\ndefault = "{story}"\n')
    with pytest.raises(ConfigError, match=r"debater_turn_no_passage\.default"):
        PromptSet.from_toml(path)


# --- one full stop -------------------------------------------------------------------------


@pytest.mark.parametrize("context", [None, "The log shows the cook at 9pm."])
@pytest.mark.parametrize("preset", [False, True])
async def test_answers_ending_in_a_full_stop_get_one(context: str | None, preset: bool) -> None:
    options = ("It was the cook.", "Was it the butler?")
    prompts = PromptSet.from_toml(PRESET) if preset else None
    requests = await debater_requests(question(context, options), prompts)
    for request in requests:
        text = text_of(request)
        assert ".." not in text and "?." not in text, text
    assert "the cook." in text_of(requests[0]) and "the butler?" in text_of(requests[1])


@pytest.mark.parametrize(
    ("template", "fields", "expected"),
    [
        ("is: {answer}. Next", {"answer": "the cook."}, "is: the cook. Next"),
        ("is: {answer}. Next", {"answer": "the cook"}, "is: the cook. Next"),
        ("({letter}) {answer}.\n", {"letter": "B", "answer": "Why?"}, "(B) Why?\n"),
        ("{answer}!", {"answer": "Stop."}, "Stop.!"),  # only a full stop is dropped
        ("{answer} .", {"answer": "x."}, "x. ."),  # only right after the value
        ("{a}.{b}.", {"a": "1.", "b": "2"}, "1.2."),
        ("{answer}", {"answer": "{question} {0}"}, "{question} {0}"),  # values are not formatted
        ("{round:>3}.", {"round": 7}, "  7."),
        ("{answer!r}.", {"answer": "x."}, "'x.'."),
        ("{{literal}}.", {}, "{literal}."),
    ],
)
def test_fill_formats_like_str_format_with_one_full_stop(
    template: str, fields: dict[str, object], expected: str
) -> None:
    assert fill(template, fields) == expected


def test_fill_refuses_a_missing_field() -> None:
    with pytest.raises(KeyError):
        fill("{answer}", {})
