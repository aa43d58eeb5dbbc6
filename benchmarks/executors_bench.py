"""Throughput of the executors, measured side by side on two CPU-bound workloads.

Runs data jobs through ``run_jobs`` on the in-process executor and on process pools of 1, 2
and N workers (N: the CPUs this process may use), interleaved round by round (the machine
may be shared), with no store, and prints debates per second per round and the best of the
rounds, checking that every executor produced the same verdicts. Workloads: the smoke
preset's 7,200 debates (cheap: well under a millisecond each), and 1,000 recursive tree-sum
debates of depth 10 through the engine (the sweep's engine path: several milliseconds each).
Pool times include starting the workers.

    .venv/bin/python benchmarks/executors_bench.py [rounds]
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

from debate.process_pool import ProcessPoolExecutor
from debate.runner import Executor, InProcessExecutor, run_jobs
from evals.build import build_jobs
from evals.datasets import load_questions
from evals.presets import load_preset


def timed(jobs: list, executor: Executor) -> tuple[float, list[str]]:  # type: ignore[type-arg]
    start = time.perf_counter()
    transcripts = asyncio.run(run_jobs(jobs, executor=executor))
    seconds = time.perf_counter() - start
    return seconds, [t.verdict.model_dump_json() if t.verdict else "" for t in transcripts]


def smoke_jobs() -> list:  # type: ignore[type-arg]
    config = load_preset("smoke")
    return build_jobs(config, load_questions(config.dataset))


def recursive_jobs() -> list:  # type: ignore[type-arg]
    from evals.sweep.cells import SweepCell
    from evals.sweep.engine_jobs import engine_jobs

    cell = SweepCell(protocol="recursive", error_model="random", epsilon=0.1, depth=10, branching=2)
    return engine_jobs(cell, 1000, seed=0)


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    for name, make_jobs in (("smoke", smoke_jobs), ("recursive depth 10", recursive_jobs)):
        compare(name, make_jobs(), rounds)


def compare(name: str, jobs: list, rounds: int) -> None:  # type: ignore[type-arg]
    cpus = len(os.sched_getaffinity(0))
    makers = {
        "in-process (64 at once)": lambda: InProcessExecutor(64),
        "process pool, 1 worker": lambda: ProcessPoolExecutor(1),
        "process pool, 2 workers": lambda: ProcessPoolExecutor(2),
    }
    if cpus > 2:
        makers[f"process pool, {cpus} workers"] = lambda: ProcessPoolExecutor(cpus)
    print(f"{len(jobs)} {name} debates, {cpus} CPUs, {rounds} interleaved rounds")
    best: dict[str, float] = {}
    reference: list[str] | None = None
    for number in range(1, rounds + 1):
        for label, make in makers.items():
            seconds, verdicts = timed(jobs, make())
            reference = reference or verdicts
            same = "same verdicts" if verdicts == reference else "VERDICTS DIFFER"
            rate = len(jobs) / seconds
            best[label] = max(best.get(label, 0.0), rate)
            print(f"round {number}: {label:28s} {seconds:6.2f} s  {rate:7.0f} debates/s  {same}")
    print("best of the rounds:")
    for label, rate in best.items():
        print(f"  {label:28s} {rate:7.0f} debates/s")


if __name__ == "__main__":
    main()
