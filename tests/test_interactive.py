"""Interactive debate (judge questions between rounds) and cross-examination protocols."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from debate import ModelDebater, Question, Round, run_debate
from debate.models import FunctionBackend, GenerateRequest, Model, ModelConfig
from debate.protocol import build_protocol
from debate.types import JudgeView, Said, Usage, Verdict
from judges import ModelJudge, SimulatedJudge
from protocols import CrossExamination, InteractiveDebate

QUESTION = Question(
    id="q",
    text="Who did it?",
    options=["the gardener", "the cook"],
    correct_index=1,
    context="The cook stayed in the kitchen.",
)


def reply(request: GenerateRequest) -> str:
    system, last = request.messages[0].content, request.messages[-1].content
    if "Ask both debaters" in system:
        return f"Question after {last.count('round')} mentions of a round?"
    if system.startswith("You are the judge"):
        return "Probabilities: A=0.4, B=0.6"
    return f"speech for {request.seed}"


def model() -> Model:
    return Model(FunctionBackend(reply), ModelConfig(model="m"))


async def test_interactive_schedule_records_questions_and_answers() -> None:
    judge_model, debater_model = model(), model()
    transcript = await run_debate(
        QUESTION,
        InteractiveDebate(rounds=3),
        ModelDebater(debater_model),
        ModelJudge(judge_model),
        swap=False,
    )
    assert transcript.error is None
    kinds = [(t.kind, t.speaker) for t in transcript.turns]
    speeches = [("speech", "debater_A"), ("speech", "debater_B")]
    answers = [("answer", "debater_A"), ("answer", "debater_B")]
    question = [("judge_question", "judge")]
    assert kinds == speeches + question + answers + question + answers
    asked = [t for t in transcript.turns if t.kind == "judge_question"]
    assert all(t.position is None and t.text.startswith("Question") for t in asked)
    # The question's model call is charged to the debate: 6 speeches + 2 questions + verdict.
    assert all(t.usage.calls == 1 for t in asked)
    assert transcript.usage.calls == 9 == judge_model.usage.calls + debater_model.usage.calls
    # Debaters answer seeing the question as the last turn, with the answer instruction.
    answer_prompt = debater_model.backend.requests[2].messages[-1].content  # type: ignore[attr-defined]
    assert "Judge, round 2: Question" in answer_prompt
    assert "Answer it directly first" in answer_prompt


async def test_a_judge_that_cannot_ask_is_refused_before_any_call() -> None:
    debater_model = model()
    transcript = await run_debate(
        QUESTION, InteractiveDebate(), ModelDebater(debater_model), SimulatedJudge()
    )
    assert transcript.error is not None and "needs a judge that asks questions" in transcript.error
    assert transcript.correct is False
    assert debater_model.usage.calls == 0


async def test_a_plain_str_question_is_recorded_at_no_cost() -> None:
    class Asker:
        def describe(self):  # type: ignore[no-untyped-def]
            return SimulatedJudge().describe()

        async def __call__(self, view: JudgeView) -> Verdict:
            return Verdict(probabilities=[0.5, 0.5], choice=0)

        async def ask(self, view: JudgeView) -> str:
            return f"what about turn {len(view.turns)}?"

    transcript = await run_debate(
        QUESTION, InteractiveDebate(rounds=2), ModelDebater(model()), Asker()
    )
    (asked,) = [t for t in transcript.turns if t.kind == "judge_question"]
    assert asked.text == "what about turn 2?" and asked.usage == Usage()


def test_said_is_a_str_with_usage() -> None:
    said = Said("why?", Usage(calls=1), {"seed": 1})
    assert said == "why?" and isinstance(said, str) and said.usage.calls == 1
    assert Said("x").usage == Usage() and Said("x").request is None


def test_judge_question_rounds_take_only_the_judge() -> None:
    with pytest.raises(ValidationError, match="judge_question"):
        Round(kind="judge_question", speakers=["debater_A"])
    with pytest.raises(ValidationError, match="judge_question"):
        Round(kind="sequential", speakers=["judge"])
    assert Round(kind="judge_question", speakers=["judge"]).asks_judge


async def test_cross_examination_alternates_questions_and_answers() -> None:
    transcript = await run_debate(
        QUESTION,
        build_protocol("cross-examination", {"exchanges": 2}),
        ModelDebater(model()),
        ModelJudge(model()),
        swap=False,
    )
    assert transcript.error is None
    kinds = [(t.kind, t.speaker[-1]) for t in transcript.turns]
    exchange = [("question", "A"), ("answer", "B"), ("question", "B"), ("answer", "A")]
    expected = [("speech", "A"), ("speech", "B"), *exchange, *exchange]
    assert kinds == [*expected, ("speech", "A"), ("speech", "B")]
    assert not CrossExamination().needs_questioning_judge()
    assert InteractiveDebate().needs_questioning_judge()
