"""A prompted model judge that states a probability for each answer.

A reply without a valid ``Probabilities:`` line is recorded as a parse failure (uniform
probabilities, no decision, counted wrong): never dropped and never guessed.
"""

from __future__ import annotations

from debate.models import Message, Model
from debate.prompts import PromptSet
from debate.seeds import derive_seed
from debate.types import AgentInfo, JudgeView, Verdict
from judges.parsing import parse_probabilities
from transcripts.text import answers_text, transcript_text


class ModelJudge:
    def __init__(self, model: Model, prompts: PromptSet | None = None) -> None:
        self.model = model
        self.prompts = prompts or PromptSet()

    def describe(self) -> AgentInfo:
        return self.model.describe()

    def messages(self, view: JudgeView) -> list[Message]:
        fields = {
            "question": view.question,
            "answers": answers_text(view.answers),
            "transcript": transcript_text(view.turns),
        }
        system = self.prompts.get("judge_system", view.protocol)
        turn = self.prompts.get("judge_turn", view.protocol)
        return [
            Message(role="system", content=system.format(**fields)),
            Message(role="user", content=turn.format(**fields)),
        ]

    async def __call__(self, view: JudgeView) -> Verdict:
        seed = derive_seed(view.seed, view.debate_id, "judge")
        messages = self.messages(view)
        response = await self.model.generate(messages, seed=seed)
        request = {
            "messages": [m.model_dump() for m in messages],
            "seed": seed,
            "cached": response.cached,
        }
        probs = parse_probabilities(response.text, len(view.answers))
        if probs is None:
            return Verdict.unparsed(
                len(view.answers), response.text, usage=response.usage, request=request
            )
        return Verdict(
            probabilities=probs, raw=response.text, usage=response.usage, request=request
        )
