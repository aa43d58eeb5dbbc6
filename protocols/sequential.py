"""Debate with sequential turns: debaters alternate, each answering what came before.

Who opens is the debater of the first-shown answer; the engine randomises (or runs both)
answer orders, so neither the honest nor the lying side always opens.
"""

from __future__ import annotations

import random

from pydantic import Field

from debate.protocol import Protocol, Round, debater_seats, register, round_label
from debate.types import Question, Seat


@register
class SequentialDebate(Protocol):
    name = "debate-sequential"

    rounds: int = Field(default=2, ge=1, description="rounds; each debater speaks once a round")

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return debater_seats(len(shown))

    def schedule(self) -> list[Round]:
        speakers = [seat.name for seat in debater_seats(self.n_answers)]
        return [
            Round(kind="sequential", speakers=speakers, label=round_label(i, self.rounds))
            for i in range(self.rounds)
        ]
