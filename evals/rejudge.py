"""The ``rejudge`` experiment: judge the stored debates of a run again, with many judges,
without regenerating a single debate (judge-size scans, as in Kenton et al. 2024).

Each job is one stored transcript and one judge spec (data, like a debate job): the judge
reads exactly what the debate's judge saw (``transcripts.judgments.judge_view``), and the
result is stored as a transcript of its own, the same debate with this judge's verdict, in
a cell whose ``judge`` is this judge. ``debate report`` puts them beside the source run's
own verdicts. Resume, dedup, budget and progress are the one runner's.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

from debate.components import Components, RoleContext
from debate.errors import ConfigError
from debate.failures import describe_error, role
from debate.progress import DebateObserver
from debate.quotes import EvidencePolicy
from debate.registry import JudgeField, Spec, label, register
from debate.roles import Judge
from debate.types import Transcript
from evals.experiments import RunOptions, RunUI
from evals.rundir import TRANSCRIPTS
from transcripts.judgments import Judgment, judge_view, rejudged


class RejudgeConfig(Spec):
    """Judges over the debates of an existing run directory."""

    type: Literal["rejudge"] = "rejudge"
    name: str = Field(default="rejudge", description="title of the report")
    plugins: list[str] = Field(
        default_factory=list,
        description="modules imported before the config is read: the kinds they register",
    )
    note: str | None = Field(default=None, max_length=2000, description="shown with results")
    source: str = Field(description="run directory whose transcripts are judged again")
    judges: list[JudgeField] = Field(min_length=1)
    limit: int | None = Field(default=None, ge=1, description="judge only the first N debates")
    concurrency: int = Field(default=32, ge=1, le=100_000, description="verdicts at once")
    quick_debates: int = Field(default=20, ge=1, description="debates judged with --quick")
    prompts: str | None = Field(default=None, description="TOML file overriding prompts")
    evidence: EvidencePolicy = Field(default_factory=EvidencePolicy)

    def quick(self) -> RejudgeConfig:
        limit = min(self.limit or self.quick_debates, self.quick_debates)
        return self.model_copy(update={"limit": limit, "name": f"{self.name} (quick)"})

    def source_transcripts(self) -> list[Transcript]:
        """The source run's finished debates (failed ones have nothing to judge)."""
        from transcripts.store import read_transcripts

        _, stored = read_transcripts(Path(self.source) / TRANSCRIPTS)
        return [t for t in stored.transcripts if t.error is None][: self.limit]


class RejudgeJob(BaseModel):
    """One stored debate and one judge, as data."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["rejudge"] = "rejudge"
    debate_id: str
    transcript: Transcript
    judge: JudgeField
    context: RoleContext = RoleContext()

    async def run(
        self, components: Components, observer: DebateObserver | None = None
    ) -> Transcript:
        judge: Judge = components.build("judge", self.judge, self.context)
        started = time.time()
        source = self.transcript
        try:
            async with role("judge"):
                verdict = await judge(judge_view(source))
        except Exception as exc:  # recorded, counted wrong, rerun by --retry-failed
            return source.model_copy(
                update={
                    "debate_id": self.debate_id,
                    "cell": {**source.cell, "judge": label(self.judge)},
                    "judge": judge.describe(),
                    "verdict": None,
                    "correct": False,
                    "p_correct": None,
                    "error": describe_error(exc),
                }
            )
        judgment = Judgment(
            judge=judge.describe().model_copy(update={"name": label(self.judge)}),
            debate_id=source.debate_id,
            verdict=verdict,
            started_at=started,
            finished_at=time.time(),
        )
        return rejudged(source, judgment).model_copy(update={"debate_id": self.debate_id})


def rejudge_jobs(config: RejudgeConfig, transcripts: list[Transcript]) -> list[RejudgeJob]:
    from evals.build import role_context

    context = role_context(config)
    return [
        RejudgeJob(
            debate_id=f"{t.debate_id}@{label(judge)}",
            transcript=t,
            judge=judge,
            context=context,
        )
        for judge in config.judges
        for t in transcripts
    ]


class RejudgeExperiment:
    type: ClassVar[str] = "rejudge"

    def run(self, config: RejudgeConfig, run_dir: Path, options: RunOptions, ui: RunUI) -> None:
        import asyncio

        from debate.runner import InProcessExecutor, run_jobs
        from evals.eval_experiment import report_transcripts
        from evals.experiments import executor_for
        from evals.rundir import prepare_run_dir
        from transcripts.store import JsonlStore

        options.refuse("rejudge runs", "--dry-run")
        if Path(config.source).resolve() == run_dir.resolve():
            raise ConfigError("a rejudge run writes to its own --out, not to its source run")
        transcripts = config.source_transcripts()
        if not transcripts:
            raise ConfigError(f"{config.source} holds no finished debate to judge")
        jobs = rejudge_jobs(config, transcripts)
        components = Components(data_root=options.data_root)
        for judge in config.judges:  # every judge is built (and checked) before writing
            components.build("judge", judge, jobs[0].context)
        prepare_run_dir(run_dir, config, options.resume or options.retry_failed)
        store = JsonlStore(run_dir / TRANSCRIPTS)
        executor = executor_for(options) or InProcessExecutor(config.concurrency, components)

        ran = asyncio.run(
            run_jobs(
                jobs,
                store,
                executor,
                progress=ui.progress("verdicts"),
                max_cost_usd=options.max_cost_usd,
                retry_failed=options.retry_failed,
                components=components,
            )
        )
        report_transcripts(run_dir, ui)
        failed = sum(t.error is not None for t in ran)
        ui.say(f"judged {len(ran)} debates again ({failed} failed); run directory: {run_dir}")

    def report(self, config: RejudgeConfig, run_dir: Path, ui: RunUI) -> None:
        from evals.eval_experiment import report_transcripts

        report_transcripts(run_dir, ui)


@register("experiment", "rejudge", RejudgeConfig)
def rejudge_experiment(config: RejudgeConfig, components: Any) -> RejudgeExperiment:
    return RejudgeExperiment()
