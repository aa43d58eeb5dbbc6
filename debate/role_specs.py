"""The built-in debater kinds, and the model-role spec that model debaters and judges share.

Each kind is a spec (its config table) and a factory registered beside it; configs name the
kind, and ``debate.components.Components`` builds it where the debate runs. The model
debater's factory lives with the judges (``judges.specs``): best-of-N ranks with a judge.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from debate.domains.evidence import EvidenceDebater
from debate.models import Model, ModelConfig
from debate.models.backend_specs import dry_backend
from debate.models.gates import limited
from debate.registry import BackendField, Spec, register
from debate.roles import Debater

if TYPE_CHECKING:
    from debate.components import Components


class SimulatedDebaterSpec(Spec):
    """Honest on the correct answer, lying otherwise (evidence domain); ``skill`` is the
    chance that it finds its best move on a turn (else it cites nothing), so debaters of
    graded, known strength can be played against each other (tournaments)."""

    kind: Literal["simulated"] = "simulated"
    name: str | None = Field(default=None, description="label in results")
    skill: float = Field(
        default=1.0, ge=0, le=1, description="chance of finding the best move each turn"
    )
    belief: float = Field(
        default=1.0,
        ge=0,
        le=1,
        description="in an open seat (open roles), the chance it chooses the correct answer",
    )

    def label(self) -> str:
        if self.name is not None:
            return self.name
        base = "simulated" if self.skill == 1 else f"simulated-{self.skill:g}"
        return base if self.belief == 1 else f"{base}-belief-{self.belief:g}"


@register("debater", "simulated", SimulatedDebaterSpec)
def simulated_debater(spec: SimulatedDebaterSpec, components: Components) -> Debater:
    # Unnamed, the transcripts' agent is still called what it always was.
    default = "evidence-sim" if spec.skill == 1 else f"evidence-sim-{spec.skill:g}"
    return EvidenceDebater(spec.name or default, skill=spec.skill, belief=spec.belief)


class SimulatedAgentSpec(Spec):
    """A multi-agent debate agent of known accuracy and persuadability
    (``debate.domains.agents``); any question, since it knows the correct answer."""

    kind: Literal["simulated-agent"] = "simulated-agent"
    name: str | None = Field(default=None, description="label in results")
    accuracy: float = Field(default=0.6, ge=0, le=1, description="chance its first answer is right")
    truth_pull: float = Field(
        default=0.5, ge=0, le=1, description="how readily a wrong agent takes the right answer"
    )
    error_pull: float = Field(
        default=0.1, ge=0, le=1, description="how readily a right agent takes a wrong answer"
    )

    def label(self) -> str:
        return self.name or f"agent-{self.accuracy:g}"

    def majority_theory(self, agents: int, rounds: int) -> list[float]:
        """The majority's exact expected score after each round (two shown answers)."""
        from debate.domains.agents import majority_accuracy

        return majority_accuracy(agents, self.accuracy, self.truth_pull, self.error_pull, rounds)


@register("debater", "simulated-agent", SimulatedAgentSpec)
def simulated_agent(spec: SimulatedAgentSpec, components: Components) -> Debater:
    from debate.domains.agents import SimulatedAgent

    return SimulatedAgent(spec.accuracy, spec.truth_pull, spec.error_pull, name=spec.label())


class ModelRoleSpec(Spec):
    """A model-backed debater or judge."""

    kind: Literal["model"] = "model"
    name: str | None = Field(default=None, description="label in results; default: model id")
    backend: BackendField
    model: ModelConfig

    def label(self) -> str:
        return self.name or self.model.model

    def planned(self) -> dict[str, Any]:
        """The fields a ``--dry-run`` replaces: an offline backend, no response cache (the
        name stays: it is part of the cells and debate ids)."""
        return {
            "backend": dry_backend(),
            "model": self.model.model_copy(update={"cache_dir": None}),
        }


def build_model(spec: ModelRoleSpec, components: Components) -> Model:
    """A fresh model for one role (as before: roles do not share a concurrency limit),
    closed with the components."""
    backend = components.make("backend", spec.backend)
    gate = None
    limits = limited(spec.model.max_concurrency, spec.model.requests_per_minute)
    if limits and backend.limits_are_shared:  # one gate for all workers' copies of the role
        role = f"{type(spec).__qualname__}|{spec.model_dump_json()}|{components.context.key()}"
        gate = components.gate(role, spec.model)
    model = Model(backend, spec.model, name=spec.name, gate=gate)
    components.on_close(model.aclose)
    return model


class ModelDebaterSpec(ModelRoleSpec):
    """A model debater; with ``best_of`` > 1, the best of N sampled speeches is kept."""

    best_of: int = Field(
        default=1, ge=1, le=64, description="candidate speeches per turn (best-of-N)"
    )
    preference: ModelRoleSpec | None = Field(
        default=None,
        description="model judge that ranks best-of-N candidates; None: the debater's model",
    )

    def planned(self) -> dict[str, Any]:
        update = super().planned()
        if self.preference is not None:
            update["preference"] = self.preference.model_copy(update=self.preference.planned())
        return update
