"""Debate with simultaneous turns: in each round both debaters speak without seeing the
other's speech of that round (removes the second mover's advantage within a round)."""

from __future__ import annotations

import random

from pydantic import Field

from debate.protocol import Protocol, Round, debater_seats, register, round_label
from debate.types import Question, Seat


@register
class SimultaneousDebate(Protocol):
    name = "debate-simultaneous"

    rounds: int = Field(default=2, ge=1, description="rounds of speeches")

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return debater_seats(len(shown))

    def schedule(self) -> list[Round]:
        speakers = [seat.name for seat in debater_seats(self.n_answers)]
        return [
            Round(kind="simultaneous", speakers=speakers, label=round_label(i, self.rounds))
            for i in range(self.rounds)
        ]
