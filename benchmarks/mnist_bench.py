"""Benchmark of the sparse-pixel MNIST reproduction (preset ``irving-mnist``).

Prints, on this machine:
  1. judge training: seconds per batch of the paper's recipe in bfloat16 autocast and in
     float32 (training picks the faster at start-up; ``benchmarks/mnist_precision.py`` times
     them interleaved) over a few batches, extrapolated to 30k and 50k batches; and the
     training time and precision recorded in the cached judges' checkpoints, when they exist;
  2. judge evaluations per second: the frozen network on batches of random 6-pixel sets
     (and the eager network), plus cached look-ups per second;
  3. rollouts per second: MCTS (100 rollouts per move, 12 candidate pixels) playing real
     precommit games, cold (every leaf a judge call or a cache hit as it comes) and warm
     (the same games again, every leaf cached: the tree search alone);
  4. the whole preset's wall time, read from a finished run's timing.json (``--run DIR``).

Judges come from the cache (``.debate-cache/mnist-judges``) when trained; otherwise a freshly
initialised network stands in (timings do not depend on the weights).

    .venv/bin/python benchmarks/mnist_bench.py [--run runs/irving-mnist-...]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import torch

from debate.domains.mnist import load_mnist
from debate.domains.pixel_play import play_game
from debate.domains.pixels import Claim, code
from debate.search import MCTS
from evals.config import data_dir
from evals.mnist.config import MnistDebateConfig
from evals.mnist.play import play_many
from evals.presets import load_preset
from judges.pixels.checkpoint import TrainedJudge, judge_path, load_judge
from judges.pixels.config import PixelJudgeConfig
from judges.pixels.evaluator import PixelEvaluator, inference_module
from judges.pixels.network import SparsePixelNet, encode, sample_pixels
from judges.pixels.speed import SpeedChoice
from judges.pixels.training import TrainingReport, train

MNIST = data_dir() / "mnist"


def judge_for(config: MnistDebateConfig, pixels: int) -> tuple[TrainedJudge, str]:
    recipe = config.judge.config(pixels)
    path = judge_path(recipe, config.judge_dir)
    if path.exists():
        return load_judge(path, recipe, device="cpu"), "cached judge"
    net = SparsePixelNet().eval()
    report = TrainingReport(steps_done=0, seconds=0.0)
    return TrainedJudge(recipe, net, report, path, torch.device("cpu")), "untrained stand-in"


def training_speed(pixels: int, precision: str, steps: int) -> float:
    """Seconds per batch of the paper's recipe, timed between batch 1 (warm-up done) and
    batch ``steps + 1`` (before the closing held-out evaluation and save)."""
    data = load_mnist(MNIST, "train")
    config = PixelJudgeConfig.paper(pixels, steps=steps + 2)
    speed = SpeedChoice.fixed(precision, torch.get_num_threads())
    stamps: dict[int, float] = {}

    def clock(step: int, total: int, accuracy: float | None) -> None:
        stamps[step] = time.perf_counter()

    with tempfile.TemporaryDirectory() as folder:
        train(
            config,
            data,
            Path(folder) / "judge.partial.pt",
            device=torch.device("cpu"),
            speed=speed,
            progress=clock,
            eval_every=10**9,
            save_every=10**9,
            save_seconds=float("inf"),
        )
    return (stamps[steps + 1] - stamps[1]) / steps


def evaluation_speed(judge: TrainedJudge, batch: int = 1024, rounds: int = 5) -> dict[str, float]:
    test = load_mnist(MNIST, "test")
    images = torch.from_numpy(test.flat()[:batch].copy())
    pixels = sample_pixels(images, 6, torch.Generator().manual_seed(0))
    planes = encode(pixels, images.gather(1, pixels))
    frozen = inference_module(judge.net)
    out = {}
    for name, net in (("frozen", frozen), ("eager", judge.net)):
        with torch.inference_mode():
            net(planes)
            best = min(_timed(lambda net=net: net(planes)) for _ in range(rounds))
        out[f"{name} evaluations/s"] = batch / best
    evaluator = PixelEvaluator(judge)
    sets = [
        frozenset(code(int(p), int(v)) for p, v in zip(row, vals, strict=True))
        for row, vals in zip(pixels.tolist(), images.gather(1, pixels).tolist(), strict=True)
    ]
    evaluator.logits(sets)
    out["cached look-ups/s"] = len(sets) / min(
        _timed(lambda: evaluator.logits(sets)) for _ in range(rounds)
    )
    return out


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def rollout_speed(
    judge: TrainedJudge, config: MnistDebateConfig, images: int = 10
) -> dict[str, float]:
    test = load_mnist(MNIST, "test")
    evaluator = PixelEvaluator(judge)
    result = {}
    for label in ("cold", "warm"):
        player = MCTS(100, batch=config.debater.batch, c_puct=config.debater.c_puct)
        games = []
        for i in range(images):
            truth = int(test.labels[i])
            image = [int(v) for v in test.flat()[i]]
            for lie in (d for d in range(10) if d != truth):
                game = play_game(
                    image,
                    Claim(truth),
                    Claim(lie),
                    (player, player),
                    pixels=6,
                    first="honest",
                    nonzero_only=True,
                    pool=config.pool,
                    seed=i,
                )
                games.append(((i, lie), game))
        before = evaluator.stats.evaluated
        start = time.perf_counter()
        play_many(games, evaluator, lambda key, record: None)
        seconds = time.perf_counter() - start
        result[f"{label}: rollouts/s"] = player.rollouts_done / seconds
        result[f"{label}: judge evaluations"] = evaluator.stats.evaluated - before
        result[f"{label}: seconds for {len(games)} games"] = seconds
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--run", type=Path, help="a finished irving-mnist run directory")
    parser.add_argument("--train-steps", type=int, default=20, help="batches to time")
    args = parser.parse_args()
    config = load_preset("irving-mnist")
    assert isinstance(config, MnistDebateConfig)
    print(
        f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
        f"torch {torch.__version__}, {torch.get_num_threads()} threads"
    )
    print("\n1. judge training (paper recipe: batches of 128, Adam 1e-4)")
    for precision in ("bfloat16", "float32"):
        per = training_speed(6, precision, args.train_steps)
        print(
            f"  {precision}: {per:.3f} s/batch -> 30k batches {per * 30_000 / 3600:.2f} h, "
            f"50k batches {per * 50_000 / 3600:.2f} h"
        )
    for pixels in config.pixel_counts:
        judge, kind = judge_for(config, pixels)
        if kind == "cached judge":
            r = judge.report
            print(
                f"  cached {pixels}-pixel judge: {r.steps_done} batches in {r.seconds:.0f} s "
                f"({r.seconds / 3600:.2f} h, {r.threads} threads, {r.device}, "
                f"{r.speed.describe() if r.speed else r.precision}), held-out "
                f"accuracy {r.validation_accuracy}"
            )
    judge, kind = judge_for(config, 6)
    print(f"\n2. judge evaluations ({kind}, batches of 1024 six-pixel sets)")
    for name, value in evaluation_speed(judge).items():
        print(f"  {name}: {value:,.0f}")
    print(
        f"\n3. MCTS rollouts ({kind}; 100 rollouts/move, pool {config.pool.candidates}, "
        "10 images x 9 lies, 6 pixels)"
    )
    for name, value in rollout_speed(judge, config).items():
        print(f"  {name}: {value:,.0f}")
    if args.run is not None:
        timing = json.loads((args.run / "timing.json").read_text())
        print(
            f"\n4. preset wall time ({args.run}): {timing['total_seconds']:.0f} s "
            f"({timing['total_seconds'] / 60:.1f} min)"
        )
        for key in (
            "judges_seconds",
            "judge_alone_seconds",
            "games_seconds",
            "transcripts_seconds",
        ):
            print(f"  {key}: {timing[key]:.1f}")
        for key, value in timing.items():
            if key.startswith("search_"):
                print(f"  {key}: {json.dumps(value)}")


if __name__ == "__main__":
    main()
