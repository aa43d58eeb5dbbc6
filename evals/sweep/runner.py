"""Run a sweep into a run directory: cells in a process pool, one JSON line per finished cell.

A run directory holds ``config.json``, ``cells.jsonl`` (append-only, flushed and fsynced per
finished chunk of cells), ``results.csv``/``results.json``, ``report.md`` and ``plots/``.
Each cell's seed is derived from the config's seed and the cell's parameters, so a result
does not depend on scheduling, worker count or on how often the run was killed and resumed.
"""

from __future__ import annotations

import json
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, model_validator

from debate.progress import DebateObserver, NullProgress, ProgressReporter
from debate.seeds import derive_seed
from evals.rundir import TRANSCRIPTS, prepare_run_dir
from evals.sweep.cells import SweepCell
from evals.sweep.grid import SweepConfig
from transcripts.store import JsonlRecords, append_lines

if TYPE_CHECKING:
    from debate.components import Components
    from debate.runner import Executor

CELLS = "cells.jsonl"
POOL_AFTER_SECONDS = 2.0
"""Start worker processes only when the cells left would take longer than this in-process."""


class CellRecord(BaseModel):
    """One finished cell as stored in ``cells.jsonl`` (written flat: params, then counts)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cell: SweepCell
    n: int
    correct: int
    claimant_honest: int = 0
    correct_honest: int = 0
    ended_early: int = 0
    overridden: int = 0
    ties: int = 0
    """Verdicts at exactly 50/50, not in ``correct``: each scores 1/2."""
    judge_queries: int = 0
    """Oracle queries the judges made, summed over the cell's debates (their cost)."""
    payoff_honest: float = 0.0
    """Prover-estimator debate: honest provers' rewards, summed."""
    payoff_liar: float = 0.0
    """Prover-estimator debate: lying provers' rewards, summed."""
    shade: float = 0.0
    """Prover-estimator debate: the estimator's best-response cut of honest claims."""
    seconds: float = 0.0

    @property
    def score(self) -> float:
        return self.correct + self.ties / 2

    def line(self) -> str:
        data = self.model_dump(mode="json")
        return json.dumps({**data.pop("cell"), **data})

    @model_validator(mode="before")
    @classmethod
    def _flat(cls, data: Any) -> Any:
        """Stored lines are flat (the cell's parameters, then the counts)."""
        if isinstance(data, dict) and "cell" not in data:
            data = dict(data)
            cell = {k: data.pop(k) for k in SweepCell.model_fields if k in data}
            return {"cell": cell, **data}
        return data


def cell_key(cell: SweepCell) -> str:
    """Canonical text of a cell's parameters: its identity in ``cells.jsonl``."""
    return json.dumps(cell.key_data(), sort_keys=True)


def cell_seed(seed: int, cell: SweepCell) -> int:
    return derive_seed(seed, "sweep", cell_key(cell))


def load_records(path: Path) -> tuple[list[CellRecord], int]:
    """Every readable record (first copy of a cell wins) and the number of unreadable lines.

    The one JSONL reader (``transcripts.store.JsonlRecords``): a line torn by a kill
    mid-write is skipped, and its cell is simply run again on resume.
    """
    found = JsonlRecords(path, CellRecord, lambda r: cell_key(r.cell), "cell").read()
    return found.records, len(found.bad_lines)


def _simulate_chunk(jobs: list[tuple[SweepCell, int, int]]) -> list[CellRecord]:
    """Worker: simulate a few cells (numpy is imported in the worker, not the CLI)."""
    from evals.sweep.simulate import simulate_cell

    out = []
    for cell, n, seed in jobs:
        start = time.perf_counter()
        result = simulate_cell(cell, n, seed)
        out.append(
            CellRecord(
                cell=cell,
                n=result.n,
                correct=result.correct,
                claimant_honest=result.claimant_honest,
                correct_honest=result.correct_honest,
                ended_early=result.ended_early,
                overridden=result.overridden,
                ties=result.ties,
                judge_queries=result.judge_queries,
                payoff_honest=result.payoff_honest,
                payoff_liar=result.payoff_liar,
                shade=result.shade,
                seconds=round(time.perf_counter() - start, 6),
            )
        )
    return out


