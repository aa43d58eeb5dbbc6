"""The torch backend against llama.cpp's server on the same model, side by side (issue 14).

The same logical-deduction debates (debate-sequential, one round: two speeches and a
logprob judge verdict each) at each concurrency, first through the local torch backend, then
through llama.cpp's server (``--parallel`` slots, the same SmolLM2 GGUF the prepared model
was made from) with the project's OpenAI backend, one right after the other so machine
noise falls on both. Prints tokens/s (generated), debates/min and the load average.

llama.cpp is optional: give its server binary with ``--llama-server`` (or put
``llama-server`` on PATH / set $LLAMA_SERVER); without it only the torch backend runs.

    .venv/bin/python benchmarks/local_vs_llamacpp.py [--debates 16] [--concurrency 1,4,8,16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

from local_batching import logic_debates

from debate.models import Backend
from debate.models.local import LocalBackend
from debate.models.local_store import DEFAULT_LOCAL_MODEL, KNOWN_MODELS, packaged_gguf
from debate.models.openai_backend import OpenAIBackend


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_llama(
    binary: str, gguf: Path, slots: int, threads: int
) -> tuple[subprocess.Popen[bytes], str]:
    """llama.cpp's server with ``slots`` parallel slots; returns it and its OpenAI URL."""
    port = free_port()
    command = [binary, "-m", str(gguf), "--host", "127.0.0.1", "--port", str(port)]
    command += ["--parallel", str(slots), "-c", str(2048 * slots), "-t", str(threads)]
    proc = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=1) as reply:
                if reply.status == 200:
                    return proc, f"{url}/v1"
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit("llama.cpp's server did not come up in 60 s")


async def debates(
    backend: Backend, n: int, concurrency: int, max_tokens: int
) -> tuple[float, int, int]:
    """Wall seconds, generated tokens and verdicts parsed, for ``n`` debates."""
    try:
        return await logic_debates(backend, n, concurrency, max_tokens)
    finally:
        if isinstance(backend, OpenAIBackend):  # its client belongs to this event loop
            await backend.aclose()


def report(name: str, n: int, c: int, seconds: float, tokens: int, parsed: int) -> None:
    load = os.getloadavg()[0]
    print(
        f"{name:9s} concurrency {c:2d}: {tokens / seconds:6.1f} tokens/s, "
        f"{n / seconds * 60:5.1f} debates/min ({seconds:5.1f} s, {tokens} tokens, "
        f"{parsed}/{n} verdicts parsed), load {load:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=DEFAULT_LOCAL_MODEL, help="prepared model or path")
    parser.add_argument("--debates", type=int, default=16)
    parser.add_argument("--concurrency", default="1,4,8,16")
    parser.add_argument("--max-tokens", type=int, default=64)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--dtype", default="auto")
    parser.add_argument("--quantize", default="auto")
    parser.add_argument(
        "--llama-server", default=os.environ.get("LLAMA_SERVER") or shutil.which("llama-server")
    )
    args = parser.parse_args()
    levels = [int(c) for c in args.concurrency.split(",")]

    torch_backend = LocalBackend(
        path=args.model,
        max_batch_size=max(levels),
        threads=args.threads,
        dtype=args.dtype,
        quantize=args.quantize,
    )
    identity = torch_backend.identity()
    print(
        f"torch: {identity['device']}, {identity['dtype']}, decoding weights "
        f"{identity['decode_weights'] or 'as loaded'}, {args.threads} threads"
    )
    llama: tuple[subprocess.Popen[bytes], str] | None = None
    if args.llama_server:
        gguf = packaged_gguf(KNOWN_MODELS[DEFAULT_LOCAL_MODEL])
        if gguf is None:
            raise SystemExit("the packaged SmolLM2 GGUF is not installed (debate prepare-model)")
        llama = start_llama(args.llama_server, gguf, max(levels), args.threads)
        print(
            f"llama.cpp: {args.llama_server}, {gguf.name}, {max(levels)} slots, "
            f"{args.threads} threads"
        )
    else:
        print("llama.cpp: no server binary given (--llama-server); torch only")
    try:
        # llama.cpp samples with its own defaults unless told: top_k 1 makes it greedy.
        remote = (
            OpenAIBackend(base_url=llama[1], extra_body={"top_k": 1}, answer_constraint="grammar")
            if llama
            else None
        )
        asyncio.run(debates(torch_backend, 1, 1, 8))  # warm-up
        if remote is not None:
            asyncio.run(debates(remote, 1, 1, 8))
        for c in levels:
            report(
                "torch",
                args.debates,
                c,
                *asyncio.run(debates(torch_backend, args.debates, c, args.max_tokens)),
            )
            if remote is not None:
                report(
                    "llama.cpp",
                    args.debates,
                    c,
                    *asyncio.run(debates(remote, args.debates, c, args.max_tokens)),
                )
    finally:
        if llama is not None:
            llama[0].kill()
            llama[0].wait()


if __name__ == "__main__":
    main()
