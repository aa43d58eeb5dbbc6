"""One cell of a judge-error x depth sweep: the parameters both simulators accept."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from debate.domains.treesum import oracle_check_error

SweepProtocol = Literal["naive", "consultancy", "recursive", "recursive-every-level"]
SweepErrorModel = Literal["random", "systematic", "persuasion", "position"]


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

    def key_data(self) -> dict[str, object]:
        """The parameters that identify the cell: ``queries`` only when it is not 1, so the
        cells (and seeds, and results) of sweeps from before it existed are unchanged."""
        data = self.model_dump(mode="json")
        if data["queries"] == 1:
            del data["queries"]
        return data
