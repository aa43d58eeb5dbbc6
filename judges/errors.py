"""Judge error models: controlled random and systematic mistakes for simulated judges.

Each model takes the judge's honest decision and may change it. They compose in order,
so ``[PositionBias(0.2), RandomError(0.1)]`` is a judge that first leans to the first
answer, then errs at random.
"""

from __future__ import annotations

import random
from abc import abstractmethod
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from debate.types import JudgeView


class Decision(BaseModel):
    """A simulated judge's working state: probabilities and the position it commits to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    probabilities: list[float]
    choice: int

    def commit(self, choice: int) -> Decision:
        """Commit to ``choice``, swapping probability mass so the choice has the most."""
        probs = list(self.probabilities)
        best = max(range(len(probs)), key=probs.__getitem__)
        probs[best], probs[choice] = probs[choice], probs[best]
        return Decision(probabilities=probs, choice=choice)


class ErrorModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    @abstractmethod
    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        """Return the decision after this error has had its chance to act."""


class RandomError(ErrorModel):
    """Independently of everything else, the judge picks a wrong answer with prob. epsilon."""

    kind: Literal["random"] = "random"
    epsilon: float = Field(ge=0, le=1, description="chance of flipping to another answer")

    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        if rng.random() >= self.epsilon:
            return decision
        others = [p for p in range(len(decision.probabilities)) if p != decision.choice]
        return decision.commit(rng.choice(others))


class PositionBias(ErrorModel):
    """Systematic: with prob. ``strength`` the judge picks the answer at a fixed position."""

    kind: Literal["position"] = "position"
    strength: float = Field(ge=0, le=1, description="chance the bias decides the verdict")
    toward: Literal["first", "last"] = Field(default="first", description="favoured position")

    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        if rng.random() >= self.strength:
            return decision
        return decision.commit(0 if self.toward == "first" else len(view.answers) - 1)


class LastSpeakerBias(ErrorModel):
    """Systematic: with prob. ``strength`` the judge sides with whoever spoke last."""

    kind: Literal["last_speaker"] = "last_speaker"
    strength: float = Field(ge=0, le=1, description="chance the last speaker wins outright")

    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        speeches = [t for t in view.turns if t.position is not None]
        if not speeches or rng.random() >= self.strength:
            return decision
        last = speeches[-1].position
        assert last is not None
        return decision.commit(last)


AnyErrorModel = Annotated[RandomError | PositionBias | LastSpeakerBias, Field(discriminator="kind")]
"""Error models as they appear in configs (``{"kind": "random", "epsilon": 0.1}``)."""
