"""The Ray executor against the in-process one, measured side by side (issue 13).

Prints:

1. API debates against the fake OpenAI server (its own process, 50 ms a reply): calls/s
   in process and on Ray with 1 and 2 workers, each at its best concurrency (jobs in
   flight per worker), over interleaved rounds;
2. the request rate the server saw under a requests-per-minute limit with 2 Ray workers
   (the busiest 60 s and 1 s windows against the limit);
3. overhead per debate of the Ray executor with instant replies (the smoke preset's
   simulated debates: Ray with 1 worker against in process);
4. the MNIST quick preset's games: wall time in process and on Ray with 2 workers.

Ray runs on a local cluster started once (``ray.init``); every executor starts its own
workers, and their start is inside the timed run.

    .venv/bin/python benchmarks/ray_bench.py [--debates 600] [--rounds 2] [--rpm-seconds 65]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ray
from api_bench import busiest, start_server  # benchmarks/ is this script's path

from debate.ray_executor import RayExecutor
from debate.runner import Executor, InProcessExecutor, run_jobs
from evals.build import build_jobs
from evals.config import EvalConfig
from evals.datasets import load_questions
from evals.experiments import parse_run_config
from evals.presets import load_preset

ROOT = Path(__file__).resolve().parents[1]
KEY_ENV = "DEBATE_LAB_BENCH_KEY"
CALLS_PER_DEBATE = 7  # 3 rounds x 2 debaters + 1 verdict


def api_config(
    url: str, n: int, debater_limits: str = 'max_concurrency = "unlimited"'
) -> EvalConfig:
    backend = f'{{ kind = "openai", base_url = "{url}", api_key_env = "{KEY_ENV}" }}'
    text = f"""
