"""Choose the judge training's precision (and threads) by timing a few real batches.

bfloat16 autocast roughly halves a training batch on a CPU with bf16 instructions
(AVX512-BF16, AMX) and makes it several times slower on one without (AVX2 only: 5.3-6.9 s a
batch against 0.7-0.9 s in float32), so no fixed choice is right everywhere, and capability
flags do not say how fast a kernel really is. So a few batches of the real training step are
timed in each candidate, interleaved so that a neighbour's load falls on all of them alike, on
the device that will train; the fastest median wins. That costs seconds against hours of
training; the choice is cached per machine beside the judges and recorded in each judge's
training record. Precision is not part of a judge's identity (``PixelJudgeConfig.key``).
"""

from __future__ import annotations

import json
import math
import os
import platform
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field, ValidationError

from debate.types import Frozen

if TYPE_CHECKING:
    import torch

    from debate.domains.mnist import MnistSplit
    from judges.pixels.config import PixelJudgeConfig
    from judges.pixels.network import SparsePixelNet

Precision = Literal["float32", "bfloat16"]
PRECISIONS: tuple[Precision, ...] = ("float32", "bfloat16")
Candidate = tuple[Precision, int]
BatchTimer = Callable[[Precision, int], float]
"""Seconds one training batch takes in (precision, threads)."""
CACHE_FILE = "speed-choices.json"


class SpeedChoice(Frozen):
    """The precision and threads a training session uses, and how they were chosen."""

    precision: Precision
    threads: int = Field(ge=1)
    how: Literal["measured", "cached", "fixed"] = Field(
        description="measured now, measured before on this machine (cached), or set by config"
    )
    seconds_per_batch: dict[str, float] = Field(
        default_factory=dict, description="median seconds per timed batch, by candidate"
    )
    unusable: list[str] = Field(
        default_factory=list, description="candidates that could not train a batch here"
    )
    machine: str = ""

    @classmethod
    def fixed(cls, precision: str, threads: int) -> SpeedChoice:
        """What a config that names its precision gets (``auto`` alone: float32)."""
        chosen: Precision = "bfloat16" if precision == "bfloat16" else "float32"
        return cls(precision=chosen, threads=threads, how="fixed")

    def describe(self) -> str:
        """One line for logs and reports, e.g. 'bfloat16 autocast, 1 thread (measured, ...)'."""
        text = f"{self.precision} autocast, {self.threads} thread{'s' * (self.threads != 1)}"
        if self.how == "fixed":
            return f"{text} (set by the config)"
        timings = ", ".join(f"{k} {v:.3f} s" for k, v in self.seconds_per_batch.items())
        failed = f"; unusable: {', '.join(self.unusable)}" if self.unusable else ""
        return f"{text} ({self.how}, per batch: {timings}{failed})"


def label(candidate: Candidate) -> str:
    precision, threads = candidate
    return f"{precision}/{threads}t"


def pick_fastest(
    candidates: Sequence[Candidate],
    timer: BatchTimer,
    *,
    rounds: int = 3,
    warmup: int = 2,
    give_up: float = 2.0,
) -> tuple[Candidate, dict[Candidate, float]]:
    """The candidate with the lowest median batch time, and every candidate's median.

    Each candidate first runs ``warmup`` untimed batches; then ``rounds`` rounds time one
    batch of each, the order rotating per round. A candidate whose best time is over
    ``give_up`` times the best after a round is dropped, so a slow precision costs a couple of
    batches, not ``rounds`` of them."""
    if not candidates:
        raise ValueError("no candidate to time")

    def run(candidate: Candidate) -> float:
        try:
            return timer(*candidate)
        except RuntimeError:  # e.g. no bfloat16 autocast on this device: not a candidate
            return math.inf

    failed = {c for c in candidates for _ in range(warmup) if run(c) == math.inf}
    alive = [c for c in candidates if c not in failed]
    times: dict[Candidate, list[float]] = {c: [] for c in alive}
    for r in range(rounds):
        if not alive:
            break
        for candidate in alive[r % len(alive) :] + alive[: r % len(alive)]:
            times[candidate].append(run(candidate))
        best = min(min(times[c]) for c in alive)
        alive = [c for c in alive if math.isfinite(t := min(times[c])) and t <= give_up * best]
    if not alive:
        raise RuntimeError(f"no candidate could train a batch: {[label(c) for c in candidates]}")
    medians = {c: statistics.median(times[c]) if c in times else math.inf for c in candidates}
    return min(alive, key=lambda c: medians[c]), medians


