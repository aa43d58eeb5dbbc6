"""A prompted model judge: a probability for each answer, and questions between rounds.

Probabilities come from the answer letters' token logprobs where the backend offers them
(``probabilities="logprobs"``, or ``"auto"`` on a backend that supports them), else from a
strictly parsed stated line ``Probabilities: A=0.7, B=0.3``. A reply that yields neither is
re-asked (the failed reply stays in the conversation) up to ``max_reasks`` times; after that
the failure is recorded (uniform probabilities, no decision, counted wrong): never dropped
and never guessed. Every attempt's text is kept in ``verdict.request["attempts"]``, and
``verdict.reasks`` counts the re-asks, so results can report how many verdicts parsed on the
first try. What counts as a verdict is strict (``judges.parsing``).

A logprob request also names the answer letters (``extra["answer_letters"]``,
``debate.models.answer_letters``): a backend that can constrain its reply to them (a
llama.cpp server with ``answer_constraint = "grammar"``) makes the first token a letter, so
there is an answer position to read; one that cannot drops the option.
"""

from __future__ import annotations

from typing import Any, Literal

from debate.errors import ConfigError
from debate.models import Message, Model
from debate.models.answer_letters import ANSWER_LETTERS
from debate.models.base import message_dicts
from debate.prompts import PromptSet, count_fields, fill
from debate.seeds import derive_seed
from debate.text import answers_text, transcript_text
from debate.types import AgentInfo, JudgeView, Said, Usage, Verdict, letter
from judges.parsing import parse_probabilities, probabilities_from_logprobs

Method = Literal["auto", "logprobs", "stated"]

REASK = {
    "stated": (
        "Your reply did not end with a valid line `{verdict_line}` (one "
        "probability per answer, summing to 1). Reply again, ending with exactly that line."
    ),
    # Worded so that echoing it is no vote: small models copy the re-ask's first words, and
    # the old "...: a single capital letter." came back as "A single capital letter".
    "logprobs": "That was not an answer letter. Which answer is correct, {letters}? Answer:",
}
LETTER_MAX_TOKENS = 4
"""Tokens allowed for a letter reply: room for a leading space or parenthesis."""


class ModelJudge:
    """Implements ``Judge`` and ``QuestioningJudge`` on any ``Model``."""

    def __init__(
        self,
        model: Model,
        prompts: PromptSet | None = None,
        *,
        probabilities: Method = "auto",
        max_reasks: int = 2,
        top_logprobs: int = 10,
    ) -> None:
        if max_reasks < 0:
            raise ValueError("max_reasks must be at least 0")
        self.model = model
        self.prompts = prompts or PromptSet()
        self.max_reasks = max_reasks
        self.top_logprobs = top_logprobs
        supported = model.backend.supports_logprobs
        if probabilities == "logprobs" and not supported:
            raise ConfigError(
                f"judge {model.name!r} reads probabilities from logprobs, but its "
                f"{model.backend.kind} backend offers none: use probabilities = 'stated' "
                "(or 'auto', which picks what the backend offers)"
            )
        self.method: Literal["logprobs", "stated"] = (
            "logprobs"
            if probabilities == "logprobs" or (probabilities == "auto" and supported)
            else "stated"
        )

    def describe(self) -> AgentInfo:
        info = self.model.describe()
        settings = {**info.settings, "probabilities": self.method, "max_reasks": self.max_reasks}
        return info.model_copy(update={"settings": settings})

    def _fields(self, view: JudgeView) -> dict[str, str]:
        return {
            "question": view.question,
            "answers": answers_text(view.answers),
            "transcript": transcript_text(view.turns),
            **count_fields(len(view.answers)),
        }

    def messages(self, view: JudgeView, kind: str = "judge_system") -> list[Message]:
        fields = self._fields(view)
        system = self.prompts.get(kind, view.protocol)
        turn = self.prompts.get("judge_turn", view.protocol)
        return [
            Message(role="system", content=fill(system, fields)),
            Message(role="user", content=fill(turn, fields)),
        ]

    async def __call__(self, view: JudgeView) -> Verdict:
        letters = self.method == "logprobs"
        messages = self.messages(view, "judge_letter" if letters else "judge_system")
        sampling = self.model.config.sampling
        extra: dict[str, Any] = {}
        if letters:
            sampling = sampling.model_copy(update={"max_tokens": LETTER_MAX_TOKENS})
            extra = {
                "logprobs": True,
                "top_logprobs": self.top_logprobs,
                ANSWER_LETTERS: [letter(p) for p in range(len(view.answers))],
            }
        usage, attempts = Usage(), []
        probs: list[float] | None = None
        text = ""
        for attempt in range(self.max_reasks + 1):
            seed = derive_seed(view.seed, view.debate_id, "judge", *([attempt] if attempt else []))
            response = await self.model.generate(
                messages, seed=seed, sampling=sampling, extra=extra
            )
            usage, text = usage + response.usage, response.text
            if letters:
                probs = probabilities_from_logprobs(
                    response.extra.get("logprobs"), len(view.answers)
                )
            else:
                probs = parse_probabilities(text, len(view.answers))
            attempts.append({"text": text, "parsed": probs is not None, "seed": seed})
            if probs is not None:
                break
            messages = [
                *messages,
                Message(role="assistant", content=text),
                Message(role="user", content=self._reask(len(view.answers))),
            ]
        request = {
            "messages": message_dicts(messages),
            "seed": attempts[0]["seed"],
            "method": self.method,
            "attempts": attempts,
            "cached": response.cached,
        }
        reasks = len(attempts) - 1
        if probs is None:
            return Verdict.unparsed(
                len(view.answers), text, usage=usage, request=request, reasks=reasks
            )
        return Verdict(probabilities=probs, raw=text, usage=usage, request=request, reasks=reasks)

    def _reask(self, n_answers: int) -> str:
        fields = count_fields(n_answers)
        return REASK[self.method].format(
            letters=fields["letters"], verdict_line=fields["verdict_line"]
        )

    async def ask(self, view: JudgeView) -> str:
        """A question for both debaters (interactive debate), with its usage attached."""
        messages = self.messages(view, "judge_ask")
        seed = derive_seed(view.seed, view.debate_id, "judge-ask", len(view.turns))
        response = await self.model.generate(messages, seed=seed)
        request = {
            "messages": message_dicts(messages),
            "seed": seed,
            "cached": response.cached,
        }
        return Said(response.text.strip(), usage=response.usage, request=request)
