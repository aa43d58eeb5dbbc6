"""The ``sweep`` experiment: the judge-error x depth grid, simulated cell by cell."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from debate.registry import register
from evals.experiments import RunOptions, RunUI, executor_for
from evals.sweep.grid import SweepConfig


class SweepExperiment:
    type: ClassVar[str] = "sweep"

    def run(self, config: SweepConfig, run_dir: Path, options: RunOptions, ui: RunUI) -> None:
        from evals.sweep.report import headline_table
        from evals.sweep.runner import run_sweep

        options.refuse("sweeps", "--dry-run", "--max-cost", "--retry-failed")
        progress = ui.progress("cells", every=None)
        outcome = run_sweep(
            config,
            run_dir,
            resume=options.resume,
            progress=progress,
            executor=executor_for(options),
        )
        ui.show(headline_table(outcome.rows, config.name))
        debates = outcome.ran * config.debates_per_cell
        ui.say(
            f"simulated {outcome.ran} cells ({debates} debates) in {outcome.seconds:.1f} s wall "
            f"time ({outcome.skipped} cells already stored); report in "
            f"{outcome.report_seconds:.1f} s"
        )
        ui.say(f"run directory: {outcome.run_dir}")

    def report(self, config: SweepConfig | None, run_dir: Path, ui: RunUI) -> None:
        from evals.sweep.report import headline_table, rebuild_sweep_report

        ui.show(headline_table(rebuild_sweep_report(run_dir, config), str(run_dir)))


@register("experiment", "sweep", SweepConfig)
def sweep_experiment(config: SweepConfig, components: Any) -> SweepExperiment:
    return SweepExperiment()
