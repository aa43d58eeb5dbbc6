"""Run an eval into a run directory, and (re)build its results and report.

A run directory holds ``config.json``, ``transcripts.jsonl`` (append-only), ``results.csv``,
``results.json``, ``report.md`` and ``plots/``. Results are always recomputed from the
transcripts, so ``debate report`` after a resumed or merged run is exact.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass
from pathlib import Path

from debate.engine import run_many
from debate.errors import ConfigError
from debate.progress import ProgressReporter
from evals.build import build_jobs, eval_cells
from evals.config import EvalConfig, parse_config
from evals.datasets import load_questions
from evals.report import write_report
from evals.results import CellResult, summarize, write_results
from transcripts.store import JsonlStore, load_transcripts

TRANSCRIPTS = "transcripts.jsonl"
CONFIG = "config.json"


@dataclass
class RunOutcome:
    run_dir: Path
    results: list[CellResult]
    ran: int
    skipped: int
    failed: int
    seconds: float


def _prepare(run_dir: Path, config: EvalConfig, resume: bool) -> None:
    """Refuse to mix runs: never append to another config's transcripts by accident."""
    store_path = run_dir / TRANSCRIPTS
    saved = run_dir / CONFIG
    if store_path.exists() and store_path.stat().st_size > 0 and not resume:
        raise ConfigError(
            f"{run_dir} already holds transcripts; pass --resume to continue "
            "it or choose another --out"
        )
    if resume and saved.exists():
        previous = json.loads(saved.read_text())
        if previous != config.model_dump(mode="json"):
            raise ConfigError(
                f"{run_dir} was started with a different config; "
                "resume with the same preset and flags"
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(config.model_dump(mode="json"), indent=2) + "\n")


def run_eval(
    config: EvalConfig,
    run_dir: Path,
    *,
    resume: bool = False,
    progress: ProgressReporter | None = None,
    data_root: Path | None = None,
) -> RunOutcome:
    """Run every debate of ``config`` not yet stored in ``run_dir``, then write results."""
    questions = load_questions(config.dataset, data_root)
    jobs = build_jobs(config, questions)
    _prepare(run_dir, config, resume)
    store = JsonlStore(run_dir / TRANSCRIPTS)
    start = time.perf_counter()
    ran = asyncio.run(
        run_many(jobs, store=store, concurrency=config.concurrency, progress=progress)
    )
    seconds = time.perf_counter() - start
    results = write_outputs(run_dir, config.name)
    return RunOutcome(
        run_dir=run_dir,
        results=results,
        ran=len(ran),
        skipped=len(jobs) - len(ran),
        failed=sum(t.error is not None for t in ran),
        seconds=seconds,
    )


def write_outputs(run_dir: Path, title: str | None = None) -> list[CellResult]:
    """Recompute results, report and plots from the stored transcripts.

    Cells follow the order of the run's config when it is known, else first appearance.
    """
    transcripts = load_transcripts(run_dir / TRANSCRIPTS)
    results = summarize(transcripts)
    if (run_dir / CONFIG).exists():
        config = parse_config(json.loads((run_dir / CONFIG).read_text()), str(run_dir / CONFIG))
        title = title or config.name
        order = [json.dumps(cell, sort_keys=True) for cell, _, _ in eval_cells(config)]
        rank = {key: i for i, key in enumerate(order)}
        results.sort(key=lambda r: rank.get(json.dumps(r.cell, sort_keys=True), len(rank)))
    write_results(run_dir, results)
    meta: dict[str, object] = {"run directory": str(run_dir), "debates": len(transcripts)}
    write_report(run_dir, results, title=title or run_dir.name, meta=meta)
    return results
