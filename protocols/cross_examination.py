"""Cross-examination: after opening speeches, each debater questions the other in turn.

On the shared round mechanism: an exchange is a round in which one debater asks (turns of
kind ``question``) followed by one in which the other answers (kind ``answer``); the
debaters alternate who asks, and close with sequential closing speeches.
"""

from __future__ import annotations

import random

from pydantic import Field

from debate.protocol import MAX_ROUNDS, Protocol, Round, debater_seats, register
from debate.types import Question, Seat

ASK = "Ask your opponent one short, pointed question that exposes a weakness in their case."
ANSWER = "Answer your opponent's question (the last turn) directly and honestly for your side."


@register
class CrossExamination(Protocol):
    name = "cross-examination"

    exchanges: int = Field(
        default=1,
        ge=1,
        le=MAX_ROUNDS,
        description="question-and-answer exchanges in each direction",
    )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return debater_seats(len(shown))

    def schedule(self) -> list[Round]:
        a, b = (seat.name for seat in debater_seats(self.n_answers))
        rounds = [Round(kind="simultaneous", speakers=[a, b], label="opening")]
        for _ in range(self.exchanges):
            for asker, answerer in ((a, b), (b, a)):
                rounds.append(
                    Round(
                        kind="sequential",
                        speakers=[asker],
                        label="cross-examination",
                        turn="question",
                        instruction=ASK,
                    )
                )
                rounds.append(
                    Round(
                        kind="sequential",
                        speakers=[answerer],
                        label="answer",
                        turn="answer",
                        instruction=ANSWER,
                    )
                )
        rounds.append(Round(kind="sequential", speakers=[a, b], label="closing"))
        return rounds
