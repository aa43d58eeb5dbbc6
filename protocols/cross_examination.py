"""Cross-examination: after opening speeches, each debater questions another in turn.

On the shared round mechanism: an exchange is a round in which one debater asks (turns of
kind ``question``) followed by one in which the next debater answers (kind ``answer``). Each
debater asks once an exchange, of the one after it (the last of the first), so with two
debaters each questions the other; all close with sequential closing speeches.
"""

from __future__ import annotations

import random

from pydantic import Field

from debate.protocol import MAX_ROUNDS, Protocol, Round, debater_seats, register
from debate.types import Question, Seat, letter

ASK = "Ask your opponent one short, pointed question that exposes a weakness in their case."
ANSWER = "Answer your opponent's question (the last turn) directly and honestly for your side."


def _naming(instruction: str, other: Seat, many: bool) -> str:
    """With more than two debaters "your opponent" is ambiguous: name the one meant."""
    return (
        instruction.replace("your opponent", f"Debater {letter(other.position)}")
        if many
        else instruction
    )


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
        seats = debater_seats(self.n_answers)
        names = [seat.name for seat in seats]
        many = len(seats) > 2
        rounds = [Round(kind="simultaneous", speakers=names, label="opening")]
        pairs = [(asker, seats[(i + 1) % len(seats)]) for i, asker in enumerate(seats)]
        for _ in range(self.exchanges):
            for asker, answerer in pairs:
                rounds.append(
                    Round(
                        kind="sequential",
                        speakers=[asker.name],
                        label="cross-examination",
                        turn="question",
                        instruction=_naming(ASK, answerer, many),
                    )
                )
                rounds.append(
                    Round(
                        kind="sequential",
                        speakers=[answerer.name],
                        label="answer",
                        turn="answer",
                        instruction=_naming(ANSWER, asker, many),
                    )
                )
        rounds.append(Round(kind="sequential", speakers=names, label="closing"))
        return rounds
