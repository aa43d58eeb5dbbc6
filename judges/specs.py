"""The built-in judge kinds (simulated, model, human, tree-sum), and the model debater,
whose best-of-N ranker is a model judge. Each kind is a spec and a factory registered here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from debate.best_of_n import BestOfNDebater
from debate.debaters import ModelDebater
from debate.domains.prover_estimator import ProverEstimatorPlayer
from debate.domains.treesum import TreeSumDebater
from debate.errors import ConfigError
from debate.registry import Spec, register
from debate.role_specs import ModelDebaterSpec, ModelRoleSpec, build_model
from debate.roles import Debater, Judge
from judges.errors import AnyErrorModel, SystematicError
from judges.model_judge import ModelJudge
from judges.simulated import SimulatedJudge
from judges.treesum import TreeSumJudge

if TYPE_CHECKING:
    from debate.components import Components


class SimulatedJudgeSpec(Spec):
    kind: Literal["simulated"] = "simulated"
    name: str = Field(default="simulated", description="label in results")
    weight: float = Field(default=1.0, gt=0, le=1e6, description="sharpness of probabilities")
    errors: list[AnyErrorModel] = Field(default_factory=list, description="applied in order")

    def label(self) -> str:
        return self.name


@register("judge", "simulated", SimulatedJudgeSpec)
def simulated_judge(spec: SimulatedJudgeSpec, components: Components) -> Judge:
    return SimulatedJudge(spec.errors, weight=spec.weight, name=spec.name)


class ModelJudgeSpec(ModelRoleSpec):
    """A model judge: probabilities from logprobs or a stated line, re-asked on failure."""

    probabilities: Literal["auto", "logprobs", "stated"] = Field(
        default="auto", description="'auto': logprobs where the backend offers them"
    )
    max_reasks: int = Field(
        default=2, ge=0, le=20, description="re-asks after an unparseable reply"
    )

    def planned(self) -> dict[str, Any]:
        update = super().planned()
        if self.probabilities == "auto":  # the method the real backend would get
            offers = getattr(self.backend, "offers_logprobs", lambda: False)()
            update["probabilities"] = "logprobs" if offers else "stated"
        return update


@register("judge", "model", ModelJudgeSpec)
def model_judge(spec: ModelJudgeSpec, components: Components) -> Judge:
    return ModelJudge(
        build_model(spec, components),
        components.prompts,
        probabilities=spec.probabilities,
        max_reasks=spec.max_reasks,
    )


@register("debater", "model", ModelDebaterSpec)
def model_debater(spec: ModelDebaterSpec, components: Components) -> Debater:
    model = build_model(spec, components)
    base = ModelDebater(model, components.prompts)
    if spec.best_of == 1:
        return base
    if spec.preference is None:
        ranker = ModelJudge(model, components.prompts)
    else:
        ranker = ModelJudge(build_model(spec.preference, components), components.prompts)
    return BestOfNDebater(base, spec.best_of, ranker, components.context.evidence)


class MajorityJudgeSpec(Spec):
    """Multi-agent debate's judge: the majority of the agents' last answers (no model)."""

    kind: Literal["majority"] = "majority"
    name: str = Field(default="majority", description="label in results")

    def label(self) -> str:
        return self.name


@register("judge", "majority", MajorityJudgeSpec)
def majority_judge(spec: MajorityJudgeSpec, components: Components) -> Judge:
    from judges.majority import MajorityJudge

    return MajorityJudge(spec.name)


class HumanJudgeSpec(Spec):
    """A person judging at this terminal (``debate judge --live`` puts one in the config)."""

    kind: Literal["human"] = "human"
    id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="the judge's id; results label the cell 'human:<id>'",
    )

    def label(self) -> str:
        return f"human:{self.id}"


@register("judge", "human", HumanJudgeSpec)
def human_judge(spec: HumanJudgeSpec, components: Components) -> Judge:
    # A person needs the terminal to themselves, one debate at a time, watching it run.
    raise ConfigError(f"judge human:{spec.id} judges with `debate judge --live`, not here")


class TreeSumJudgeSpec(Spec):
    """The simulated judge of tree-sum claims (docs/recursive-debate.md)."""

    kind: Literal["treesum"] = "treesum"
    name: str | None = Field(default=None, description="label in results")
    errors: list[AnyErrorModel] = Field(default_factory=list, description="applied in order")
    budget: int = Field(default=1, ge=1, le=2**20, description="leaves a naive judge reads")
    confidence: float = Field(default=0.9, gt=0.5, lt=1, description="its stated certainty")
    oracle_error: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="stochastic oracle: chance each query of a check is answered wrongly",
    )
    queries: int = Field(
        default=1, ge=1, le=10_000, description="oracle queries per check (majority decides)"
    )

    def label(self) -> str:
        return self.name or "treesum-judge"


@register("judge", "treesum", TreeSumJudgeSpec)
def treesum_judge(spec: TreeSumJudgeSpec, components: Components) -> Judge:
    return TreeSumJudge(
        spec.errors,
        budget=spec.budget,
        confidence=spec.confidence,
        oracle_error=spec.oracle_error,
        queries=spec.queries,
    )


class TreeSumDebaterSpec(Spec):
    """Simulated tree-sum debaters; ``aware_of`` lists the judge errors liars steer to."""

    kind: Literal["treesum"] = "treesum"
    name: str | None = Field(default=None, description="label in results")
    search: int | None = Field(default=None, ge=0, description="challenger checks; None: all")
    aware_of: list[SystematicError] = Field(
        default_factory=list, description="the judge's systematic errors an aware liar uses"
    )

    def label(self) -> str:
        return self.name or "treesum-sim"


@register("debater", "treesum", TreeSumDebaterSpec)
def treesum_debater(spec: TreeSumDebaterSpec, components: Components) -> Debater:
    return TreeSumDebater(search=spec.search, blind_spots=spec.aware_of)


class ProverEstimatorSimSpec(Spec):
    """Simulated players of prover-estimator debate on tree-sum claims (both seats)."""

    kind: Literal["prover-estimator-sim"] = "prover-estimator-sim"
    name: str | None = Field(default=None, description="label in results")
    search: int | None = Field(
        default=None, ge=0, description="sub-claims the prover checks per level; None: all"
    )
    judge_error: float = Field(
        default=0.0, ge=0, le=1, description="the judge's leaf error, as the players know it"
    )
    shade: float = Field(
        default=0.0, ge=0, le=1, description="the estimator's cut of a true root claim"
    )
    estimator: Literal["shares", "own"] = Field(
        default="shares",
        description="the estimator checks the prover's sub-claims ('shares') or its own",
    )

    def label(self) -> str:
        return self.name or "prover-estimator-sim"


@register("debater", "prover-estimator-sim", ProverEstimatorSimSpec)
def prover_estimator_debater(spec: ProverEstimatorSimSpec, components: Components) -> Debater:
    return ProverEstimatorPlayer(
        search=spec.search, judge_error=spec.judge_error, shade=spec.shade, estimator=spec.estimator
    )