def thread_options(threads: int | Literal["auto"] | None) -> list[int]:
    """None: torch's current setting; a number: that; ``auto``: 1, 2, 4, ... and all cores."""
    import torch

    if threads is None:
        return [torch.get_num_threads()]
    if threads != "auto":
        return [threads]
    cores = os.cpu_count() or 1
    return sorted({*(2**i for i in range(cores.bit_length()) if 2**i <= cores), cores})


def machine_key(device: torch.device) -> str:
    """What the measurement depends on: device, processor, torch build."""
    import torch

    if device.type == "cuda":
        where = torch.cuda.get_device_name(device)
    else:
        where = f"{_cpu_model()} {torch.backends.cpu.get_cpu_capability()}"
    return f"{device.type}: {where}; torch {torch.__version__}"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def choose_speed(
    config: PixelJudgeConfig,
    device: torch.device,
    *,
    threads: int | Literal["auto"] | None = None,
    timer: BatchTimer | None = None,
    data: MnistSplit | None = None,
    cache_dir: Path | None = None,
) -> SpeedChoice:
    """The precision and threads to train ``config`` with, and sets torch's threads to them.

    A named precision and fixed threads are used as they are; otherwise the candidates are
    timed (``timer``; default: the real training step on ``data``), unless ``cache_dir``
    holds a choice measured before for the same machine and candidates."""
    import torch

    precisions = list(PRECISIONS) if config.precision == "auto" else [config.precision]
    options = thread_options(threads)
    candidates: list[Candidate] = [(p, t) for p in precisions for t in options]
    if len(candidates) == 1:
        choice = SpeedChoice.fixed(precisions[0], options[0])
    else:
        key = f"{machine_key(device)}; batch {config.batch_size}; {[label(c) for c in candidates]}"
        choice = _cached(cache_dir, key) or _measure(candidates, timer, config, device, data, key)
        if choice.how == "measured" and cache_dir is not None:
            _store(cache_dir, key, choice)
    torch.set_num_threads(choice.threads)
    return choice


def _measure(
    candidates: list[Candidate],
    timer: BatchTimer | None,
    config: PixelJudgeConfig,
    device: torch.device,
    data: MnistSplit | None,
    key: str,
) -> SpeedChoice:
    if timer is None:
        if data is None:
            raise ValueError("measuring the training speed needs the training data")
        timer = TrainingBatchTimer(config, data, device)
    best, medians = pick_fastest(candidates, timer)
    return SpeedChoice(
        precision=best[0],
        threads=best[1],
        how="measured",
        seconds_per_batch={label(c): round(s, 4) for c, s in medians.items() if math.isfinite(s)},
        unusable=[label(c) for c, s in medians.items() if not math.isfinite(s)],
        machine=key,
    )


def _cached(cache_dir: Path | None, key: str) -> SpeedChoice | None:
    if cache_dir is None:
        return None
    try:
        stored = json.loads((cache_dir / CACHE_FILE).read_text())[key]
        return SpeedChoice.model_validate(stored).model_copy(update={"how": "cached"})
    except (OSError, ValueError, KeyError, TypeError, ValidationError):
        return None


def _store(cache_dir: Path, key: str, choice: SpeedChoice) -> None:
    path = cache_dir / CACHE_FILE
    try:
        stored = json.loads(path.read_text()) if path.exists() else {}
    except (OSError, ValueError):
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    stored[key] = choice.model_dump(mode="json")
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(stored, indent=2) + "\n")
    os.replace(tmp, path)


class TrainingBatchTimer:
    """Times one real training batch (``training.train_step``) per call, each precision on a
    network and optimizer of its own, fresh from the config's initialisation."""

    def __init__(self, config: PixelJudgeConfig, data: MnistSplit, device: torch.device) -> None:
        from judges.pixels.training import split_images

        self.config = config
        self.device = device
        images, labels, _, _ = split_images(data, config)
        self.images, self.labels = images[:10_000].to(device), labels[:10_000].to(device)
        self.models: dict[str, tuple[SparsePixelNet, torch.optim.Optimizer]] = {}
        self.calls = 0

    def __call__(self, precision: Precision, threads: int) -> float:
        import torch

        from judges.pixels.training import new_model, train_step

        torch.set_num_threads(threads)
        if precision not in self.models:
            self.models[precision] = new_model(self.config, self.device)
        net, optimizer = self.models[precision]
        self._sync()
        start = time.perf_counter()
        train_step(net, optimizer, self.config, self.images, self.labels, self.calls, precision)
        self._sync()
        self.calls += 1
        return time.perf_counter() - start

    def _sync(self) -> None:
        import torch

        if self.device.type == "cuda":
            torch.cuda.synchronize(self.device)
