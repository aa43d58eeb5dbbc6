"""Train a sparse-pixel judge, resumably: hours of CPU time are never lost to a kill.

Every batch is drawn from a generator seeded by (seed, step), and dropout is reseeded the same
way, so a run that is killed and resumed from its partial checkpoint sees exactly the batches
an uninterrupted run would. The partial checkpoint is written every ``save_every`` batches and
at least every ``save_seconds`` of wall time, so a kill costs at most about half a minute
however slow a batch is on the machine. Accuracy on held-out training images (fixed random
pixels) is recorded along the way: the learning curve is part of the judge's record, and so is
the precision the batches ran in (``judges.pixels.speed`` chooses it by measurement).
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
from judges.pixels.speed import Precision, SpeedChoice

TrainProgress = Callable[[int, int, float | None], None]


def logged_progress(log: Callable[[str], None], every_s: float = 30.0) -> TrainProgress:
    """A training progress callback that logs each 5% of the batches, each held-out
    accuracy, and at least every ``every_s`` seconds (a long training is never silent)."""
    started = last = time.perf_counter()

    def progress(step: int, total: int, accuracy: float | None) -> None:
        nonlocal last
        now = time.perf_counter()
        if accuracy is not None or step % max(total // 20, 1) == 0 or now - last >= every_s:
            last = now
            held_out = "" if accuracy is None else f", held-out accuracy {accuracy:.3f}"
            log(f"  {step}/{total} batches, {now - started:.0f} s{held_out}")

    return progress


"""Called with (steps done, steps in all, latest validation accuracy or None)."""


class TrainingReport(Frozen):
    """How a judge was trained: time, hardware, precision and its learning curve."""

    steps_done: int
    seconds: float = Field(description="training wall time, summed over resumed sessions")
    curve: list[tuple[int, float]] = Field(
        default_factory=list, description="(step, held-out accuracy) along the way"
    )
    validation_accuracy: float | None = None
    device: str = "cpu"
    torch_version: str = ""
    threads: int = 1
    precision: Precision | None = Field(
        default=None,
        description="autocast precision of the latest session's batches (None: not recorded; "
        "judges trained before it was recorded ran in their config's precision)",
    )
    speed: SpeedChoice | None = Field(
        default=None, description="how the latest session's precision and threads were chosen"
    )
    sessions: list[tuple[int, Precision]] = Field(
        default_factory=list, description="(first step, precision) of every training session"
    )


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


def train_step(
    net: SparsePixelNet,
    optimizer: torch.optim.Optimizer,
    config: PixelJudgeConfig,
    images: torch.Tensor,
    labels: torch.Tensor,
    step: int,
    precision: Precision,
) -> None:
    """One batch: ``step``'s batch and dropout seeds, the forward pass under ``precision``
    autocast (float32 weights either way). The speed measurement times this same function."""
    device = images.device
    net.train()
    generator = _generator(config.seed, "batch", step, device=device)
    rows = torch.randint(0, images.shape[0], (config.batch_size,), generator=generator)
    rows = rows.to(device)
    batch = images[rows]
    pixels = sample_pixels(batch, config.pixels, generator, nonzero_only=config.nonzero_only)
    torch.manual_seed(derive_seed(config.seed, "dropout", step))
    dtype = getattr(torch, precision)
    with torch.autocast(device.type, dtype=dtype, enabled=dtype != torch.float32):
        logits = net(encode(pixels, batch.gather(1, pixels)))
        loss = torch.nn.functional.cross_entropy(logits, labels[rows])
    optimizer.zero_grad(set_to_none=True)
    loss.backward()  # type: ignore[no-untyped-call]
    optimizer.step()


def new_model(
    config: PixelJudgeConfig, device: torch.device
) -> tuple[SparsePixelNet, torch.optim.Adam]:
    """The network as initialised for ``config``'s seed, and its Adam optimizer."""
    torch.manual_seed(derive_seed(config.seed, "init"))
    net = SparsePixelNet(config.dropout).to(device)
    return net, torch.optim.Adam(net.parameters(), lr=config.learning_rate, fused=True)


def train(
    config: PixelJudgeConfig,
    data: MnistSplit,
    partial: Path,
    *,
    device: torch.device,
    speed: SpeedChoice | None = None,
    progress: TrainProgress | None = None,
    eval_every: int = 2_000,
    save_every: int = 500,
    save_seconds: float = 30.0,
    clock: Callable[[], float] = time.perf_counter,
) -> tuple[SparsePixelNet, TrainingReport]:
    """Train (or resume training) ``config``'s judge; state is saved to ``partial`` as it goes.

    ``speed`` is the precision chosen for this session (``ensure_judge`` measures it); without
    one, the config's precision is used, float32 for ``auto``."""
    from judges.pixels.checkpoint import load_partial, save_partial

    speed = speed or SpeedChoice.fixed(config.precision, torch.get_num_threads())
    train_x, train_y, val_x, val_y = (t.to(device) for t in split_images(data, config))
    val_pixels = sample_pixels(
        val_x,
        config.pixels,
        _generator(config.seed, "validation", device=device),
        nonzero_only=config.nonzero_only,
    )
    net, optimizer = new_model(config, device)
    report = TrainingReport(steps_done=0, seconds=0.0, torch_version=str(torch.__version__))
    if partial.exists():  # resume; the record keeps this session's hardware and precision
        report = load_partial(partial, config, net, optimizer, device)
    report = report.model_copy(
        update={
            "device": str(device),
            "threads": torch.get_num_threads(),
            "precision": speed.precision,
            "speed": speed,
            "sessions": [*report.sessions, (report.steps_done, speed.precision)],
        }
    )
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
    last_save = clock()
    while step < config.steps:
        train_step(net, optimizer, config, train_x, train_y, step, speed.precision)
        step += 1
        evaluated = step % eval_every == 0 or step == config.steps
        if evaluated:
            curve.append((step, accuracy(net, val_x, val_y, val_pixels)))
        if evaluated or step % save_every == 0 or clock() - last_save >= save_seconds:
            save_partial(partial, config, net, optimizer, snapshot(curve))
            last_save = clock()
        if progress is not None:
            progress(step, config.steps, curve[-1][1] if evaluated else None)
    return net, snapshot(curve)
