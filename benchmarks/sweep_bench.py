"""Benchmark of the judge-error x depth sweep (preset ``judge-error-depth``).

Prints the wall time of the default grid (6 epsilons x 8 depths x 4 protocols x 3 error
models x 2000 debates) run through ``run_sweep`` into a temporary directory, debates simulated
per second, how the time grows when the debates per cell double (2000 -> 4000), the same grid
in one process and with the worker pool forced, and the headline accuracy table. Simulation
times are the best of three runs (the machine may be shared); the first, cold run also times
the report (results files, Markdown, plots). Last, the engine's rate on a few cells (the same
game debate by debate, as ``tests/test_sweep_engine.py`` plays it to check the simulator).

    .venv/bin/python benchmarks/sweep_bench.py
"""

from __future__ import annotations

import os
import platform
import sys
import tempfile
import time
from pathlib import Path

from rich.console import Console

from evals.presets import load_preset
from evals.sweep.grid import SweepConfig
from evals.sweep.report import headline_table
from evals.sweep.runner import POOL_AFTER_SECONDS, SweepOutcome, run_sweep


def once(config: SweepConfig, *, report: bool, pool_after: float) -> SweepOutcome:
    with tempfile.TemporaryDirectory() as tmp:
        return run_sweep(config, Path(tmp) / "run", report=report, pool_after=pool_after)


def best_of(config: SweepConfig, label: str, pool_after: float = POOL_AFTER_SECONDS) -> float:
    """Best simulation wall time of three runs (no report), printed with debates per second."""
    runs = [once(config, report=False, pool_after=pool_after) for _ in range(3)]
    seconds = min(r.seconds for r in runs)
    debates = len(config.cells()) * config.debates_per_cell
    print(
        f"{label:<46} {debates:>9} debates: simulation {seconds:6.2f} s "
        f"({debates / seconds:>10,.0f} debates/s, best of 3; "
        f"{runs[0].pooled} cells in worker processes)"
    )
    return seconds


def engine_rates(n: int = 2000) -> None:
    """Engine debates per second (CPU time) on a few cells, for sizing agreement tests."""
    import asyncio

    from debate.batch import run_many
    from evals.sweep.cells import SweepCell
    from evals.sweep.engine_jobs import engine_jobs

    for protocol, depth in [("naive", 2), ("recursive", 1), ("recursive", 4), ("consultancy", 4)]:
        cell = SweepCell(protocol=protocol, error_model="random", epsilon=0.1, depth=depth)
        jobs = engine_jobs(cell, n, seed=0)
        start = time.process_time()
        asyncio.run(run_many(jobs, concurrency=64))
        rate = n / (time.process_time() - start)
        print(f"engine, {protocol} depth {depth}: {rate:>8,.0f} debates/s (CPU time, n={n})")


def main() -> None:
    preset = load_preset("judge-error-depth")
    assert isinstance(preset, SweepConfig)
    print(f"python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.platform()}")
    print(
        f"grid: {len(preset.protocols)} protocols x {len(preset.error_models)} error models x "
        f"{len(preset.epsilons)} epsilons x {len(preset.depths)} depths = "
        f"{len(preset.cells())} cells x {preset.debates_per_cell} debates; "
        f"workers = {preset.workers}"
    )
    start = time.perf_counter()
    cold = once(preset, report=True, pool_after=POOL_AFTER_SECONDS)
    total = time.perf_counter() - start
    print(
        f"default preset, first (cold) run: simulation {cold.seconds:.2f} s, report "
        f"{cold.report_seconds:.2f} s (results.csv/json, report.md, 2 plots), total {total:.2f} s"
    )
    base = best_of(preset, "default preset (2000/cell)")
    double = best_of(preset.model_copy(update={"debates_per_cell": 4000}), "4000/cell")
    print(f"simulation time ratio 4000 vs 2000 debates per cell: {double / base:.2f}x")
    best_of(preset.model_copy(update={"workers": 1}), "2000/cell, workers = 1 (one process)")
    best_of(preset, "2000/cell, worker pool forced (pool_after=0)", pool_after=0.0)
    best_of(
        preset.model_copy(update={"debates_per_cell": 20000}), "20000/cell (default pool_after=2 s)"
    )
    console = Console(width=160, file=sys.stdout)
    console.print(headline_table(cold.rows, preset.name))
    engine_rates()


if __name__ == "__main__":  # required: worker processes are spawned and re-import this file
    main()
