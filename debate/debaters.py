"""Model-backed debaters: prompt templates in, speech out."""

from __future__ import annotations

import re

from debate.models import GenerateResponse, Message, Model
from debate.models.answer_letters import ANSWER_LETTERS
from debate.models.base import message_dicts
from debate.moves import Stance
from debate.prompts import PromptSet, count_fields, fill
from debate.seeds import derive_seed
from debate.text import answers_text, transcript_text
from debate.types import AgentInfo, DebaterView, Speech, letter

ANSWER_LINE = re.compile(r"\banswer\s*(?:is\s*)?[:=]?\s*\(?([A-Z])\)?(?![A-Za-z])", re.I)


def stated_answer(text: str, n_answers: int) -> int | None:
    """The answer an open seat's speech states: the letter of its last ``Answer: X`` line
    (None when it states none of the shown letters; the engine then fails the turn)."""
    found = None
    for match in ANSWER_LINE.finditer(text):
        index = ord(match.group(1).upper()) - ord("A")
        if 0 <= index < n_answers:
            found = index
    return found


STANCE_REASKS = 2
REASK_STANCE = "Which answer do you give, {letters}? Answer with the letter only."
LETTER_TOKENS = 4


class ModelDebater:
    """A prompted language-model debater. The same instance can take any seat."""

    def __init__(self, model: Model, prompts: PromptSet | None = None) -> None:
        self.model = model
        self.prompts = prompts or PromptSet()

    def describe(self) -> AgentInfo:
        return self.model.describe()

    def messages(self, view: DebaterView) -> list[Message]:
        """The prompt; a question without a hidden passage gets the no-passage templates."""
        setup = view.setup
        passage = bool(setup.question.context and setup.question.context.strip())
        fields = {
            "question": setup.question.text,
            "answer": view.answer,
            "letter": letter(view.seat.position),
            "opponents": "; ".join(view.opponent_answers),
            "answers": answers_text([setup.answer_text(p) for p in range(len(setup.shown))]),
            "context": setup.question.context or "(none)",
            "transcript": transcript_text(view.turns),
            "round": view.round + 1,
            "rounds": view.rounds,
            "label": view.label,
            "instruction": f"{view.instruction} " if view.instruction else "",
            **count_fields(len(setup.shown)),
        }
        seat, chooses = view.seat.name, view.seat.open
        system = self.prompts.get(
            "debater_system", view.protocol, seat, passage=passage, open_seat=chooses
        )
        turn = self.prompts.get(
            "debater_turn", view.protocol, seat, passage=passage, open_seat=chooses
        )
        return [
            Message(role="system", content=fill(system, fields)),
            Message(role="user", content=fill(turn, fields)),
        ]

    async def __call__(self, view: DebaterView) -> Speech:
        return await self.speak(view)

    async def _ask_stance(
        self, messages: list[Message], n: int, seed: int
    ) -> tuple[GenerateResponse, int | None]:
        """The answer asked for again: read from the answer letters' probabilities where
        the backend gives them (constrained to the shown letters, as a judge's verdict is),
        else from the reply's ``Answer: X`` line."""
        if not self.model.backend.supports_logprobs:
            response = await self.model.generate(messages, seed=seed)
            return response, stated_answer(response.text, n)
        from judges.parsing import probabilities_from_logprobs

        sampling = self.model.config.sampling.model_copy(update={"max_tokens": LETTER_TOKENS})
        letters = [letter(p) for p in range(n)]
        extra = {"logprobs": True, "top_logprobs": 10, ANSWER_LETTERS: letters}
        response = await self.model.generate(messages, seed=seed, sampling=sampling, extra=extra)
        probabilities = probabilities_from_logprobs(response.extra.get("logprobs"), n)
        if probabilities is None:
            return response, stated_answer(response.text, n)
        return response, max(range(n), key=probabilities.__getitem__)

    async def speak(self, view: DebaterView, seed: int | None = None) -> Speech:
        """One speech; ``seed`` defaults to one derived from the debate, seat and round. An
        open seat's speech must end with its answer: asked again (``STANCE_REASKS`` times)
        when it names none, as a judge is re-asked for an unreadable verdict."""
        if seed is None:
            seed = derive_seed(view.setup.seed, view.debate_id, view.seat.name, view.round)
        messages = self.messages(view)
        response = await self.model.generate(messages, seed=seed)
        text, usage = response.text.strip(), response.usage
        stance = None
        if view.seat.open:
            n = len(view.setup.shown)
            stance = stated_answer(text, n)
            for again in range(STANCE_REASKS):
                if stance is not None:
                    break
                messages = [
                    *messages,
                    Message(role="assistant", content=text),
                    Message(role="user", content=fill(REASK_STANCE, count_fields(n))),
                ]
                response, stance = await self._ask_stance(messages, n, derive_seed(seed, again))
                usage += response.usage
                text = f"{text}\n{response.text.strip()}"
        return Speech(
            text=text,
            data={} if stance is None else Stance(position=stance).to_data(),
            usage=usage,
            request={
                "messages": message_dicts(messages),
                "seed": seed,
                "cached": response.cached,
            },
        )
