"""Interactive debate: between rounds the judge asks a question, and both debaters answer.

Built on the shared round mechanism: a ``judge_question`` round (the engine calls the
judge's ``ask``) is followed by a round whose turns are of kind ``answer``: each debater
answers the question and continues its argument in the same turn, so a debate of
``rounds`` rounds makes ``2 * rounds`` debater calls and ``rounds - 1`` judge questions.
The judge must be a ``QuestioningJudge`` (a model judge or a human).
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field

from debate.protocol import (
    JUDGE,
    MAX_ROUNDS,
    Protocol,
    Round,
    debater_seats,
    register,
    round_label,
)
from debate.types import Question, Seat

ANSWER_INSTRUCTION = (
    "The judge has just asked a question (the last turn of the transcript). Answer it "
    "directly first, then continue your argument."
)


@register
class InteractiveDebate(Protocol):
    name = "debate-interactive"

    rounds: int = Field(
        default=3, ge=2, le=MAX_ROUNDS, description="rounds of speeches; a question between"
    )
    speaking: Literal["simultaneous", "sequential"] = Field(
        default="simultaneous", description="how the debaters speak within a round"
    )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return debater_seats(len(shown))

    def schedule(self) -> list[Round]:
        speakers = [seat.name for seat in debater_seats(self.n_answers)]
        rounds: list[Round] = []
        for i in range(self.rounds):
            if i > 0:
                rounds.append(Round(kind="judge_question", speakers=[JUDGE], label="question"))
            rounds.append(
                Round(
                    kind=self.speaking,
                    speakers=speakers,
                    label=round_label(i, self.rounds),
                    turn="speech" if i == 0 else "answer",
                    instruction="" if i == 0 else ANSWER_INSTRUCTION,
                )
            )
        return rounds
