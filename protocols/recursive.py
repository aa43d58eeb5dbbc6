"""Recursive debate over decomposable claims (docs/recursive-debate.md).

Each round the claimant splits the disputed claim into ``branching`` sub-claims and the
challenger picks one; after ``depth`` rounds the judge checks a single leaf. Variants: the
judge must assess every level (error compounds), or the judge itself challenges
(consultancy: one advocate, no opponent who can search). The judge speaks the one way a judge
speaks in every protocol, in a ``judge_question`` round (its ``ask``): it holds no seat.
Recursive debate is two-sided (claimant and challenger): it shows exactly two answers.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any, ClassVar

from pydantic import Field, model_validator

from debate.domains.treesum import MAX_LEAVES
from debate.errors import ConfigError
from debate.moves import Challenge, Decomposition
from debate.protocol import JUDGE, MAX_ROUNDS, Protocol, Round, register
from debate.types import DebateSetup, Question, Seat, Turn

__all__ = ["MAX_LEAVES", "RecursiveConsultancy", "RecursiveDebate", "RecursiveEveryLevel"]


@register
class RecursiveDebate(Protocol):
    name = "recursive"
    max_answers = 2
    judge_every_level: ClassVar[bool] = False
    judge_challenges: ClassVar[bool] = False

    depth: int = Field(
        default=4, ge=1, le=MAX_ROUNDS, description="rounds of decomposition (tree depth)"
    )
    branching: int = Field(default=2, ge=2, le=64, description="sub-claims per claim")

    @model_validator(mode="after")
    def _bounded_tree(self) -> RecursiveDebate:
        if self.branching**self.depth > MAX_LEAVES:
            raise ValueError(
                f"branching**depth = {self.branching}**{self.depth} leaves is over the "
                f"{MAX_LEAVES} a tree-sum claim may have"
            )
        return self

    def check_question(self, question: Question) -> None:
        super().check_question(question)
        data = question.public_data
        if "leaves" not in data:
            raise ConfigError(
                f"protocol {self.name!r} debates tree-sum claims; question {question.id!r} is "
                "not one (recursive protocols run on the judge-error-depth sweep's questions)"
            )
        if (data.get("depth"), data.get("branching")) != (self.depth, self.branching):
            raise ConfigError(
                f"{self.name} with depth={self.depth}, branching={self.branching} cannot run "
                f"question {question.id!r} (depth={data.get('depth')}, "
                f"branching={data.get('branching')})"
            )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        self.check_question(question)
        claimant = Seat(name="claimant", position=rng.randrange(len(shown)))
        if self.judge_challenges:
            return [claimant]
        return [claimant, Seat(name="challenger", position=1 - claimant.position)]

    def schedule(self) -> list[Round]:
        if not self.judge_challenges:
            return [
                Round(kind="sequential", speakers=["claimant", "challenger"], label=f"level {i}")
                for i in range(self.depth)
            ]
        rounds = []
        for i in range(self.depth):
            rounds.append(Round(kind="sequential", speakers=["claimant"], label=f"level {i}"))
            rounds.append(Round(kind="judge_question", speakers=[JUDGE], label=f"challenge {i}"))
        return rounds

    def check_turn(self, setup: DebateSetup, turns: Sequence[Turn], turn: Turn) -> None:
        """Every claimant turn splits into ``branching`` sub-claims; every other turn (the
        challenger's, or the judge's in consultancy) challenges one of them."""
        if turn.speaker == "claimant":
            claims = turn.expect_move(Decomposition).claims
            if len(claims) != self.branching:
                raise ValueError(
                    f"the claimant split into {len(claims)} sub-claims, not {self.branching}"
                )
        elif turn.expect_move(Challenge).index >= self.branching:
            raise ValueError(f"{turn.speaker} challenged a sub-claim beyond {self.branching}")

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "judge_every_level": self.judge_every_level}


@register
class RecursiveEveryLevel(RecursiveDebate):
    """The judge assesses every level's decomposition, not just the final leaf."""

    name = "recursive-every-level"
    judge_every_level = True


@register
class RecursiveConsultancy(RecursiveDebate):
    """One advocate; the judge picks which sub-claim to pursue, at random."""

    name = "recursive-consultancy"
    judge_challenges = True
