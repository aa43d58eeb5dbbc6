"""Typed moves: the structured part of a turn in game-like protocols.

A move is stored in ``Turn.data`` (``Speech.data``) as the same plain JSON it was before moves
had types, so stored transcripts load unchanged and figures built from them do not move. It is
read back only through its model (``turn.move(Challenge)``), never by a string key: a
malformed move fails with one line naming it, at the turn that carries it, instead of a
``KeyError`` in whichever package reads it next. A speech carrying a move is built with
``Speech(text=..., data=move.to_data())``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, StrictInt, ValidationError, model_validator

from debate.errors import validation_message
from debate.values import Usage

if TYPE_CHECKING:
    from debate.types import Turn


class MoveError(ValueError):
    """A turn's data is not a valid move of the kind asked for (or carries none)."""


class Move(BaseModel):
    """Base of every move. ``marker`` is the data key whose presence says a turn carries
    this move; a ``nested`` move is stored under it, a flat one as top-level keys."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True
    )

    marker: ClassVar[str]
    nested: ClassVar[bool] = False
    label: ClassVar[str]
    """What the move is called in error messages."""
    stored_keys: ClassVar[tuple[str, ...]] = ()
    """The data keys a flat move is stored under (its fields' aliases or names)."""

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls.stored_keys = tuple(f.alias or name for name, f in cls.model_fields.items())

    def to_data(self) -> dict[str, Any]:
        """The move as ``Speech.data``: the stored JSON, key for key."""
        fields = self.model_dump(mode="json", by_alias=True)
        return {self.marker: fields} if self.nested else fields

    @classmethod
    def read(cls, data: Mapping[str, Any]) -> Self | None:
        """The move in ``data``, validated; None when ``data`` carries none of this kind."""
        if cls.marker not in data:
            return None
        if cls.nested:
            raw = data[cls.marker]
        else:  # only its own keys: one turn's data may hold more than one flat move
            raw = {key: data[key] for key in cls.stored_keys if key in data}
        try:
            return cls.model_validate(raw)
        except ValidationError as exc:
            raise MoveError(f"bad {cls.label}: {validation_message(exc)}") from None


class Decomposition(Move):
    """Recursive debate: the claimant splits the disputed node ``[lo, hi)`` into sub-claims,
    one value per child, in order."""

    marker = "claims"
    label = "decomposition"

    node: tuple[StrictInt, StrictInt] = Field(description="the disputed node [lo, hi)")
    claims: list[StrictInt] = Field(min_length=1, description="claimed value of each child")


class Challenge(Move):
    """Recursive debate: the challenger (or, in consultancy, the judge) disputes one
    sub-claim of the decomposition just before it."""

    marker = "challenge"
    label = "challenge"

    index: StrictInt = Field(ge=0, alias="challenge", description="the disputed child")


Probability = Annotated[float, Field(ge=0, le=1)]


class Estimates(Move):
    """Prover-estimator debate: the estimator's probabilities. At the root, one: that the
    prover's answer holds. After a decomposition, one per sub-claim, in order, and
    ``holds``: its chance that the sub-claims, judged, hold the claim (the trusted bit's)."""

    marker = "estimates"
    label = "estimates"

    estimates: list[Probability] = Field(min_length=1, description="one per claim, in order")
    holds: Probability | None = Field(
        default=None, description="chance the sub-claims hold the claim (after a split)"
    )


class Bet(Move):
    """Prover-estimator debate: the prover's sign on the estimator's estimate of the claim
    under dispute, made before the estimator speaks again: +1 too low, -1 too high, 0 right."""

    marker = "bet"
    label = "bet"

    bet: StrictInt = Field(ge=-1, le=1, description="+1: too low; -1: too high; 0: right")


class Stance(Move):
    """An open seat's answer for this turn (shown position): multi-agent debate's agents
    state one every round, and may change it after reading the others."""

    marker = "stance"
    label = "stance"

    position: StrictInt = Field(ge=0, alias="stance", description="the answer held now")


def last_stances(turns: Sequence[Turn]) -> dict[str, int]:
    """Each open seat's answer (shown position) in the latest round it spoke in."""
    found: dict[str, tuple[int, int]] = {}
    for turn in turns:
        stance = turn.move(Stance) if turn.kind == "speech" else None
        if stance is not None:
            latest = found.get(turn.speaker)
            if latest is None or turn.round >= latest[0]:
                found[turn.speaker] = (turn.round, stance.position)
    return {speaker: position for speaker, (_, position) in found.items()}


class PixelReveal(Move):
    """Sparse-pixel debate: one revealed pixel and the value the debater says it has."""

    marker = "pixel"
    label = "pixel reveal"

    pixel: StrictInt = Field(description="index into the flattened image")
    value: StrictInt = Field(description="the value claimed for it")


class Candidate(BaseModel):
    """One candidate speech of a best-of-N debater, and how its preference judge rated it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    seed: int
    score: float = Field(description="preference probability of its own answer; -1 unparsed")
    preference_raw: str
    preference_parsed: bool
    usage: Usage = Field(description="the candidate's call plus its preference call")


class BestOfN(Move):
    """What a best-of-N debater considered: every candidate, and which one it kept."""

    marker = "best_of_n"
    nested = True
    label = "best-of-N record"

    chosen: int = Field(ge=0, description="index of the candidate spoken")
    candidates: list[Candidate] = Field(min_length=1)

    @model_validator(mode="after")
    def _chosen_exists(self) -> BestOfN:
        if self.chosen >= len(self.candidates):
            raise ValueError(
                f"chosen {self.chosen} is not one of {len(self.candidates)} candidates"
            )
        return self
