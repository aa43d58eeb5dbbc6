"""Judge checkpoints: weights saved with the config that made them, found by that config.

A finished judge lives at ``<judge_dir>/sparse-pixel-judge-<k>px-<config hash>.pt``; a run
that asks for the same recipe reuses it, a different recipe gets a different file (so a stale
judge is never used by mistake). Training in progress is saved beside it as ``.partial.pt``
and resumed. Files are written to a temporary name and renamed, so a kill never leaves a torn
checkpoint; an unreadable or mismatched file is one clear ``DataError``. A judge trained in
either precision serves a config asking for any (precision is a speed setting, recorded in the
training record, not part of the identity).
"""

from __future__ import annotations

import os
import pickle
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import ValidationError

from debate.errors import DataError
from judges.pixels.config import PixelJudgeConfig
from judges.pixels.network import SparsePixelNet, select_device
from judges.pixels.speed import SpeedChoice, choose_speed
from judges.pixels.training import TrainingReport, TrainProgress, train

FORMAT = 1
DEFAULT_JUDGE_DIR = Path(".debate-cache/mnist-judges")


@dataclass(frozen=True)
class TrainedJudge:
    """A trained network (in eval mode, on ``device``) with its recipe and training record."""

    config: PixelJudgeConfig
    net: SparsePixelNet
    report: TrainingReport
    path: Path
    device: torch.device
    trained_now: bool = False


def _write(path: Path, payload: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(payload, tmp)
    os.replace(tmp, path)


def _read(path: Path, config: PixelJudgeConfig | None, kind: str) -> dict[str, Any]:
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, pickle.UnpicklingError, zipfile.BadZipFile) as exc:
        raise DataError(f"judge checkpoint {path} is unreadable: {str(exc)[:120]}") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise DataError(f"judge checkpoint {path} is not a format-{FORMAT} judge checkpoint")
    if payload.get("kind") != kind:
        raise DataError(f"judge checkpoint {path} is a {payload.get('kind')} checkpoint")
    try:
        stored = PixelJudgeConfig.model_validate(payload["config"])
    except (KeyError, ValidationError):
        raise DataError(f"judge checkpoint {path} holds no valid judge config") from None
    if config is not None and stored.identity() != config.identity():
        mine, theirs = stored.identity(), config.identity()
        diff = sorted(name for name in mine if mine[name] != theirs[name])
        raise DataError(
            f"judge checkpoint {path} was trained with a different config ({', '.join(diff)})"
        )
    return payload


def save_partial(
    path: Path,
    config: PixelJudgeConfig,
    net: SparsePixelNet,
    optimizer: torch.optim.Optimizer,
    report: TrainingReport,
) -> None:
    _write(
        path,
        {
            "format": FORMAT,
            "kind": "partial",
            "config": config.model_dump(mode="json"),
            "model": net.state_dict(),
            "optimizer": optimizer.state_dict(),
            "report": report.model_dump(mode="json"),
        },
    )


def load_partial(
    path: Path,
    config: PixelJudgeConfig,
    net: SparsePixelNet,
    optimizer: torch.optim.Optimizer,
    device: torch.device,
) -> TrainingReport:
    """Restore training state from ``path`` into ``net`` and ``optimizer``."""
    payload = _read(path, config, "partial")
    net.load_state_dict(payload["model"])
    optimizer.load_state_dict(payload["optimizer"])
    net.to(device)
    return TrainingReport.model_validate(payload["report"])


def save_judge(path: Path, judge: TrainedJudge) -> None:
    _write(
        path,
        {
            "format": FORMAT,
            "kind": "judge",
            "config": judge.config.model_dump(mode="json"),
            "model": judge.net.state_dict(),
            "report": judge.report.model_dump(mode="json"),
        },
    )


def load_judge(
    path: Path, config: PixelJudgeConfig | None = None, device: str = "auto"
) -> TrainedJudge:
    """A finished judge from ``path``; with ``config``, it must have been trained with it."""
    if not path.is_file():
        raise DataError(f"judge checkpoint not found: {path}")
    payload = _read(path, config, "judge")
    stored = PixelJudgeConfig.model_validate(payload["config"])
    net = SparsePixelNet(stored.dropout)
    try:
        net.load_state_dict(payload["model"])
    except (RuntimeError, KeyError) as exc:
        raise DataError(f"judge checkpoint {path} has unusable weights: {exc}") from None
    where = select_device(device)
    net.to(where).eval()
    report = TrainingReport.model_validate(payload["report"])
    if report.precision is None and stored.precision != "auto":  # recorded before it was chosen
        report = report.model_copy(update={"precision": stored.precision})
    return TrainedJudge(stored, net, report, path, where)


def judge_path(config: PixelJudgeConfig, judge_dir: Path | str = DEFAULT_JUDGE_DIR) -> Path:
    return Path(judge_dir) / config.file_name()


def ensure_judge(
    config: PixelJudgeConfig,
    data_dir: Path | str,
    judge_dir: Path | str = DEFAULT_JUDGE_DIR,
    *,
    device: str = "auto",
    threads: int | Literal["auto"] | None = None,
    progress: TrainProgress | None = None,
    on_train: Callable[[PixelJudgeConfig, Path], None] | None = None,
    on_speed: Callable[[SpeedChoice], None] | None = None,
) -> TrainedJudge:
    """The judge for ``config``: loaded from the cache, else trained (resuming) and saved.

    Before training, the precision (``auto``) and threads (``auto``) are chosen by timing a
    few batches on the training device (``judges.pixels.speed``); ``on_speed`` hears the
    choice, which the judge's training record keeps."""
    path = judge_path(config, judge_dir)
    if path.exists():
        return load_judge(path, config, device)
    from debate.domains.mnist import load_mnist

    data = load_mnist(data_dir, "train")
    if on_train is not None:
        on_train(config, path)
    where = select_device(device)
    speed = choose_speed(config, where, threads=threads, data=data, cache_dir=Path(judge_dir))
    if on_speed is not None:
        on_speed(speed)
    partial = path.with_name(path.name.removesuffix(".pt") + ".partial.pt")
    net, report = train(config, data, partial, device=where, speed=speed, progress=progress)
    judge = TrainedJudge(config, net.eval(), report, path, where, trained_now=True)
    save_judge(path, judge)
    partial.unlink(missing_ok=True)
    return judge
