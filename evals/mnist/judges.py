"""The experiment's judges: trained once per recipe and cached, then measured alone.

The judge-alone rows are the paper's baseline: the judge's 10-way accuracy on test images when
it sees ``k`` pixels drawn at random among the nonzero ones (what it was trained on).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from debate.domains.mnist import MnistSplit
from debate.seeds import derive_seed
from evals.mnist.cells import Cell, JudgeAloneLine
from evals.mnist.config import MnistDebateConfig
from judges.pixels.checkpoint import TrainedJudge, ensure_judge, judge_path
from judges.pixels.evaluator import PixelEvaluator
from judges.pixels.training import logged_progress


def load_judges(
    config: MnistDebateConfig, mnist_dir: Path, log: Callable[[str], None]
) -> dict[int, TrainedJudge]:
    """Each pixel count's judge, from the cache or trained now (resuming a killed training)."""
    judges: dict[int, TrainedJudge] = {}
    for pixels in config.pixel_counts:
        recipe = config.judge.config(pixels)
        judge = ensure_judge(
            recipe,
            mnist_dir,
            config.judge_dir,
            device=config.device,
            threads=config.judge.threads,
            progress=logged_progress(log),
            on_train=lambda cfg, where: log(
                f"training the {cfg.pixels}-pixel judge ({cfg.steps} batches) into {where}"
            ),
            on_speed=lambda speed: log(f"  training in {speed.describe()}"),
        )
        state = "trained" if judge.trained_now else "cached"
        log(f"{pixels}-pixel judge ({state}): {judge_path(recipe, config.judge_dir)}")
        if not judge.trained_now:
            log(f"  it was trained in {_precision(judge)}")
        judges[pixels] = judge
    return judges


def _precision(judge: TrainedJudge) -> str:
    speed = judge.report.speed
    if speed is not None:
        return speed.describe()
    return f"{judge.report.precision or 'unrecorded precision'} autocast"


def judge_alone(
    config: MnistDebateConfig, evaluator: PixelEvaluator, test: MnistSplit, cell: Cell
) -> JudgeAloneLine:
    """The judge's accuracy on ``judge_alone_images`` test images, random nonzero pixels."""
    import torch

    from judges.pixels.network import encode, sample_pixels

    n = min(config.judge_alone_images, len(test))
    images = torch.from_numpy(test.flat()[:n].copy())
    generator = torch.Generator().manual_seed(derive_seed(config.seed, "judge-alone", cell.pixels))
    pixels = sample_pixels(images, cell.pixels, generator, nonzero_only=True)
    hits: list[bool] = []
    device = evaluator.judge.device
    for lo in range(0, n, config.eval_batch):
        hi = min(lo + config.eval_batch, n)
        planes = encode(pixels[lo:hi], images[lo:hi].gather(1, pixels[lo:hi]))
        logits = evaluator.forward(planes.to(device))
        hits.extend(bool(h) for h in logits.argmax(1) == test.labels[lo:hi])
    return JudgeAloneLine(cell=cell, n=n, correct=sum(hits), images=list(range(n)), hits=hits)
