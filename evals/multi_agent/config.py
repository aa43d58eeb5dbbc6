"""Configuration of a multi-agent debate run (``type = "multi-agent"``).

A debate run like an eval (dataset, judges, seeds, executors, resume), whose protocols are
the multi-agent debates of each agent count in ``agents``, each ``rounds`` long. The
accuracy after every earlier round is read from the same debates (an agent's answers of
round r do not depend on what comes after), so one run gives the whole curve.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field, model_validator

from debate.jobs import SeatSpecs
from debate.registry import DebaterField, JudgeField, Spec
from debate.role_specs import SimulatedAgentSpec
from evals.config import DebateRunConfig, Lineup, quick_role
from judges.specs import MajorityJudgeSpec
from protocols.multi_agent import MAX_AGENTS

if TYPE_CHECKING:
    from debate.protocol import Protocol


def _majority() -> list[Spec]:
    return [MajorityJudgeSpec()]


class MultiAgentConfig(DebateRunConfig):
    """N agents answering for R rounds, majority (or any judge) deciding."""

    type: Literal["multi-agent"] = Field(default="multi-agent", description="the experiment type")
    name: str = Field(default="multi-agent debate", description="title of the report")
    agents: list[int] = Field(default=[1, 3, 5], min_length=1, description="agent counts")
    rounds: int = Field(default=3, ge=1, le=20, description="rounds of answers in each debate")
    debater: DebaterField = Field(
        default_factory=SimulatedAgentSpec, description="plays every agent"
    )
    judges: list[JudgeField] = Field(default_factory=lambda: _majority(), min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _protocols(cls, data: Any) -> Any:
        """The protocols follow from ``agents`` and ``rounds`` (a config names neither)."""
        if isinstance(data, dict) and "protocols" not in data:
            agents = data.get("agents", [1, 3, 5])
            rounds = data.get("rounds", 3)
            if isinstance(agents, list):
                data = {
                    **data,
                    "protocols": [
                        {"name": "multi-agent", "settings": {"agents": n, "rounds": rounds}}
                        for n in agents
                    ],
                }
        return data

    @model_validator(mode="after")
    def _agents(self) -> MultiAgentConfig:
        bad = [n for n in self.agents if not 1 <= n <= MAX_AGENTS]
        if bad:
            raise ValueError(f"agents must lie in 1..{MAX_AGENTS}, not {bad[0]}")
        if len(set(self.agents)) != len(self.agents):
            raise ValueError("agents lists an agent count twice")
        derived = [(n, self.rounds) for n in self.agents]
        given = [(p.settings.get("agents"), p.settings.get("rounds")) for p in self.protocols]
        if {p.name for p in self.protocols} != {"multi-agent"} or given != derived:
            raise ValueError(
                "a multi-agent run's protocols follow from its agents and rounds: list none"
            )
        return self

    def lineups(self, protocol: Protocol) -> list[Lineup]:
        return [Lineup({}, SeatSpecs(default=self.debater))]

    def debater_specs(self) -> list[Spec]:
        return [self.debater]

    def quick_debaters(self) -> dict[str, Any]:
        return {"debater": quick_role(self.debater)}
