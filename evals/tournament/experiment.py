"""The ``tournament`` experiment: cross-play debates as an eval (same jobs, runner,
executors, resume and dry run), then ratings and the two analyses from what is stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from debate.registry import register
from evals.eval_experiment import EvalExperiment
from evals.experiments import RunUI
from evals.results import CellResult
from evals.tournament.config import TournamentConfig


class TournamentExperiment(EvalExperiment[TournamentConfig]):
    type: ClassVar[str] = "tournament"

    def show_results(self, results: list[CellResult], config: TournamentConfig, ui: RunUI) -> None:
        debates = sum(r.n for r in results)
        ui.say(
            f"{len(results)} cells (protocol x judge x pairing), {debates} debates: each cell's "
            "accuracy is in results.csv and report.md"
        )

    def report(self, config: TournamentConfig, run_dir: Path, ui: RunUI) -> None:
        from evals.runner import write_outputs

        results = write_outputs(run_dir, on_skip=ui.warn)
        if not results:
            ui.warn(f"{run_dir} holds no finished debate yet: the report is empty")
        self.show_results(results, config, ui)
        self.analyse(config, run_dir, ui)

    def analyse(self, config: TournamentConfig, run_dir: Path, ui: RunUI) -> None:
        from evals.tournament.report import ratings_table, write_tournament

        report = write_tournament(run_dir, config)
        if report.setting.rating_protocol is None:
            ui.warn("no protocol has two debaters: the players are not rated")
        ui.show(ratings_table(report, config.name))
        ui.say(f"tournament report: {run_dir / 'report.md'} (ratings.csv, crossplay.csv, plots/)")


@register("experiment", "tournament", TournamentConfig)
def tournament_experiment(config: TournamentConfig, components: Any) -> TournamentExperiment:
    return TournamentExperiment()
