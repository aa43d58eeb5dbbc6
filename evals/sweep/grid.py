"""Sweep configuration: the grid of cells (protocol x error model x epsilon x depth x ...).

A sweep config is a TOML/JSON file or preset with ``type = "sweep"`` (the experiment type:
``evals.experiments`` parses every type). Every problem becomes one ``ConfigError`` line
naming the parameter or value at fault.
"""

from __future__ import annotations

import itertools
import json
from typing import TYPE_CHECKING, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from debate.errors import ConfigError, validation_message
from evals.sweep.cells import (
    SweepAggregate,
    SweepCell,
    SweepErrorModel,
    SweepEstimator,
    SweepProtocol,
)

if TYPE_CHECKING:
    pass

MAX_LEAVES = 2**20
_RANGES = (
    "protocols",
    "error_models",
    "epsilons",
    "depths",
    "branching",
    "search",
    "queries",
    "aggregate",
    "reward_growth",
    "estimator",
)


class SweepConfig(BaseModel):
    """A judge-error x depth sweep: every combination of the listed values is one cell."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(default="sweep", description="title of the report")
    type: Literal["sweep"] = Field(default="sweep", description="marks a sweep config")
    protocols: list[SweepProtocol] = Field(description="protocols to compare")
    error_models: list[SweepErrorModel] = Field(description="judge error models")
    epsilons: list[float] = Field(description="error strengths, each in [0, 1]")
    depths: list[int] = Field(description="levels of recursion d, each >= 1")
    branching: list[int] = Field(default=[2], description="children per claim b, each >= 2")
    search: list[int | None] = Field(
        default=[None],
        description='honest challenger\'s checks per level; null or "full" = full search',
    )
    queries: list[int] = Field(
        default=[1],
        description="stochastic-oracle judges: answers asked per check under the random "
        "model (the majority decides); 1 is the plain random error",
    )
    aggregate: list[SweepAggregate] = Field(
        default=["all"],
        description="how claims follow from sub-claims: 'all' (sums: unstable) or "
        "'majority' (stable); majority is crossed with recursive and prover-estimator only",
    )
    reward_growth: list[float] = Field(
        default=[4.0], description="prover-estimator debate: stake growth per level, >= 1"
    )
    estimator: list[SweepEstimator] = Field(
        default=["shares"],
        description="prover-estimator debate: the estimator sees the prover's checks "
        "('shares') or makes its own ('own')",
    )
    aware: bool = Field(default=True, description="liars know the judge's blind spots")
    judge_budget: int = Field(
        default=1, ge=1, le=MAX_LEAVES, description="leaves the naive judge evaluates"
    )
    debates_per_cell: int = Field(
        default=2000, ge=1, le=10_000_000, description="debates simulated per cell"
    )
    seed: int = Field(default=0, description="base seed; each cell derives its own")
    workers: int = Field(default=2, ge=1, le=1024, description="processes simulating cells at once")
    quick_debates: int = Field(
        default=200, ge=1, le=10_000_000, description="debates per cell with --quick"
    )
    sample_transcripts: int = Field(
        default=1,
        ge=0,
        le=10_000,
        description="debates per cell also played through the engine and kept whole in "
        "transcripts.jsonl (for `debate show` and for checking the simulator)",
    )
    quick_depths: list[int] | None = Field(
        default=None, description="depths kept with --quick; null keeps them all"
    )

    @field_validator(*_RANGES)
    @classmethod
    def _not_empty(cls, values: list[Any]) -> list[Any]:
        if not values:
            raise ValueError("empty range: give at least one value")
        return values

    @field_validator("epsilons")
    @classmethod
    def _probabilities(cls, values: list[float]) -> list[float]:
        for eps in values:
            if not 0 <= eps <= 1:
                raise ValueError(f"epsilon {eps} is outside [0, 1]")
        return values

    @field_validator("depths", "quick_depths")
    @classmethod
    def _depths(cls, values: list[int] | None) -> list[int] | None:
        for depth in values or []:
            if not 1 <= depth <= 16:
                raise ValueError(f"depth {depth} is outside 1..16")
        return values

    @field_validator("branching")
    @classmethod
    def _branching(cls, values: list[int]) -> list[int]:
        for b in values:
            if not 2 <= b <= 16:
                raise ValueError(f"branching {b} is outside 2..16")
        return values

    @field_validator("search", mode="before")
    @classmethod
    def _full(cls, values: Any) -> Any:
        # TOML has no null: "full" spells full search there.
        return [None if v == "full" else v for v in values] if isinstance(values, list) else values

    @field_validator("search")
    @classmethod
    def _search(cls, values: list[int | None]) -> list[int | None]:
        for s in values:
            if s is not None and s < 0:
                raise ValueError(f"search {s} is negative")
        return values

    @model_validator(mode="after")
    def _trees_fit(self) -> SweepConfig:
        b, d = max(self.branching), max(self.depths)
        if b**d > MAX_LEAVES:
            raise ValueError(f"branching {b} at depth {d} gives {b**d} leaves (max 2**20)")
        return self

    @field_validator("reward_growth")
    @classmethod
    def _growth(cls, values: list[float]) -> list[float]:
        for lam in values:
            if not 1 <= lam <= 1000:
                raise ValueError(f"reward_growth {lam} is outside 1..1000")
        return values

    @model_validator(mode="after")
    def _axes_apply(self) -> SweepConfig:
        """An axis that no listed protocol can take is a mistake, not a silent no-op."""
        pe = "prover-estimator" in self.protocols
        if pe and "random" not in self.error_models:
            raise ValueError(
                "prover-estimator debate models the judge as a noisy leaf check: list "
                "error model 'random' for it"
            )
        if not pe and (self.reward_growth != [4.0] or self.estimator != ["shares"]):
            raise ValueError(
                "reward_growth and estimator are axes of prover-estimator debate: add it to "
                "protocols or leave them out"
            )
        if "majority" in self.aggregate and not {"recursive", "prover-estimator"} & set(
            self.protocols
        ):
            raise ValueError(
                "aggregate 'majority' is defined for recursive and prover-estimator debate: "
                "list one of them"
            )
        return self

    def cells(self) -> list[SweepCell]:
        """Every cell, in the order protocol, error model, epsilon, depth, branching, search,
        queries, aggregate, reward growth, estimator. Only meaningful crossings are kept:
        more than one query under the random model (the oracle's); prover-estimator debate
        under the random model only, and alone in varying reward growth and estimator;
        majority aggregation with recursive and prover-estimator debate."""
        grid = itertools.product(
            self.protocols,
            self.error_models,
            self.epsilons,
            self.depths,
            self.branching,
            self.search,
            self.queries,
            self.aggregate,
            self.reward_growth,
            self.estimator,
        )
        cells: dict[str, SweepCell] = {}
        for protocol, model, eps, depth, b, search, queries, agg, lam, est in grid:
            pe = protocol == "prover-estimator"
            if (queries > 1 or pe) and model != "random":
                continue
            if agg == "majority" and (
                protocol not in ("recursive", "prover-estimator") or model == "systematic"
            ):
                continue
            cell = SweepCell(
                protocol=protocol,
                error_model=model,
                epsilon=eps,
                depth=depth,
                branching=b,
                search=search,
                aware=self.aware,
                judge_budget=self.judge_budget,
                queries=queries,
                aggregate=agg,
                reward_growth=lam if pe else 4.0,
                estimator=est if pe else "shares",
            )
            cells.setdefault(json.dumps(cell.key_data(), sort_keys=True), cell)
        return list(cells.values())

    def quick(self) -> SweepConfig:
        """The same grid with ``quick_debates`` per cell (and ``quick_depths`` if set)."""
        update: dict[str, Any] = {
            "debates_per_cell": min(self.debates_per_cell, self.quick_debates),
            "name": f"{self.name} (quick)",
        }
        if self.quick_depths is not None:
            update["depths"] = list(self.quick_depths)
        return self.model_copy(update=update)


def parse_sweep_config(data: dict[str, Any], origin: str = "config") -> SweepConfig:
    """Validate a sweep config; the first problem becomes one ConfigError line."""
    try:
        return SweepConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {validation_message(exc)}") from None
