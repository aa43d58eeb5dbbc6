"""The ``multi-agent`` experiment: multi-agent debates as an eval (same jobs, runner,
executors, resume), then the majority's accuracy round by round from what is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from debate.registry import register
from evals.eval_experiment import EvalExperiment, report_transcripts
from evals.experiments import RunOptions, RunUI
from evals.multi_agent.config import MultiAgentConfig
from evals.rundir import TRANSCRIPTS


class MultiAgentExperiment(EvalExperiment[MultiAgentConfig]):
    type: ClassVar[str] = "multi-agent"

    def run(self, config: MultiAgentConfig, run_dir: Path, options: RunOptions, ui: RunUI) -> None:
        try:
            super().run(config, run_dir, options, ui)
        finally:  # what did run is analysed even when the run stopped early
            if not options.dry_run and (run_dir / TRANSCRIPTS).exists():
                self._analyse(config, run_dir, ui)

    def report(self, config: MultiAgentConfig, run_dir: Path, ui: RunUI) -> None:
        report_transcripts(run_dir, ui)
        self._analyse(config, run_dir, ui)

    def _analyse(self, config: MultiAgentConfig, run_dir: Path, ui: RunUI) -> None:
        from evals.multi_agent.report import rounds_table, write_multi_agent

        ui.show(rounds_table(write_multi_agent(run_dir, config), config.name))


@register("experiment", "multi-agent", MultiAgentConfig)
def multi_agent_experiment(config: MultiAgentConfig, components: Any) -> MultiAgentExperiment:
    return MultiAgentExperiment()
