"""Who plays each seat: one debater for every seat, one per seat name, or an assignment
that picks per seat once the setup is known (model X honest against model Y)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from debate.roles import Debater
from debate.types import DebateSetup, Seat


class SeatAssignment(Protocol):
    """Chooses each seat's debater once the setup is known (honest and lying sides)."""

    def for_seat(self, setup: DebateSetup, seat: Seat) -> Debater: ...


Debaters = Debater | Mapping[str, Debater] | SeatAssignment
"""What ``run_debate`` takes as its debaters."""


def debater_for(debaters: Debaters, seat: Seat, setup: DebateSetup) -> Debater:
    if hasattr(debaters, "for_seat"):
        return debaters.for_seat(setup, seat)
    if isinstance(debaters, Mapping):
        if seat.name not in debaters:
            raise KeyError(f"no debater given for seat {seat.name!r}")
        return debaters[seat.name]
    return debaters


@dataclass(frozen=True)
class SeatRoles:
    """Built debaters, picked per seat once the setup is known (``engine.SeatAssignment``)."""

    default: Debater | None
    seats: Mapping[str, Debater]
    sides: Mapping[str, Debater]

    def for_seat(self, setup: DebateSetup, seat: Seat) -> Debater:
        if seat.name in self.seats:
            return self.seats[seat.name]
        if self.sides:
            honest = setup.shown[seat.position] == setup.question.correct_index
            side = "honest" if honest else "liar"
            if side in self.sides:
                return self.sides[side]
        if self.default is None:
            raise KeyError(f"no debater given for seat {seat.name!r}")
        return self.default