class SweepCellJob(BaseModel):
    """One cell to simulate, as data: what an executor (a process pool, a Ray cluster)
    sends to a worker; its result is the cell's record, stored by the driver alone."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    cell: SweepCell
    n: int
    seed: int

    @property
    def debate_id(self) -> str:
        return cell_key(self.cell)

    async def run(
        self, components: Components | None = None, observer: DebateObserver | None = None
    ) -> CellRecord:
        return _simulate_chunk([(self.cell, self.n, self.seed)])[0]


class CellSink:
    """``cells.jsonl`` as a ``run_jobs`` sink: a cell is stored once its record returns."""

    def __init__(self, path: Path, on_store: Callable[[list[CellRecord]], None]) -> None:
        self.path = path
        self._on_store = on_store

    def ids(self) -> set[str]:
        return {cell_key(r.cell) for r in load_records(self.path)[0]}

    def append(self, record: CellRecord) -> None:
        self._on_store([record])


def _run_on(executor: Executor, jobs: list[tuple[SweepCell, int, int]], sink: CellSink) -> None:
    """Simulate the cells on ``executor`` through the one runner (``run_jobs``)."""
    import asyncio

    from debate.runner import run_jobs

    cell_jobs = [SweepCellJob(cell=cell, n=n, seed=seed) for cell, n, seed in jobs]
    asyncio.run(run_jobs(cell_jobs, sink, executor))


@dataclass
class SweepOutcome:
    run_dir: Path
    rows: list[dict[str, Any]]
    ran: int
    skipped: int
    seconds: float
    """Wall time of the simulation (this invocation)."""
    report_seconds: float
    pooled: int = 0
    """Cells simulated by worker processes (the rest ran in this process)."""


def _chunks(jobs: list[tuple[SweepCell, int, int]], workers: int) -> list[list[Any]]:
    """At least 8 chunks per worker and at most ~32 cells a chunk (a kill loses little),
    interleaved so each chunk mixes cheap and costly cells and times the grid fairly."""
    count = min(len(jobs), max(workers * 8, -(-len(jobs) // 32)))
    return [jobs[i::count] for i in range(count)] if count else []


def _run_pool(
    chunks: list[list[Any]], workers: int, store: Callable[[list[CellRecord]], None]
) -> None:
    """Simulate chunks in worker processes, storing each as it finishes (in any order)."""
    # spawn, not fork: the parent may run a progress thread, and forking threads is unsafe.
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    try:
        pending: set[Future[list[CellRecord]]] = {
            pool.submit(_simulate_chunk, chunk) for chunk in chunks
        }
        while pending:
            ready, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in ready:
                store(future.result())
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def run_sweep(
    config: SweepConfig,
    run_dir: Path,
    *,
    resume: bool = False,
    progress: ProgressReporter | None = None,
    report: bool = True,
    pool_after: float = POOL_AFTER_SECONDS,
    executor: Executor | None = None,
) -> SweepOutcome:
    """Simulate every cell of ``config`` not yet in ``run_dir``, then write results.

    With an ``executor`` (``--executor processes|ray``) every cell is a job on it. Without,
    the first chunk of cells always runs in this process and times the rest: if they would
    take more than ``pool_after`` seconds, ``config.workers`` processes take them over (0
    forces the pool for whatever the first chunk leaves).
    """
    prepare_run_dir(run_dir, config, resume, stores=(CELLS, TRANSCRIPTS))
    path = run_dir / CELLS
    done = {cell_key(r.cell) for r in load_records(path)[0]}
    cells = config.cells()
    jobs = [
        (cell, config.debates_per_cell, cell_seed(config.seed, cell))
        for cell in cells
        if cell_key(cell) not in done
    ]
    finished = len(cells) - len(jobs)
    progress = progress or NullProgress()
    progress.start(total=len(cells), skipped=finished)
    import evals.sweep.simulate  # noqa: F401  (imported before timing: the estimate is warm)

    start = time.perf_counter()
    chunks = _chunks(jobs, config.workers)

    def store(records: list[CellRecord]) -> None:
        nonlocal finished
        append_lines(path, [r.line() for r in records])
        finished += len(records)
        progress.advance(count=len(records))

    # Chunks run here until the time the rest would take justifies starting worker processes
    # (a spawned worker costs ~0.5 s; a whole default grid simulates in about a second).
    inline = 0
    try:  # finish() however it ends: a piped reporter's heartbeat must not outlive the run
        if executor is not None:
            _run_on(executor, jobs, CellSink(path, store))
            inline = len(chunks)
        while inline < len(chunks):
            elapsed = time.perf_counter() - start
            left = elapsed / inline * (len(chunks) - inline) if inline else 0.0
            if config.workers > 1 and inline and left > pool_after:
                break
            store(_simulate_chunk(chunks[inline]))
            inline += 1
        pooled = sum(len(chunk) for chunk in chunks[inline:])
        if pooled:
            _run_pool(chunks[inline:], config.workers, store)
    finally:
        progress.finish()
    seconds = time.perf_counter() - start
    sample_transcripts(config, run_dir)
    rows: list[dict[str, Any]] = []
    report_start = time.perf_counter()
    if report:
        from evals.sweep.report import rebuild_sweep_report

        rows = rebuild_sweep_report(run_dir, config, wall_seconds=seconds)
    return SweepOutcome(
        run_dir=run_dir,
        rows=rows,
        ran=len(jobs),
        skipped=len(cells) - len(jobs),
        seconds=seconds,
        report_seconds=time.perf_counter() - report_start,
        pooled=pooled,
    )


def sample_transcripts(config: SweepConfig, run_dir: Path) -> int:
    """Play ``sample_transcripts`` debates of every cell through the engine and store them
    whole (skipping those already stored), so a sweep can be read debate by debate."""
    if not config.sample_transcripts:
        return 0
    import asyncio

    from debate.batch import run_many
    from evals.sweep.engine_jobs import engine_jobs
    from transcripts.store import JsonlStore

    jobs = [
        job
        for cell in config.cells()
        if cell.aggregate == "all"  # majority claims have no engine domain
        for job in engine_jobs(cell, config.sample_transcripts, cell_seed(config.seed, cell))
    ]
    return len(asyncio.run(run_many(jobs, store=JsonlStore(run_dir / TRANSCRIPTS), concurrency=64)))
