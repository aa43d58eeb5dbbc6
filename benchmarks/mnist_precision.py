"""Seconds per judge training batch in float32 and in bfloat16 autocast, side by side.

The batches alternate (float32, bfloat16, bfloat16, float32, ...) in one process on one
device, so load from other jobs falls on both alike; each precision trains its own network
from the same initialisation with the paper's recipe (batches of 128, Adam 1e-4). It then runs
the start-up chooser (``judges.pixels.speed``) as training would, and prints what it picks.

    .venv/bin/python benchmarks/mnist_precision.py [--batches 30] [--threads 1] [--pixels 6]
"""

from __future__ import annotations

import argparse
import platform
import statistics

import torch

from debate.domains.mnist import load_mnist
from evals.config import data_dir
from judges.pixels.config import PixelJudgeConfig
from judges.pixels.network import select_device
from judges.pixels.speed import PRECISIONS, TrainingBatchTimer, label, machine_key, pick_fastest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=30, help="timed batches per precision")
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--pixels", type=int, default=6)
    parser.add_argument("--device", default="cpu", help="cpu, cuda, auto, ...")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = select_device(args.device)
    config = PixelJudgeConfig.paper(args.pixels)
    data = load_mnist(data_dir() / "mnist", "train")
    print(f"machine: {machine_key(device)}; {platform.machine()}, {args.threads} thread(s)")
    print(
        f"recipe: {args.pixels} pixels, batches of {config.batch_size}, Adam {config.learning_rate}"
    )

    timer = TrainingBatchTimer(config, data, device)
    for precision in PRECISIONS:  # warm-up: first batches allocate and pick kernels
        timer(precision, args.threads)
        timer(precision, args.threads)
    times: dict[str, list[float]] = {p: [] for p in PRECISIONS}
    for i in range(args.batches):
        order = PRECISIONS if i % 2 == 0 else PRECISIONS[::-1]
        for precision in order:
            times[precision].append(timer(precision, args.threads))
    print(f"\nseconds per training batch, {args.batches} interleaved batches each:")
    for name, values in times.items():
        print(
            f"  {name:9s} median {statistics.median(values):.3f}  mean "
            f"{statistics.mean(values):.3f}  min {min(values):.3f}  max {max(values):.3f}"
        )
    ratio = statistics.median(times["bfloat16"]) / statistics.median(times["float32"])
    print(f"  bfloat16 / float32 (medians): {ratio:.2f}")
    for name, values in times.items():
        per = statistics.median(values)
        print(
            f"  {name}: 30k batches {per * 30_000 / 3600:.2f} h, "
            f"50k batches {per * 50_000 / 3600:.2f} h"
        )

    candidates = [(p, args.threads) for p in PRECISIONS]
    best, medians = pick_fastest(candidates, TrainingBatchTimer(config, data, device))
    timings = ", ".join(f"{label(c)} {s:.3f} s" for c, s in medians.items())
    print(f"\nstart-up chooser (2 warm-up batches, then 3 rounds): {label(best)} ({timings})")


if __name__ == "__main__":
    main()
