"""Configuration of a cross-play tournament (``type = "tournament"``).

A tournament is a debate run (questions, protocols, judges, answer orders: the shared
``DebateRunConfig``) whose seats are filled by a list of players: under a protocol with two
debaters every ordered pair plays (player X honest against player Y lying, self-play
included); under a one-seat protocol (consultancy) each player consults, honest or lying as
the protocol assigns. Each pairing is a cell of its own (``honest`` and ``liar`` labels), so
matches are ordinary debates: stored, resumable, run exactly once, on any executor.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from debate.jobs import SeatSpecs
from debate.registry import DebaterField, Spec, label
from evals.config import DebateRunConfig, Lineup, quick_role

if TYPE_CHECKING:
    from debate.protocol import Protocol

NAME = r"^[A-Za-z0-9][A-Za-z0-9_.+:-]{0,63}$"


class Player(Spec):
    """One debater of the tournament: a name, its spec, and (for the oversight analysis)
    its general capability on an axis the user supplies (a number per model)."""

    name: str = Field(pattern=NAME, description="the player's label in cells and tables")
    debater: DebaterField
    capability: float | None = Field(
        default=None, description="general capability (e.g. a general Elo); oversight axis"
    )


class OversightSpec(Spec):
    """Nested oversight across a capability gap (Engels et al. 2025): a Guard of general
    capability ``start`` oversees, in ``n`` equal steps, a Houdini ``gap`` above it."""

    start: float | None = Field(
        default=None, description="the first Guard's capability; None: the weakest judge's"
    )
    gaps: list[float] = Field(
        default_factory=lambda: [100.0, 200.0, 400.0],
        min_length=1,
        description="capability gaps between the first Guard and the target Houdini",
    )
    max_steps: int = Field(default=10, ge=1, le=1000, description="most oversight steps tried")
    houdini: Literal["self-play", "liar"] = Field(
        default="self-play",
        description="'self-play': the Houdini is a player debating itself (the paper's debate "
        "game); 'liar': the lying player against the honest reference player",
    )
    reference: str | None = Field(
        default=None, description="the honest player that liars face ('liar'); None: the first"
    )


class TournamentConfig(DebateRunConfig):
    """Players of graded strength in cross-play, rated from the judges' verdicts."""

    type: Literal["tournament"] = Field(default="tournament", description="the experiment type")
    name: str = Field(default="tournament", description="title of the report")
    players: list[Player] = Field(min_length=2)
    judge_capability: dict[str, float] = Field(
        default_factory=dict,
        description="general capability of each judge, by label (the oversight analysis)",
    )
    rating_protocol: str | None = Field(
        default=None,
        description="protocol (by name) whose matches rate the players; "
        "None: the first protocol with two debaters",
    )
    bootstrap: int = Field(
        default=200, ge=0, le=100_000, description="resamples of the questions for the CIs"
    )
    quick_bootstrap: int = Field(default=50, ge=0, le=100_000, description="with --quick")
    confidence: float = Field(default=0.95, gt=0, lt=1, description="level of every interval")
    oversight: OversightSpec = Field(default_factory=OversightSpec)

    @model_validator(mode="after")
    def _names(self) -> TournamentConfig:
        names = [p.name for p in self.players]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"player names must be unique; repeated: {', '.join(twice)}")
        judges = {label(j) for j in self.judges}
        unknown = sorted(set(self.judge_capability) - judges)
        if unknown:
            raise ValueError(
                f"judge_capability names judges not in the tournament: {', '.join(unknown)}"
            )
        reference = self.oversight.reference
        if reference is not None and reference not in names:
            raise ValueError(f"oversight.reference {reference!r} is not one of the players")
        protocols = [p.name for p in self.protocols]
        repeated = sorted({n for n in protocols if protocols.count(n) > 1})
        if repeated:
            raise ValueError(
                f"a tournament lists each protocol once (its figures are keyed by protocol "
                f"name); repeated: {', '.join(repeated)}"
            )
        if self.rating_protocol is not None and self.rating_protocol not in protocols:
            raise ValueError(
                f"rating_protocol {self.rating_protocol!r} is not one of the protocols "
                f"({', '.join(protocols)})"
            )
        return self

    def lineups(self, protocol: Protocol) -> list[Lineup]:
        seats = protocol.speaking_seats()
        if not seats:  # the naive judge: a baseline no player takes part in
            return [Lineup({}, SeatSpecs())]
        if len(seats) == 1:  # consultancy: each player consults, on either side
            return [
                Lineup(
                    {"honest": p.name, "liar": p.name},
                    SeatSpecs(sides={"honest": p.debater, "liar": p.debater}),
                )
                for p in self.players
            ]
        return [
            Lineup(
                {"honest": h.name, "liar": x.name},
                SeatSpecs(sides={"honest": h.debater, "liar": x.debater}),
            )
            for h in self.players
            for x in self.players
        ]

    def debater_specs(self) -> list[Spec]:
        return [p.debater for p in self.players]

    def quick_debaters(self) -> dict[str, Any]:
        players = [p.model_copy(update={"debater": quick_role(p.debater)}) for p in self.players]
        return {"players": players}

    def quick(self) -> TournamentConfig:
        shortened = super().quick()
        return shortened.model_copy(update={"bootstrap": min(self.bootstrap, self.quick_bootstrap)})

    def rated_protocol(self) -> str | None:
        """The protocol whose matches rate the players (None: no protocol has two seats)."""
        if self.rating_protocol is not None:
            return self.rating_protocol
        for spec in self.protocols:
            protocol = spec.build()
            if len(protocol.speaking_seats()) >= 2:
                return protocol.name
        return None

    def player_capability(self) -> dict[str, float]:
        """General capability of every player that has one, by name."""
        return {p.name: p.capability for p in self.players if p.capability is not None}
