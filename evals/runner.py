"""Run an eval into a run directory, and (re)build its results and report.

A run directory holds ``config.json``, ``transcripts.jsonl`` (append-only), ``results.csv``,
``results.json``, ``report.md`` and ``plots/``. Results are always recomputed from the
transcripts, so ``debate report`` after a resumed or merged run is exact.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from debate.components import Components
from debate.progress import DebateObserver, ProgressReporter
from debate.roles import Judge
from debate.runner import Executor, InProcessExecutor, RunStopped, pending_jobs, run_jobs
from debate.types import Transcript
from evals.build import build_jobs, eval_cells
from evals.config import DebateRunConfig
from evals.datasets import load_questions
from evals.experiments import recorded_config
from evals.plan import require_prices
from evals.report import write_report
from evals.results import CellResult, atomic_write, csv_text, summarize, write_results
from evals.rundir import TRANSCRIPTS, prepare_run_dir
from transcripts.judgments import JUDGMENTS, JudgmentStore, rejudged_all
from transcripts.store import JsonlStore, read_transcripts, skipped_note


@dataclass
class RunOutcome:
    run_dir: Path
    results: list[CellResult]
    ran: int
    skipped: int
    failed: int
    seconds: float
    not_started: int = 0
    """Debates left for a later ``--resume`` because ``max_cost_usd`` was reached."""
    cost_usd: float = 0.0
    """What the debates run by this call cost."""
    first_error: str | None = None
    """The error of the first debate of this call that failed."""


def run_eval(
    config: DebateRunConfig,
    run_dir: Path,
    *,
    resume: bool = False,
    progress: ProgressReporter | None = None,
    data_root: Path | None = None,
    judges: Mapping[str, Judge] | None = None,
    observer: DebateObserver | None = None,
    max_cost_usd: float | None = None,
    retry_failed: bool = False,
    executor: Executor | None = None,
) -> RunOutcome:
    """Run every debate of ``config`` not yet stored in ``run_dir``, then write results.

    ``judges`` replaces the config's judges of those names by ready-made ones, and
    ``observer`` watches each debate as it runs (a human judging live does both).
    Once ``max_cost_usd`` is spent no new debate starts (see ``run_many``). With
    ``retry_failed`` (and ``resume``) the debates stored as failures run again, replacing
    their records. A ``RunStopped`` (a rejected API key) is raised after the results of what
    did run are written. ``executor`` runs the debates (default: in this process,
    ``config.concurrency`` at once, sharing the roles built to check the config).
    """
    questions = load_questions(config.dataset, data_root, config.limit)
    if max_cost_usd is not None:
        require_prices(config)
    given = {("judge", name): judge for name, judge in (judges or {}).items()}
    components = Components(data_root=data_root, given=given)
    jobs = build_jobs(config, questions, components)
    prepare_run_dir(run_dir, config, resume)
    store = JsonlStore(run_dir / TRANSCRIPTS)
    pending = len(pending_jobs(jobs, store, retry_failed))
    executor = executor or InProcessExecutor(config.concurrency, components)
    start = time.perf_counter()
    try:
        ran = asyncio.run(
            run_jobs(
                jobs,
                store,
                executor,
                progress=progress,
                observer=observer,
                max_cost_usd=max_cost_usd,
                retry_failed=retry_failed,
                components=components,
            )
        )
    except RunStopped:
        if store.path.exists():
            write_outputs(run_dir, config.name)
        raise
    seconds = time.perf_counter() - start
    results = write_outputs(run_dir, config.name)
    return RunOutcome(
        run_dir=run_dir,
        results=results,
        ran=len(ran),
        skipped=len(jobs) - pending,
        failed=sum(t.error is not None for t in ran),
        seconds=seconds,
        not_started=pending - len(ran),
        cost_usd=sum(t.usage.cost_usd for t in ran),
        first_error=next((t.error for t in ran if t.error is not None), None),
    )


def write_outputs(
    run_dir: Path, title: str | None = None, on_skip: Callable[[str], None] | None = None
) -> list[CellResult]:
    """Recompute results, report and plots from the stored transcripts.

    Judgments given later on these debates (``judgments.jsonl``: ``debate judge``) count as
    verdicts in cells of their own, judge ``human:<id>``, exactly like a model judge's.
    Cells follow the order of the run's config when it is known, else first appearance. A
    run that has stored nothing yet (``--max-cost 0``) gets an empty report; unreadable
    lines are skipped, counted in the report and passed to ``on_skip``.
    """
    target, stored = read_transcripts(run_dir / TRANSCRIPTS, allow_empty=True)
    transcripts, bad_lines = stored.transcripts, stored.bad_lines
    skipped = skipped_note(target, stored)
    if skipped is not None and on_skip is not None:
        on_skip(skipped)
    config = recorded_config(run_dir)
    source = getattr(config, "source_transcripts", None)
    sourced = source() if callable(source) else []  # a rejudge run: the debates' own verdicts
    loaded = JudgmentStore(run_dir / JUDGMENTS).load()
    judgments = loaded.records
    rejudged, unmatched = rejudged_all(transcripts, judgments)
    results = summarize([*sourced, *transcripts, *rejudged])
    title = title or getattr(config, "name", None)
    note: str | None = getattr(config, "note", None)
    if isinstance(config, DebateRunConfig):
        order = [json.dumps(cell.params, sort_keys=True) for cell in eval_cells(config)]
        rank = {key: i for i, key in enumerate(order)}
        results.sort(key=lambda r: rank.get(json.dumps(r.cell, sort_keys=True), len(rank)))
    write_results(run_dir, results)
    meta: dict[str, object] = {"run directory": str(run_dir), "debates": len(transcripts)}
    if sourced:
        meta["source run (its own verdicts included)"] = str(getattr(config, "source", ""))
    if note:
        meta["note"] = note
    if judgments:
        meta[f"judgments ({JUDGMENTS})"] = len(rejudged)
    if unmatched:
        meta["judgments of debates not in this run (left out)"] = unmatched
    if bad_lines:
        meta[f"unreadable lines in {TRANSCRIPTS} (skipped)"] = len(bad_lines)
    if loaded.bad_lines:
        meta[f"unreadable lines in {JUDGMENTS} (skipped)"] = len(loaded.bad_lines)
    write_report(run_dir, results, title=title or run_dir.name, meta=meta)
    write_paired(run_dir, [*sourced, *transcripts, *rejudged])
    return results


def write_paired(run_dir: Path, transcripts: list[Transcript]) -> None:
    """``paired.csv`` and the report's paired-differences section, where a baseline ran."""
    from evals.paired import paired_differences, paired_section
    from evals.report import append_section

    differences = paired_differences(transcripts)
    if not differences:
        return
    atomic_write(run_dir / "paired.csv", csv_text([d.row() for d in differences]))
    append_section(run_dir, paired_section(differences))
