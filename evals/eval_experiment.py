"""The ``eval`` experiment: every protocol x judge cell over every question of a dataset.

``run`` plans data jobs from the config and runs them through ``debate.runner.run_jobs``
on the chosen executor; ``report`` recomputes results from the stored transcripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar, Generic, TypeVar

from debate.registry import register
from evals.config import DebateRunConfig, EvalConfig
from evals.experiments import RunOptions, RunUI, executor_for, fail
from evals.results import CellResult
from evals.rundir import TRANSCRIPTS

C = TypeVar("C", bound=DebateRunConfig)


class EvalExperiment(Generic[C]):
    """Runs any debate-run config (``C``): a subclass adds what its type reports."""

    type: ClassVar[str] = "eval"

    def run(self, config: C, run_dir: Path, options: RunOptions, ui: RunUI) -> None:
        try:
            self._run(config, run_dir, options, ui)
        finally:  # what did run is analysed even when the run stopped early
            if not options.dry_run and (run_dir / TRANSCRIPTS).exists():
                self.analyse(config, run_dir, ui)

    def analyse(self, config: C, run_dir: Path, ui: RunUI) -> None:
        """What a type adds to the cells' report, from the stored debates. An eval adds the
        split by the protagonist's side where a protocol has one (consultancy, open roles):
        the debates are read again only then."""
        from evals.open_roles import open_roles_table, write_open_roles
        from transcripts.store import read_transcripts

        if not any(spec.build().protagonist for spec in config.protocols):
            return
        _, stored = read_transcripts(run_dir / TRANSCRIPTS, allow_empty=True)
        split = write_open_roles(run_dir, stored.transcripts)
        if split:
            ui.show(open_roles_table(split, config.name))

    def _run(self, config: C, run_dir: Path, options: RunOptions, ui: RunUI) -> None:
        from debate.progress import progress_observer
        from evals.runner import run_eval

        if options.dry_run:
            self._dry_run(config, run_dir, options, ui)
            return
        progress = ui.progress("debates")
        executor = executor_for(options)
        outcome = run_eval(
            config,
            run_dir,
            resume=options.resume or options.retry_failed,
            progress=progress,
            data_root=options.data_root,
            # In this process the engine can tell the heartbeat what is in flight.
            observer=progress_observer(progress) if executor is None else None,
            max_cost_usd=options.max_cost_usd,
            retry_failed=options.retry_failed,
            executor=executor,
        )
        self.show_results(outcome.results, config, ui)
        if config.note:
            ui.say(f"note: {config.note}")
        ui.say(
            f"ran {outcome.ran} debates in {outcome.seconds:.1f} s "
            f"({outcome.skipped} already stored, {outcome.failed} failed); "
            f"cost ${outcome.cost_usd:.4f}"
        )
        if outcome.not_started:
            ui.say(
                f"stopped: --max-cost ${options.max_cost_usd:g} reached; {outcome.not_started} "
                "debates not started (rerun with --resume to continue)"
            )
        ui.say(f"run directory: {outcome.run_dir}")
        if outcome.ran and outcome.failed == outcome.ran:
            fail(
                f"all {outcome.ran} debates failed (first: {outcome.first_error}); they are "
                "stored as failures: fix the cause and rerun with --retry-failed"
            )
        if outcome.failed:
            ui.warn(
                f"{outcome.failed} of {outcome.ran} debates failed (first: "
                f"{outcome.first_error}); they count as wrong; rerun them with --retry-failed"
            )

    def show_results(self, results: list[CellResult], config: C, ui: RunUI) -> None:
        """The terminal's view of the cells (a tournament's many pairings show a summary)."""
        from evals.report import results_table

        ui.show(results_table(results, config.name))

    def _dry_run(
        self, config: DebateRunConfig, run_dir: Path, options: RunOptions, ui: RunUI
    ) -> None:
        """Print the calls and estimated cost of a run; call no model and write nothing."""
        from evals.plan import plan_eval, plan_table

        stored = run_dir if options.resume or options.retry_failed else None
        plan = plan_eval(config, stored, options.data_root, retry_failed=options.retry_failed)
        ui.show(plan_table(plan, config.name))
        ui.say(
            f"dry run: {plan.debates} debates planned ({plan.stored} already stored), "
            f"{plan.usage.calls} model calls, estimated cost ${plan.usage.cost_usd:.4f} "
            "(outputs counted at max_tokens; nothing was called or written)"
        )

    def report(self, config: C, run_dir: Path, ui: RunUI) -> None:
        report_transcripts(run_dir, ui)
        self.analyse(config, run_dir, ui)


def report_transcripts(run_dir: Path, ui: RunUI) -> None:
    """Results, report and plots of the debates stored in ``run_dir`` (any experiment whose
    records are transcripts)."""
    from evals.report import results_table
    from evals.runner import write_outputs

    results = write_outputs(run_dir, on_skip=ui.warn)
    if not results:
        ui.warn(f"{run_dir} holds no finished debate yet: the report is empty")
    ui.show(results_table(results, str(run_dir)))


@register("experiment", "eval", EvalConfig)
def eval_experiment(config: EvalConfig, components: Any) -> EvalExperiment[EvalConfig]:
    return EvalExperiment()
