"""One cell of a judge-error x depth sweep: the parameters both simulators accept."""

from __future__ import annotations

from math import comb
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from debate.domains.claims import Aggregate, ClaimRules
from debate.domains.treesum import oracle_check_error

SweepProtocol = Literal[
    "naive", "consultancy", "recursive", "recursive-every-level", "prover-estimator"
]
SweepErrorModel = Literal["random", "systematic", "persuasion", "position"]
SweepAggregate = Aggregate
SweepEstimator = Literal["shares", "own"]

LATER_DEFAULTS: dict[str, object] = {
    "queries": 1,
    "aggregate": "all",
    "reward_growth": 4.0,
    "estimator": "shares",
}
"""Fields added after the first sweeps, and their defaults: a cell at a default leaves the
field out of its key, so older sweeps keep their cells, seeds and results."""


class SweepCell(BaseModel):
    """Parameters of one cell; see docs/recursive-debate.md for the rules they set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    protocol: SweepProtocol
    error_model: SweepErrorModel
    epsilon: float = Field(ge=0, le=1, description="strength of the error model")
    depth: int = Field(ge=1, le=16, description="levels of recursion d")
    branching: int = Field(default=2, ge=2, le=16, description="children per claim b")
    search: int | None = Field(
        default=None, ge=0, description="honest challenger's checks per level; None = full"
    )
    aware: bool = Field(default=True, description="liars know the judge's blind spots")
    judge_budget: int = Field(default=1, ge=1, description="leaves the naive judge evaluates")
    queries: int = Field(
        default=1,
        ge=1,
        le=10_000,
        description="stochastic oracle (random model): answers asked per check, the "
        "majority deciding, each wrong w.p. epsilon",
    )
    aggregate: SweepAggregate = Field(
        default="all",
        description="how a claim follows from its sub-claims: 'all' (a sum: one false "
        "sub-claim makes a false claim, unstable) or 'majority' (a claim holds when most "
        "of its sub-claims do, and they all share its truth: stable)",
    )
    reward_growth: float = Field(
        default=4.0,
        ge=1,
        le=1000,
        description="prover-estimator debate: each level's stake is this times the last",
    )
    estimator: SweepEstimator = Field(
        default="shares",
        description="prover-estimator debate: 'shares' = the estimator sees the checks the "
        "prover made (it can run her search); 'own' = its own checks, as many",
    )

    @model_validator(mode="after")
    def _prover_estimator_fields(self) -> SweepCell:
        pe = self.protocol == "prover-estimator"
        if pe and self.error_model != "random":
            raise ValueError(
                "prover-estimator debate models the judge as a noisy leaf check: it needs "
                f"error_model 'random', not {self.error_model!r}"
            )
        if not pe and (self.reward_growth, self.estimator) != (4.0, "shares"):
            raise ValueError(
                f"reward_growth and estimator belong to prover-estimator debate, not "
                f"{self.protocol!r}"
            )
        if self.aggregate == "majority" and self.protocol not in ("recursive", "prover-estimator"):
            raise ValueError(
                f"aggregate 'majority' is defined for recursive and prover-estimator debate, "
                f"not {self.protocol!r}"
            )
        if self.aggregate == "majority" and self.error_model == "systematic":
            # Blind spots are steered to by a liar choosing where its one flaw lies; a
            # majority's false claim has no flaw to place, so the model has no meaning there.
            raise ValueError("aggregate 'majority' has no systematic (blind-spot) error model")
        return self

    @model_validator(mode="after")
    def _oracle_is_random(self) -> SweepCell:
        if self.queries > 1 and self.error_model != "random":
            raise ValueError(
                f"queries = {self.queries} asks a stochastic oracle, which errs at random: "
                f"it needs error_model 'random', not {self.error_model!r}"
            )
        return self

    @model_validator(mode="after")
    def _tree_fits(self) -> SweepCell:
        if self.branching**self.depth > 2**20:
            raise ValueError(
                f"branching**depth = {self.branching**self.depth} leaves is too many (max 2**20)"
            )
        return self

    @property
    def leaves(self) -> int:
        return int(self.branching**self.depth)

    @property
    def check_error(self) -> float:
        """Chance that one check errs: ``epsilon``, or, for a stochastic oracle (the random
        model with ``queries`` > 1), the majority's error (exactly ``epsilon`` at one query,
        so one-query cells are what they always were)."""
        return oracle_check_error(self.epsilon, self.queries)

    @property
    def find_chance(self) -> float:
        """The honest challenger's chance of disputing a false sub-claim at one level: it
        checks ``search`` random children, and if all are true disputes a random other."""
        b, f = self.branching, self.false_children
        if self.search is None or self.search >= b:
            return 1.0
        if f == 1:
            return min(1.0, (self.search + 1) / b)  # the one-flaw form, as sweeps had it
        miss = comb(b - f, self.search) / comb(b, self.search)
        return 1 - miss + miss * f / (b - self.search)

    @property
    def rules(self) -> ClaimRules:
        """The claim tree and leaf error this cell's debates are about."""
        return ClaimRules(self.branching, self.depth, self.check_error, self.aggregate)

    @property
    def false_children(self) -> int:
        """False sub-claims under a false claim (``ClaimRules.false_children``)."""
        return self.rules.false_children

    def key_data(self) -> dict[str, object]:
        """The parameters that identify the cell, less any later field at its default
        (``LATER_DEFAULTS``), so the cells, seeds and results of older sweeps are unchanged."""
        data = self.model_dump(mode="json")
        for key, default in LATER_DEFAULTS.items():
            if data[key] == default:
                del data[key]
        return data
