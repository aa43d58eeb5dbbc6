"""Raw OpenAI SDK against the project's ``Model`` wrapper and whole debates (issue 14).

The same calls three ways, against the same fake server (its own process) and the same
aiohttp transport, interleaved in one run so machine noise falls on all three alike:

- ``sdk``: ``AsyncOpenAI.chat.completions.create`` under a semaphore, nothing else;
- ``wrapper``: the same requests through ``Model.generate_request`` (gate, retries, usage);
- ``engine``: whole three-round sequential debates through ``run_many`` (prompts, quotes,
  transcripts, the judge's verdict): the calls the first two replay were recorded from them;
- ``sdk-gc``: the raw SDK again, with the garbage collector paced as a run paces it
  (``debate.collector``), to show how much of the engine's standing is that setting;
- ``sdk-post``: the raw SDK the way the project's OpenAI backend sends (the client's own
  ``post``, skipping ``create``'s argument walk), so the engine against it is the
  project's own share alone.

Each repeat runs every mode once, in an order rotated from one repeat to the next (the run
after another is not always the same one), after one warm-up round that is not counted;
each run starts after a full collection, so none inherits another's garbage. Prints the
median calls/s and client CPU ms per call of each mode, and the median over repeats of its
calls/s divided by the raw SDK's in the same repeat (a paired ratio: this machine's speed
drifts by 20% between runs, and a pair shares the drift), at each concurrency and latency.

    .venv/bin/python benchmarks/sdk_ratio.py [--debates 300] [--repeats 9]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import os
import platform
import statistics
import time
from collections.abc import Awaitable, Callable
from typing import Any

from api_bench import Sleeping, jobs, start_server

from debate import run_many
from debate.collector import batch_collection
from debate.models import Backend, GenerateRequest, GenerateResponse, Model, ModelConfig
from debate.models.openai_backend import OpenAIBackend


class Recording(Backend):
    """Keeps every request the engine sends, to replay them through the SDK and wrapper."""

    kind = "recording"

    def __init__(self) -> None:
        self.inner, self.requests = Sleeping(0.0), list[GenerateRequest]()

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        self.requests.append(request)
        return await self.inner.generate(request)


def record(n: int) -> list[GenerateRequest]:
    """The requests of ``n`` debates (the fake server's replies are the ``Sleeping`` ones)."""
    backend = Recording()
    debater = Model(backend, ModelConfig(model="gpt-4o-mini"))
    judge = Model(backend, ModelConfig(model="gpt-4o"))
    asyncio.run(run_many(jobs(n, debater, judge), concurrency=64))
    return backend.requests


async def bounded(concurrency: int, calls: list[Callable[[], Awaitable[Any]]]) -> None:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(call: Callable[[], Awaitable[Any]]) -> None:
        async with semaphore:
            await call()

    await asyncio.gather(*(one(c) for c in calls))


async def raw_sdk(
    url: str, requests: list[GenerateRequest], concurrency: int, *, post: bool = False
) -> int:
    """The SDK alone: ``chat.completions.create``, or with ``post`` the client's own ``post``
    as the project's backend sends (no argument walk), so the engine's standing against it
    is the project's own share."""
    backend = OpenAIBackend(base_url=url, api_key="bench")
    await backend.prepare()
    client = backend.client()  # the SDK's own AsyncOpenAI on its aiohttp transport

    def call(r: GenerateRequest) -> Awaitable[Any]:
        # each request's keyword arguments made when it is sent, as a script would
        if post:
            return backend._send(client, backend.params(r))
        return client.chat.completions.create(**backend.params(r))

    try:
        await bounded(concurrency, [lambda r=r: call(r) for r in requests])
    finally:
        await backend.aclose()
    return len(requests)


async def raw_sdk_paced(url: str, requests: list[GenerateRequest], concurrency: int) -> int:
    with batch_collection():
        return await raw_sdk(url, requests, concurrency)


async def wrapper(url: str, requests: list[GenerateRequest], concurrency: int) -> int:
    config = ModelConfig(model="m", max_concurrency=concurrency, timeout_s=30)
    async with Model(OpenAIBackend(base_url=url, api_key="bench"), config) as model:
        await asyncio.gather(*(model.generate_request(r) for r in requests))
        return model.usage.calls


def engine(url: str, debates: int, concurrency: int) -> Callable[[], Awaitable[int]]:
    """Whole debates; the questions and jobs are made before the clock starts, as the
    other modes' requests are. Debaters and judge are two models on one server, through one
    backend (one client and connection pool, as the raw SDK mode has)."""
    settings: dict[str, Any] = {"max_concurrency": concurrency, "timeout_s": 30}
    backend = OpenAIBackend(base_url=url, api_key="bench")
    debater = Model(backend, ModelConfig(model="gpt-4o-mini", **settings))
    judge = Model(backend, ModelConfig(model="gpt-4o", **settings))
    batch = jobs(debates, debater, judge)

    async def go() -> int:
        try:
            done = await run_many(batch, concurrency=concurrency)
        finally:
            await backend.aclose()
        failed = [t for t in done if t.error]
        if failed:
            raise SystemExit(f"{len(failed)} debates failed, e.g. {failed[0].error}")
        return debater.usage.calls + judge.usage.calls

    return go


Prepare = Callable[[], Callable[[], Awaitable[int]]]
"""Makes what one run needs (untimed), and returns the run."""


def modes(url: str, requests: list[GenerateRequest], debates: int, c: int) -> dict[str, Prepare]:
    return {
        "sdk": lambda: lambda: raw_sdk(url, requests, c),
        "sdk-gc": lambda: lambda: raw_sdk_paced(url, requests, c),
        "sdk-post": lambda: lambda: raw_sdk(url, requests, c, post=True),
        "wrapper": lambda: lambda: wrapper(url, requests, c),
        "engine": lambda: engine(url, debates, c),
    }


def timed(prepare: Prepare) -> tuple[float, float]:
    """(calls/s, client CPU ms per call) of one run, from after ``prepare``."""
    go = prepare()
    gc.collect()
    wall, cpu = time.perf_counter(), time.process_time()
    calls = asyncio.run(go())  # type: ignore[arg-type]
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return calls / wall, cpu / calls * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--debates", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[16, 64, 200])
    parser.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.05])
    parser.add_argument(
        "--modes", nargs="+", default=["sdk", "wrapper", "engine", "sdk-gc", "sdk-post"]
    )
    args = parser.parse_args()
    requests = record(args.debates)
    print(
        f"python {platform.python_version()}, {os.cpu_count()} CPUs, load "
        f"{os.getloadavg()[0]:.2f}; {args.debates} debates = {len(requests)} calls per run; "
        f"median of {args.repeats} interleaved runs"
    )
    for latency in args.latency:
        server, url = start_server(latency)
        try:
            for c in args.concurrency:
                runs: dict[str, list[tuple[float, float]]] = {m: [] for m in args.modes}
                makers = modes(url, requests, args.debates, c)
                for mode in args.modes:  # warm-up: connections, imports, allocator
                    timed(makers[mode])
                for repeat in range(args.repeats):
                    shift = repeat % len(args.modes)
                    for mode in args.modes[shift:] + args.modes[:shift]:
                        runs[mode].append(timed(makers[mode]))
                for mode in args.modes:
                    rate = statistics.median(r for r, _ in runs[mode])
                    cpu = statistics.median(ms for _, ms in runs[mode])
                    sdk = runs.get("sdk", [])
                    paired = [r / s for (r, _), (s, _) in zip(runs[mode], sdk, strict=True)]
                    ratio = f"; {statistics.median(paired):.3f} of the SDK" if paired else ""
                    post = runs.get("sdk-post", []) if mode in ("wrapper", "engine") else []
                    if post:
                        direct = [r / s for (r, _), (s, _) in zip(runs[mode], post, strict=True)]
                        ratio += f", {statistics.median(direct):.3f} of sdk-post"
                    print(
                        f"latency {latency * 1e3:3.0f} ms, concurrency {c:3d}, {mode:8s}: "
                        f"{rate:6.1f} calls/s, {cpu:.3f} CPU ms/call{ratio}"
                    )
        finally:
            server.kill()
            server.wait()


if __name__ == "__main__":
    main()
