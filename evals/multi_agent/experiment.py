"""The ``multi-agent`` experiment: multi-agent debates as an eval (same jobs, runner,
executors, resume), then the majority's accuracy round by round from what is stored
(``analyse``, which the base runs after a run and in a report)."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from debate.registry import register
from evals.eval_experiment import EvalExperiment
from evals.experiments import RunUI
from evals.multi_agent.config import MultiAgentConfig


class MultiAgentExperiment(EvalExperiment[MultiAgentConfig]):
    type: ClassVar[str] = "multi-agent"

    def analyse(self, config: MultiAgentConfig, run_dir: Path, ui: RunUI) -> None:
        from evals.multi_agent.report import rounds_table, write_multi_agent

        ui.show(rounds_table(write_multi_agent(run_dir, config), config.name))


@register("experiment", "multi-agent", MultiAgentConfig)
def multi_agent_experiment(config: MultiAgentConfig, components: Any) -> MultiAgentExperiment:
    return MultiAgentExperiment()
