"""Open roles (Kenton et al. 2024): the debater chooses the answer it defends.

In ``open-consultancy`` the consultant, and in ``open-debate`` the protagonist, holds an
``open`` seat: its first speech states the answer it chooses (a ``Stance`` move) as well as
arguing for it. ``ChosenSides.bind`` then binds the seats: the chooser to its choice, every
other seat (the antagonist) to the remaining answers, in order. From then on the debate runs
as the assigned protocol would, so the judge's accuracy can be split by whether the chosen
side was correct and set beside consultancy and debate with assigned sides.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import ClassVar, Literal

from pydantic import Field

from debate.moves import Stance
from debate.protocol import MAX_ROUNDS, Protocol, Round, register, round_label
from debate.types import DebateSetup, Question, Seat, Turn


class ChosenSides(Protocol):
    """A protocol whose ``protagonist`` seat picks its answer in its first speech."""

    protagonist: ClassVar[str]

    def bind(self, setup: DebateSetup, turns: Sequence[Turn]) -> DebateSetup:
        chooser = setup.seat(self.protagonist)
        if not chooser.open:
            return setup
        stance = next(
            (t.move(Stance) for t in turns if t.speaker == chooser.name and t.has_move(Stance)),
            None,
        )
        if stance is None:
            return setup
        rest = iter(p for p in range(len(setup.shown)) if p != stance.position)
        seats = [
            seat.model_copy(
                update={
                    "open": False,
                    "position": stance.position if seat.name == chooser.name else next(rest),
                }
            )
            for seat in setup.seats
        ]
        return setup.model_copy(update={"seats": seats})


@register
class OpenConsultancy(ChosenSides):
    """Consultancy in which the consultant chooses the answer it argues for."""

    name = "open-consultancy"
    protagonist = "consultant"

    rounds: int = Field(default=2, ge=1, le=MAX_ROUNDS, description="speeches the consultant gives")

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return [Seat(name="consultant", position=0, open=True)]

    def schedule(self) -> list[Round]:
        return [
            Round(kind="sequential", speakers=["consultant"], label=round_label(i, self.rounds))
            for i in range(self.rounds)
        ]


@register
class OpenDebate(ChosenSides):
    """Two-sided debate in which the protagonist chooses its answer and the antagonist
    defends the other. The protagonist opens (its opening states its choice), so the
    opening is sequential; later rounds are ``round_kind``."""

    name = "open-debate"
    max_answers = 2
    protagonist = "protagonist"

    rounds: int = Field(
        default=2, ge=1, le=MAX_ROUNDS, description="rounds; every debater speaks once a round"
    )
    round_kind: Literal["sequential", "simultaneous"] = Field(
        default="sequential", description="kind of the rounds after the opening"
    )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return [
            Seat(name="protagonist", position=0, open=True),
            Seat(name="antagonist", position=0, open=True),
        ]

    def schedule(self) -> list[Round]:
        speakers = ["protagonist", "antagonist"]
        return [
            Round(
                kind="sequential" if i == 0 else self.round_kind,
                speakers=speakers,
                label=round_label(i, self.rounds),
            )
            for i in range(self.rounds)
        ]
