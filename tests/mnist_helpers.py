"""Shared pieces of the MNIST tests: the data, and one tiny judge trained once per session.

The tiny judge uses the real architecture and training code with a short, fast recipe (30
batches of 64 at a high learning rate): far from the paper's judge, but well above chance, which
is what the tests of search, protocol and runner need.
"""

from __future__ import annotations

import functools
import tempfile
from pathlib import Path

from debate.domains.mnist import MnistSplit, load_mnist

ROOT = Path(__file__).resolve().parents[1]
MNIST = ROOT.parent / "shared" / "data" / "mnist"
TINY_RECIPE = {"steps": 30, "batch_size": 64, "learning_rate": 2e-3, "validation_images": 500}


@functools.cache
def split(name: str) -> MnistSplit:
    return load_mnist(MNIST, "train" if name == "train" else "test")


@functools.cache
def judge_dir() -> Path:
    """A judge cache for this test session (trained into on first use)."""
    return Path(tempfile.mkdtemp(prefix="mnist-judges-"))


@functools.cache
def tiny_judge(pixels: int = 6):  # type: ignore[no-untyped-def]
    """The session's tiny judge for ``pixels`` (a TrainedJudge), trained on first use."""
    from judges.pixels.checkpoint import ensure_judge
    from judges.pixels.config import PixelJudgeConfig

    config = PixelJudgeConfig.model_validate({"pixels": pixels, **TINY_RECIPE})
    return ensure_judge(config, MNIST, judge_dir(), device="cpu")


@functools.cache
def tiny_evaluator(pixels: int = 6):  # type: ignore[no-untyped-def]
    from judges.pixels.evaluator import PixelEvaluator

    return PixelEvaluator(tiny_judge(pixels))
