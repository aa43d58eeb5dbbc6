"""Benchmark of API debates against the fake server (issue 4).

Prints, for 2,000 three-round sequential debates (two debaters and a judge: 7 calls each,
14,000 calls) at concurrency 200 against the fake server with 50 ms latency per call:

1. efficiency = ideal wall time (calls x latency / concurrency) / measured wall time, through
   the OpenAI SDK over HTTP (server in its own process), and for the framework alone (the same
   debates on an in-process backend that sleeps 50 ms: engine + Model wrapper, no SDK/HTTP);
2. overhead per call with instant replies (framework alone, and SDK + HTTP), wall and CPU;
3. the observed request rate against a configured requests-per-minute limit, saturated;
4. a cold run with the on-disk cache on, then the same run with the cache warm (no calls).

    .venv/bin/python benchmarks/api_bench.py [--debates 2000] [--concurrency 200]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from debate import LiveJob, ModelDebater, run_many
from debate.domains.evidence import evidence_questions
from debate.models import Backend, GenerateRequest, GenerateResponse, Model, ModelConfig
from debate.models.fake_server import default_reply
from debate.models.openai_backend import OpenAIBackend
from debate.protocol import build_protocol
from judges import ModelJudge

LATENCY = 0.05
CALLS_PER_DEBATE = 7  # 3 rounds x 2 debaters + 1 judge verdict
ROOT = Path(__file__).resolve().parents[1]


class Sleeping(Backend):
    """In-process stand-in for the server: the same reply after ``latency`` seconds."""

    kind = "sleeping"

    def __init__(self, latency: float) -> None:
        self.latency = latency

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        if self.latency:
            await asyncio.sleep(self.latency)
        return default_reply(request)


class Timed(Backend):
    """Records when each attempt reaches the backend (after the rate limiter)."""

    kind = "timed"

    def __init__(self, inner: Backend) -> None:
        self.inner, self.times = inner, list[float]()

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        self.times.append(time.monotonic())
        return await self.inner.generate(request)

    def is_retryable(self, error: BaseException) -> bool:
        return self.inner.is_retryable(error)

    async def aclose(self) -> None:
        await self.inner.aclose()


def start_server(latency: float, log: Path | None = None) -> tuple[subprocess.Popen[str], str]:
    """The fake server in its own process (``--log``: one JSON line a request, with its
    arrival time); returns the process and its OpenAI base URL."""
    command = [sys.executable, "-m", "debate.models.fake_server", "--latency", str(latency)]
    if log is not None:
        command += ["--log", str(log)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    return proc, proc.stdout.readline().split()[-1] + "/v1"


def busiest(times: list[float], window: float) -> int:
    """The most of the sorted ``times`` inside any ``window`` seconds."""
    most, j = 0, 0
    for i, start in enumerate(times):
        while j < len(times) and times[j] < start + window:
            j += 1
        most = max(most, j - i)
    return most


def jobs(n: int, debater: Model, judge: Model) -> list[LiveJob]:
    protocol = build_protocol("debate-sequential", {"rounds": 3})
    questions = evidence_questions(n, seed=0)
    return [
        LiveJob(f"d{i}", q, protocol, ModelDebater(debater), ModelJudge(judge), seed=i)
        for i, q in enumerate(questions)
    ]


def run_batch(
    make_backend: Callable[[], Backend], n: int, concurrency: int, **config: Any
) -> tuple[float, float, int, list[Model]]:
    """Wall seconds, CPU seconds, calls made, and the models (for their backends)."""
    settings = {"max_concurrency": concurrency, "timeout_s": 30, **config}
    debater = Model(make_backend(), ModelConfig(model="gpt-4o-mini", **settings))
    judge = Model(make_backend(), ModelConfig(model="gpt-4o", **settings))
    batch = jobs(n, debater, judge)

    async def go() -> list[Any]:
        try:
            return await run_many(batch, concurrency=concurrency)
        finally:
            await debater.aclose()
            await judge.aclose()

    wall, cpu = time.perf_counter(), time.process_time()
    transcripts = asyncio.run(go())
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    failed = [t for t in transcripts if t.error]
    if failed:
        raise SystemExit(f"{len(failed)} debates failed, e.g. {failed[0].error}")
    return wall, cpu, debater.usage.calls + judge.usage.calls, [debater, judge]


def efficiency(name: str, make: Callable[[], Backend], n: int, concurrency: int) -> None:
    wall, cpu, calls, _ = run_batch(make, n, concurrency)
    ideal = calls * LATENCY / concurrency
    print(
        f"{name}: {n} debates, {calls} calls in {wall:.2f} s wall ({cpu:.2f} s CPU); "
        f"ideal {ideal:.2f} s; efficiency {ideal / wall:.3f}; {calls / wall:.0f} calls/s"
    )


def overhead(name: str, make: Callable[[], Backend], n: int, concurrency: int) -> None:
    wall, cpu, calls, _ = run_batch(make, n, concurrency)
    print(
        f"{name}: {calls} calls, {wall / calls * 1e3:.3f} ms wall and "
        f"{cpu / calls * 1e3:.3f} ms CPU per call"
    )


def rate_limit(url: str, rpm: float, seconds: float, concurrency: int) -> None:
    """Saturate the limit for ``seconds`` (> 60, so whole one-minute windows are seen)."""
    from debate.models import Message

    timed = Timed(OpenAIBackend(base_url=url, api_key="bench"))
    config = ModelConfig(model="m", max_concurrency=concurrency, requests_per_minute=rpm)
    model = Model(timed, config)
    calls = int(rpm / 60 * seconds)

    async def go() -> None:
        try:
            await asyncio.gather(
                *(model.generate([Message(role="user", content=f"q{i}")]) for i in range(calls))
            )
        finally:
            await model.aclose()

    asyncio.run(go())
    times = sorted(timed.times)

    minute = busiest(times, 60.0)
    start = times[0]
    full = int(times[-1] - start)  # whole seconds fully inside the run
    steady = sum(1 for t in times if t < start + full) / full * 60
    print(
        f"rate limit {rpm:.0f}/min, {calls} calls at concurrency {concurrency}, saturated: "
        f"busiest 60 s window {minute} requests = {minute / rpm:.3f} of the limit; mean over "
        f"the first {full} s {steady:.0f}/min = {steady / rpm:.3f} of the limit; busiest 1 s "
        f"window {busiest(times, 1.0)} (limit / 60 = {rpm / 60:.0f})"
    )


def cache_runs(url: str, n: int, concurrency: int) -> None:
    with tempfile.TemporaryDirectory() as cache:
        make = lambda: OpenAIBackend(base_url=url, api_key="bench")  # noqa: E731
        cold = run_batch(make, n, concurrency, cache_dir=Path(cache))
        warm = run_batch(make, n, concurrency, cache_dir=Path(cache))
    hits = sum(m.usage.cached_calls for m in warm[3])
    print(
        f"cache: cold run {cold[0]:.2f} s ({cold[2]} calls); warm run {warm[0]:.2f} s, "
        f"{warm[2]} calls, {hits} cache hits"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debates", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--rpm", type=float, default=3000, help="limit for the rate test")
    parser.add_argument("--rate-seconds", type=float, default=75, help="length of the rate test")
    args = parser.parse_args()
    n, c = args.debates, args.concurrency
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs; latency {LATENCY * 1e3:.0f} "
        f"ms; {n} debates x {CALLS_PER_DEBATE} calls; concurrency {c}"
    )
    server, url = start_server(LATENCY)
    instant, instant_url = start_server(0.0)
    try:
        efficiency("framework alone (in-process 50 ms backend)", lambda: Sleeping(LATENCY), n, c)
        sdk = lambda: OpenAIBackend(base_url=url, api_key="bench")  # noqa: E731
        efficiency("OpenAI SDK over HTTP, fake server", sdk, n, c)
        overhead("overhead, framework alone, instant replies", lambda: Sleeping(0.0), n, c)
        fast = lambda: OpenAIBackend(base_url=instant_url, api_key="bench")  # noqa: E731
        overhead("overhead, OpenAI SDK over HTTP, instant server", fast, n // 4, c)
        rate_limit(url, args.rpm, args.rate_seconds, c)
        cache_runs(url, n // 4, c)
    finally:
        for proc in (server, instant):
            proc.kill()
            proc.wait()


if __name__ == "__main__":
    main()