name = "ray-bench"
dataset = {{ kind = "evidence", n = {n} }}
protocols = [{{ name = "debate-sequential", settings = {{ rounds = 3 }} }}]
[debater]
kind = "model"
backend = {backend}
model = {{ model = "bench-debater", {debater_limits} }}
[[judges]]
kind = "model"
name = "judge"
backend = {backend}
model = {{ model = "bench-judge", max_concurrency = "unlimited" }}
"""
    import tomllib

    config = parse_run_config(tomllib.loads(text))
    assert isinstance(config, EvalConfig)
    return config


def jobs_of(config: EvalConfig) -> list[Any]:
    return build_jobs(config, load_questions(config.dataset, None, config.limit))


def timed(jobs: list[Any], executor: Executor) -> tuple[float, int]:
    start = time.perf_counter()
    done = asyncio.run(run_jobs(jobs, executor=executor))
    seconds = time.perf_counter() - start
    return seconds, sum(t.error is not None for t in done)


def best_rates(
    name: str, jobs: list[Any], makers: dict[str, Callable[[], Executor]], rounds: int, unit: int
) -> dict[str, float]:
    """Interleaved rounds of every executor; the best rate (units/s) of each."""
    best: dict[str, float] = {}
    for number in range(1, rounds + 1):
        for label, make in makers.items():
            seconds, failed = timed(jobs, make())
            rate = len(jobs) * unit / seconds
            best[label] = max(best.get(label, 0.0), rate)
            print(f"  round {number}: {label:34s} {seconds:6.2f} s {rate:8.0f}/s  failed {failed}")
    return best


def api_throughput(url: str, n: int, rounds: int) -> None:
    jobs = jobs_of(api_config(url, n))
    makers: dict[str, Callable[[], Executor]] = {}
    for c in (64, 256):
        makers[f"in process, {c} at once"] = lambda c=c: InProcessExecutor(c)  # type: ignore[misc]
    for workers in (1, 2):
        for c in (64, 256):
            plural = "s" if workers > 1 else ""
            makers[f"Ray {workers} worker{plural}, {c} each"] = (
                lambda w=workers, c=c: RayExecutor(w, per_worker=c)  # type: ignore[misc]
            )
    print(f"1. {n} API debates ({n * CALLS_PER_DEBATE} calls), fake server at 50 ms a reply:")
    best = best_rates("api", jobs, makers, rounds, CALLS_PER_DEBATE)
    groups: dict[str, dict[str, float]] = {}
    for label, rate in best.items():  # "Ray 2 workers, 64 each" -> "Ray 2 workers"
        groups.setdefault(label.split(",")[0], {})[label] = rate
    print("  best concurrency of each:")
    for group, rates in groups.items():
        label = max(rates, key=lambda key: rates[key])
        print(f"    {group:14s} {rates[label]:7.0f} calls/s  ({label})")


def rate_limit(latency: float, rpm: float, seconds: float) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        log = Path(tmp) / "requests.jsonl"
        proc, url = start_server(latency, log)
        try:
            n = int(rpm / 60 * seconds / (2 * (CALLS_PER_DEBATE - 1))) + 1  # 2 answer orders
            limits = f'requests_per_minute = {rpm:g}, max_concurrency = "unlimited"'
            jobs = jobs_of(api_config(url, n, limits))
            wall, failed = timed(jobs, RayExecutor(2, per_worker=256))
        finally:
            proc.terminate()
            proc.wait()
        times = sorted(
            entry["t"]
            for entry in map(json.loads, log.read_text().splitlines())
            if entry["model"] == "bench-debater"
        )

    minute = busiest(times, 60.0)
    span = times[-1] - times[0]
    print(
        f"2. rate limit {rpm:g}/min on the debater, 2 Ray workers, {len(times)} debater calls "
        f"over {span:.1f} s ({wall:.1f} s wall, {failed} failed): busiest 60 s window {minute} "
        f"requests = {minute / rpm:.3f} of the limit; mean {len(times) / span * 60:.0f}/min; "
        f"busiest 1 s window {busiest(times, 1.0)} (limit / 60 = {rpm / 60:g})"
    )


def overhead(rounds: int) -> None:
    config = load_preset("smoke")
    jobs = build_jobs(config, load_questions(config.dataset))
    makers: dict[str, Callable[[], Executor]] = {
        "in process, 64 at once": lambda: InProcessExecutor(64),
        "Ray 1 worker, 64 at once": lambda: RayExecutor(1, per_worker=64),
    }
    print(f"3. {len(jobs)} smoke debates with instant replies (simulated roles):")
    best = best_rates("overhead", jobs, makers, rounds, 1)
    here, there = best["in process, 64 at once"], best["Ray 1 worker, 64 at once"]
    print(
        f"  per debate: in process {1e6 / here:.0f} us, Ray 1 worker {1e6 / there:.0f} us; "
        f"Ray overhead {1e6 / there - 1e6 / here:.0f} us a debate"
    )


def mnist_games(rounds: int) -> None:
    from evals.mnist.runner import run_mnist

    config = load_preset("irving-mnist", quick=True)
    data_root = ROOT.parent / "shared" / "data"
    print("4. MNIST quick preset, games phase (judges trained once and cached first):")
    with tempfile.TemporaryDirectory() as tmp:
        run_mnist(config, Path(tmp) / "warm", data_root=data_root, log=lambda _: None)
        for number in range(1, rounds + 1):
            for label, make in {
                "in process": lambda: None,
                "Ray 2 workers": lambda: RayExecutor(2, data_root=data_root),
            }.items():
                out = Path(tmp) / f"{label}-{number}".replace(" ", "-")
                outcome = run_mnist(
                    config, out, data_root=data_root, log=lambda _: None, executor=make()
                )
                games = outcome.games_played
                print(
                    f"  round {number}: {label:14s} {games} games in "
                    f"{outcome.timing['games_seconds']:.2f} s"
                )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debates", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--rpm", type=float, default=1200)
    parser.add_argument("--rpm-seconds", type=float, default=65)
    parser.add_argument(
        "--skip", nargs="*", default=[], help="parts to skip: api rpm overhead mnist"
    )
    args = parser.parse_args()
    os.environ[KEY_ENV] = "bench"  # before ray.init: workers inherit this environment
    ray.init(include_dashboard=False, configure_logging=False, log_to_driver=False)
    cpus = len(os.sched_getaffinity(0))
    print(f"{cpus} CPUs; Ray {ray.__version__}, cluster {ray.cluster_resources()}")
    try:
        if "api" not in args.skip:
            proc, url = start_server(0.05)
            try:
                api_throughput(url, args.debates, args.rounds)
            finally:
                proc.terminate()
        if "rpm" not in args.skip:
            rate_limit(0.05, args.rpm, args.rpm_seconds)
        if "overhead" not in args.skip:
            overhead(args.rounds)
        if "mnist" not in args.skip:
            mnist_games(args.rounds)
    finally:
        ray.shutdown()


if __name__ == "__main__":
    main()
