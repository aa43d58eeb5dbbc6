"""Local model figures: load time (GGUF vs prepared copy) and batched debate throughput.

    .venv/bin/python benchmarks/local_batching.py [--model smollm2-135m-instruct] [--gguf FILE]

Throughput: N debates run at once (debate-sequential, 1 round: two speeches and a judge
verdict each, on logical_deduction questions), all served by one shared model through the
batch worker. Tokens/s counts generated tokens (speeches and verdicts) over wall time, so
it shows what batching buys a whole eval, not one forward pass: reading prompts (prefill) is
compute-bound on a CPU and gains little from batching. The decoding-only figures (N short
requests at once) show what batching buys generation itself. Also checks, on the real model,
that greedy outputs with batching equal those without.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

from debate import ModelDebater
from debate.batch import LiveJob, run_many
from debate.models import Backend, Message, Model, ModelConfig, SamplingSettings
from debate.models.local import LocalBackend
from debate.models.local_store import DEFAULT_LOCAL_MODEL, KNOWN_MODELS, packaged_gguf
from evals.bigbench import LogicalDeductionDataset, logical_deduction
from judges.model_judge import ModelJudge
from protocols import SequentialDebate

LOAD = (
    "import sys, time; t = time.perf_counter(); "
    "from debate.models.local import LocalBackend; "
    "LocalBackend(path=sys.argv[1], gguf_file=sys.argv[2] or None); "
    "print(time.perf_counter() - t)"
)


def load_seconds(path: str, gguf_file: str | None = None) -> float:
    """Import plus load, in a fresh process (as a new eval run pays it)."""
    out = subprocess.run(
        [sys.executable, "-c", LOAD, path, gguf_file or ""],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


async def logic_debates(
    backend: Backend, n: int, concurrency: int, max_tokens: int
) -> tuple[float, int, int]:
    """Wall seconds, generated tokens and verdicts parsed for ``n`` one-round
    logical-deduction debates (two speeches and a logprob verdict each) on ``backend``."""
    config = ModelConfig(
        model="local",
        max_concurrency=64,
        timeout_s=None,
        max_retries=0,
        sampling=SamplingSettings(max_tokens=max_tokens),
    )
    model = Model(backend, config)
    debater, judge = ModelDebater(model), ModelJudge(model, probabilities="logprobs", max_reasks=0)
    questions = logical_deduction(LogicalDeductionDataset(objects=3, limit=n))
    jobs = [
        LiveJob(f"bench-{n}-{q.id}", q, SequentialDebate(rounds=1), debater, judge, seed=i)
        for i, q in enumerate(questions)
    ]
    started = time.perf_counter()
    transcripts = await run_many(jobs, concurrency=concurrency)
    seconds = time.perf_counter() - started
    failed = [t.error for t in transcripts if t.error]
    if failed:
        raise SystemExit(f"debates failed: {failed[0]}")
    parsed = sum(1 for t in transcripts if t.verdict is not None and t.verdict.parsed)
    return seconds, sum(t.usage.output_tokens for t in transcripts), parsed


async def throughput(backend: LocalBackend, debates: int, max_tokens: int) -> tuple[float, int]:
    """``debates`` debates all at once: wall seconds and generated tokens."""
    seconds, tokens, _ = await logic_debates(backend, debates, debates, max_tokens)
    return seconds, tokens


async def decoding(backend: LocalBackend, rows: int, max_tokens: int) -> tuple[float, int]:
    """``rows`` short requests at once: what batching buys decoding alone (no long prefill)."""
    sampling = SamplingSettings(max_tokens=max_tokens, temperature=0.7)
    model = Model(backend, ModelConfig(model="local", sampling=sampling, timeout_s=None))
    prompt = [Message(role="user", content="Tell a short story about a lighthouse keeper.")]
    started = time.perf_counter()
    replies = await asyncio.gather(*(model.generate(prompt, seed=i) for i in range(rows)))
    return time.perf_counter() - started, sum(r.usage.output_tokens for r in replies)


async def greedy_check(backend: LocalBackend, prompts: list[str]) -> int:
    sampling = SamplingSettings(max_tokens=48)
    model = Model(backend, ModelConfig(model="local", sampling=sampling, timeout_s=None))

    def msgs(p: str) -> list[Message]:
        return [Message(role="user", content=p)]

    alone = [(await model.generate(msgs(p))).text for p in prompts]
    together = await asyncio.gather(*(model.generate(msgs(p)) for p in prompts))
    return sum(a == b.text for a, b in zip(alone, together, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", default=DEFAULT_LOCAL_MODEL, help="prepared model or path")
    parser.add_argument("--gguf", type=Path, default=None, help="GGUF file for the first load")
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--skip-load", action="store_true", help="skip the load-time figures")
    parser.add_argument("--skip-debates", action="store_true", help="skip the debate figures")
    args = parser.parse_args()

    if not args.skip_load:
        gguf = args.gguf or packaged_gguf(KNOWN_MODELS[DEFAULT_LOCAL_MODEL])
        if gguf is not None:
            print(f"load, GGUF file (first use, de-quantised): {load_seconds(str(gguf)):.1f} s")
        print(f"load, prepared copy (cached):              {load_seconds(args.model):.1f} s")

    levels = [int(n) for n in args.concurrency.split(",")]
    backend = LocalBackend(path=args.model, max_batch_size=max(levels), threads=args.threads)
    print(f"device {backend.identity()['device']}, dtype {backend.identity()['dtype']}")
    asyncio.run(throughput(backend, 1, 8))  # warm-up
    base: float | None = None
    print("debates  wall_s  out_tokens  tokens/s  speedup  mean_batch")
    for n in [] if args.skip_debates else levels:
        before_batches, before_items = backend.stats.batches, backend.stats.items
        seconds, tokens = asyncio.run(throughput(backend, n, args.max_tokens))
        rate = tokens / seconds
        base = base or rate
        batches = backend.stats.batches - before_batches
        mean = (backend.stats.items - before_items) / batches
        print(
            f"{n:7d}  {seconds:6.1f}  {tokens:10d}  {rate:8.1f}  {rate / base:6.2f}x  {mean:10.1f}"
        )
    print("decoding only (short prompts, no debate): rows  tokens/s  speedup")
    single: float | None = None
    for n in levels:
        seconds, tokens = asyncio.run(decoding(backend, n, args.max_tokens))
        single = single or tokens / seconds
        print(f"{n:47d}  {tokens / seconds:8.1f}  {tokens / seconds / single:6.2f}x")
    prompts = [q.text for q in logical_deduction(LogicalDeductionDataset(objects=5, limit=8))]
    same = asyncio.run(greedy_check(backend, prompts))
    print(f"greedy, batched == alone: {same}/{len(prompts)} prompts")


if __name__ == "__main__":
    main()
