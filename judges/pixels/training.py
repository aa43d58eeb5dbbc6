"""Train a sparse-pixel judge, resumably: hours of CPU time are never lost to a kill.

Every batch is drawn from a generator seeded by (seed, step), and dropout is reseeded the same
way, so a run that is killed and resumed from its partial checkpoint sees exactly the batches
an uninterrupted run would. Accuracy on held-out training images (fixed random pixels) is
recorded along the way: the learning curve is part of the judge's record.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import torch
from pydantic import Field

from debate.domains.mnist import MnistSplit
from debate.seeds import derive_seed
from debate.types import Frozen
from judges.pixels.config import PixelJudgeConfig
from judges.pixels.network import SparsePixelNet, encode, sample_pixels

TrainProgress = Callable[[int, int, float | None], None]
"""Called with (steps done, steps in all, latest validation accuracy or None)."""


class TrainingReport(Frozen):
    """How a judge was trained: time, hardware and its learning curve."""

    steps_done: int
    seconds: float = Field(description="training wall time, summed over resumed sessions")
    curve: list[tuple[int, float]] = Field(
        default_factory=list, description="(step, held-out accuracy) along the way"
    )
    validation_accuracy: float | None = None
    device: str = "cpu"
    torch_version: str = ""
    threads: int = 1


def _generator(seed: int, *parts: object, device: torch.device) -> torch.Generator:
    generator = torch.Generator(device=device)
    generator.manual_seed(derive_seed(seed, *parts))
    return generator


def split_images(data: MnistSplit, config: PixelJudgeConfig) -> tuple[torch.Tensor, ...]:
    """(train images, train labels, validation images, validation labels) as tensors."""
    flat = torch.from_numpy(data.flat().copy())
    labels = torch.from_numpy(data.labels.astype("int64"))
    cut = len(data) - config.validation_images
    return flat[:cut], labels[:cut], flat[cut:], labels[cut:]


@torch.inference_mode()
def accuracy(
    net: SparsePixelNet, images: torch.Tensor, labels: torch.Tensor, pixels: torch.Tensor
) -> float:
    """10-way accuracy of ``net`` on the given revealed pixels, in batches."""
    net.eval()
    hits = 0
    for lo in range(0, images.shape[0], 1024):
        chunk, rows = pixels[lo : lo + 1024], images[lo : lo + 1024]
        logits = net(encode(chunk, rows.gather(1, chunk)))
        hits += int((logits.argmax(1) == labels[lo : lo + 1024]).sum())
    return hits / images.shape[0]


def train(
    config: PixelJudgeConfig,
    data: MnistSplit,
    partial: Path,
    *,
    device: torch.device,
    progress: TrainProgress | None = None,
    eval_every: int = 2_000,
    save_every: int = 500,
) -> tuple[SparsePixelNet, TrainingReport]:
    """Train (or resume training) ``config``'s judge; state is saved to ``partial`` as it goes."""
    from judges.pixels.checkpoint import load_partial, save_partial

    train_x, train_y, val_x, val_y = (t.to(device) for t in split_images(data, config))
    val_pixels = sample_pixels(
        val_x,
        config.pixels,
        _generator(config.seed, "validation", device=device),
        nonzero_only=config.nonzero_only,
    )
    torch.manual_seed(derive_seed(config.seed, "init"))
    net = SparsePixelNet(config.dropout).to(device)
    optimizer = torch.optim.Adam(net.parameters(), lr=config.learning_rate, fused=True)
    report = TrainingReport(
        steps_done=0,
        seconds=0.0,
        device=str(device),
        torch_version=str(torch.__version__),
        threads=torch.get_num_threads(),
    )
    if partial.exists():  # resume; the record keeps this session's hardware
        resumed = load_partial(partial, config, net, optimizer, device)
        report = resumed.model_copy(update={"device": report.device, "threads": report.threads})
    started, step = time.perf_counter(), report.steps_done
    seconds_before = report.seconds

    def snapshot(curve: list[tuple[int, float]]) -> TrainingReport:
        return report.model_copy(
            update={
                "steps_done": step,
                "seconds": seconds_before + time.perf_counter() - started,
                "curve": curve,
                "validation_accuracy": curve[-1][1] if curve else None,
            }
        )

    curve = list(report.curve)
    dtype = getattr(torch, config.precision)
    while step < config.steps:
        net.train()
        generator = _generator(config.seed, "batch", step, device=device)
        rows = torch.randint(0, train_x.shape[0], (config.batch_size,), generator=generator)
        rows = rows.to(device)
        images = train_x[rows]
        pixels = sample_pixels(images, config.pixels, generator, nonzero_only=config.nonzero_only)
        torch.manual_seed(derive_seed(config.seed, "dropout", step))
        with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
            logits = net(encode(pixels, images.gather(1, pixels)))
            loss = torch.nn.functional.cross_entropy(logits, train_y[rows])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()  # type: ignore[no-untyped-call]
        optimizer.step()
        step += 1
        evaluated = step % eval_every == 0 or step == config.steps
        if evaluated:
            curve.append((step, accuracy(net, val_x, val_y, val_pixels)))
        if evaluated or step % save_every == 0:
            save_partial(partial, config, net, optimizer, snapshot(curve))
        if progress is not None:
            progress(step, config.steps, curve[-1][1] if evaluated else None)
    return net, snapshot(curve)
