"""The ``irving-mnist`` experiment: the sparse-pixel MNIST debate of Irving et al. 2018."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any, ClassVar

from debate.registry import register
from evals.experiments import RunOptions, RunUI, executor_for
from evals.mnist.config import MnistDebateConfig


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class MnistExperiment:
    type: ClassVar[str] = "irving-mnist"

    def run(self, config: MnistDebateConfig, run_dir: Path, options: RunOptions, ui: RunUI) -> None:
        from evals.mnist.runner import run_mnist
        from evals.mnist.table import results_table

        what = "the MNIST preset"
        options.refuse(what, "--dry-run", "--max-cost", "--retry-failed")
        outcome = run_mnist(
            config,
            run_dir,
            resume=options.resume,
            data_root=options.data_root,
            log=_log,
            executor=executor_for(options),  # None: the games are played in this process
        )
        ui.show(results_table(outcome.rows, config))
        total = outcome.timing.get("total_seconds", 0.0)
        ui.say(
            f"played {outcome.games_played} games ({outcome.games_skipped} already stored) "
            f"in {total:.1f} s wall time\nreport: {outcome.run_dir / 'report.md'}\n"
            f"run directory: {outcome.run_dir}"
        )

    def report(self, config: MnistDebateConfig, run_dir: Path, ui: RunUI) -> None:
        from evals.mnist.report import write_outputs
        from evals.mnist.table import results_table

        ui.show(results_table(write_outputs(run_dir, config), config))


@register("experiment", "irving-mnist", MnistDebateConfig)
def mnist_experiment(config: MnistDebateConfig, components: Any) -> MnistExperiment:
    return MnistExperiment()
