"""Judge error models: controlled random and systematic mistakes for simulated judges.

Each model has a *scope*. ``check`` models act on every binary check a judge makes (a leaf
evaluation, a level assessment, the weighing of evidence); ``verdict`` models act once on the
final verdict. A simulated judge applies its check models to each check, in order, then its
verdict models. See docs/recursive-debate.md for how they enter the theory.

Every model is defined for any number k of shown answers: a wrong check commits to one of the
other k - 1 uniformly, position bias goes to the first or the k-th, persuasion to the last (or
most confident) of however many debaters spoke. Committing only moves probability mass (a
swap), so a judge's probabilities stay a permutation of what it believed.
"""

from __future__ import annotations

import hashlib
import random
from abc import abstractmethod
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from debate.types import JudgeView, Turn

Scope = Literal["check", "verdict"]


class Decision(BaseModel):
    """A simulated judge's working state: probabilities, the position it commits to, and what
    the decision is about (``target``/``kind``, which systematic errors key on)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    probabilities: list[float]
    choice: int
    target: str = "item"
    kind: str = "item"

    def commit(self, choice: int) -> Decision:
        """Commit to ``choice``, swapping probability mass so the choice has the most."""
        probs = list(self.probabilities)
        best = max(range(len(probs)), key=probs.__getitem__)
        probs[best], probs[choice] = probs[choice], probs[best]
        return self.model_copy(update={"probabilities": probs, "choice": choice})

    def invert(self, rng: random.Random) -> Decision:
        """Commit to a different answer, uniformly among the other k - 1 (the other one, with
        two answers)."""
        others = [p for p in range(len(self.probabilities)) if p != self.choice]
        return self.commit(rng.choice(others))


class ErrorModel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    scope: ClassVar[Scope]

    @abstractmethod
    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        """Return the decision after this error has had its chance to act."""


class RandomError(ErrorModel):
    """Each check is wrong with probability ``epsilon``, independently of everything else."""

    scope = "check"
    kind: Literal["random"] = "random"
    epsilon: float = Field(ge=0, le=1, description="chance that a check comes out wrong")

    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        return decision.invert(rng) if rng.random() < self.epsilon else decision


class SystematicError(ErrorModel):
    """The judge is always wrong on a fixed subset of check targets: repeating a check (or
    asking another copy of the same judge) never helps.

    ``on="items"``: each target (question id, leaf index) is blind with probability ``rate``,
    decided by a hash so it is the same every time. ``on="kinds"``: every leaf of the listed
    kinds is blind. Level assessments (``kind == "level"``) have no blind spots.
    """

    scope = "check"
    kind: Literal["systematic"] = "systematic"
    rate: float = Field(default=0.0, ge=0, le=1, description="share of blind targets (items)")
    on: Literal["items", "kinds"] = Field(default="items", description="what is blind")
    kinds: list[str] = Field(default_factory=list, description="blind leaf kinds (on=kinds)")

    def is_blind(self, question_id: str, target: str, target_kind: str) -> bool:
        if target_kind == "level":
            return False
        if self.on == "kinds":
            return target_kind in self.kinds
        digest = hashlib.sha256(f"{question_id}|{target}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 < self.rate

    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        if self.is_blind(view.question_id, decision.target, decision.kind):
            return decision.invert(rng)
        return decision


class PositionBias(ErrorModel):
    """With probability ``strength`` the verdict goes to the answer at a fixed position."""

    scope = "verdict"
    kind: Literal["position"] = "position"
    strength: float = Field(ge=0, le=1, description="chance the bias decides the verdict")
    toward: Literal["first", "last"] = Field(default="first", description="favoured position")

    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        if rng.random() >= self.strength:
            return decision
        return decision.commit(0 if self.toward == "first" else len(view.answers) - 1)


def debater_speeches(view: JudgeView) -> list[Turn]:
    """Speeches by debaters (not the judge's own questions or challenges)."""
    return [t for t in view.turns if t.kind == "speech" and t.position is not None]


class Persuasion(ErrorModel):
    """With probability ``strength`` the judge sides with the last debater to speak, or with
    the one who stated the highest confidence, whatever the arguments were."""

    scope = "verdict"
    kind: Literal["persuasion"] = "persuasion"
    strength: float = Field(ge=0, le=1, description="chance the persuasion decides the verdict")
    toward: Literal["last", "confident"] = Field(default="last", description="who persuades")

    def apply(self, decision: Decision, view: JudgeView, rng: random.Random) -> Decision:
        speeches = debater_speeches(view)
        if self.toward == "confident":
            speeches = [t for t in speeches if t.confidence is not None]
            top = max((t.confidence or 0.0 for t in speeches), default=None)
            leaders = {t.position for t in speeches if t.confidence == top}
            if len(leaders) != 1:
                return decision  # nobody stands out
        if not speeches or rng.random() >= self.strength:
            return decision
        if self.toward == "last":
            winner = speeches[-1].position
        else:
            winner = max(speeches, key=lambda t: t.confidence or 0.0).position
        assert winner is not None
        return decision.commit(winner)


AnyErrorModel = Annotated[
    RandomError | SystematicError | PositionBias | Persuasion, Field(discriminator="kind")
]
"""Error models as they appear in configs (``{"kind": "random", "epsilon": 0.1}``)."""


def apply_errors(
    errors: list[ErrorModel],
    scope: Scope,
    decision: Decision,
    view: JudgeView,
    rng: random.Random,
) -> Decision:
    """Apply the models of one scope, in order."""
    for error in errors:
        if error.scope == scope:
            decision = error.apply(decision, view, rng)
    return decision
