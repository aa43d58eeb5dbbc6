"""Naive judge: no debaters; the judge answers the question alone (the no-debate baseline)."""

from __future__ import annotations

import random

from debate.protocol import Protocol, Round, register
from debate.types import Question, Seat


@register
class NaiveJudge(Protocol):
    """The judge sees only the question and the shown answers."""

    name = "naive"

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return []

    def schedule(self) -> list[Round]:
        return []
