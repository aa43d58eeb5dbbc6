"""Consultancy: one consultant argues for one answer; the judge hears no opponent.

The consultant is assigned to the correct answer or to an incorrect one with probability
1/2 each (Michael et al. 2023), so the baseline is not biased toward honest advice; with more
than two shown answers (``answers``) the incorrect one is drawn uniformly among them.
"""

from __future__ import annotations

import random
from typing import Literal

from pydantic import Field

from debate.protocol import MAX_ROUNDS, Protocol, Round, register, round_label
from debate.types import Question, Seat


@register
class Consultancy(Protocol):
    name = "consultancy"
    protagonist = "consultant"

    rounds: int = Field(default=2, ge=1, le=MAX_ROUNDS, description="speeches the consultant gives")
    assignment: Literal["random", "correct", "incorrect"] = Field(
        default="random", description="which answer the consultant defends"
    )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        correct = shown.index(question.correct_index)
        wrong = [p for p in range(len(shown)) if p != correct]
        honest = {"random": rng.random() < 0.5, "correct": True, "incorrect": False}
        position = correct if honest[self.assignment] else rng.choice(wrong)
        return [Seat(name="consultant", position=position)]

    def schedule(self) -> list[Round]:
        return [
            Round(kind="sequential", speakers=["consultant"], label=round_label(i, self.rounds))
            for i in range(self.rounds)
        ]
