"""``debate train-judge`` and the runner behind ``debate eval --preset irving-mnist``.

Training a judge is the slow part of the MNIST reproduction (hours on a 2-core CPU), so it is
its own command: it trains the judge for a recipe once, resumably, into the judge cache that
the preset reads; a second call with the same recipe just reports the cached judge.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Literal

import typer

from debate.cli import DataDirOption, app, console, one_line_errors
from debate.errors import ConfigError

if TYPE_CHECKING:
    pass


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@app.command("train-judge")
@one_line_errors
def train_judge(
    pixels: Annotated[int, typer.Option("--pixels", min=1, max=784, help="pixels it sees")] = 6,
    steps: Annotated[
        int | None,
        typer.Option("--steps", min=1, help="training batches (default: the paper's)"),
    ] = None,
    judge_dir: Annotated[Path, typer.Option("--judge-dir", help="judge cache")] = Path(
        ".debate-cache/mnist-judges"
    ),
    device: Annotated[str, typer.Option("--device", help="auto, cpu, cuda, ...")] = "auto",
    threads: Annotated[
        str | None,
        typer.Option("--threads", help="CPU threads for torch: a number, or auto (timed)"),
    ] = None,
    precision: Annotated[
        str,
        typer.Option("--precision", help="auto (the faster, timed at start), float32, bfloat16"),
    ] = "auto",
    data_dir: DataDirOption = None,
) -> None:
    """Train the sparse-pixel MNIST judge (Irving et al. 2018) once, or show the cached one."""
    from judges.pixels import require_torch

    require_torch()
    from evals.config import data_dir as resolve_data_dir
    from judges.pixels.checkpoint import ensure_judge
    from judges.pixels.config import PixelJudgeConfig

    if precision not in ("auto", "float32", "bfloat16"):
        raise ConfigError(f"--precision must be auto, float32 or bfloat16, not {precision!r}")
    overrides: dict[str, object] = {"precision": precision}
    if steps is not None:
        overrides["steps"] = steps
    config = PixelJudgeConfig.paper(pixels, **overrides)
    started = time.perf_counter()

    def progress(step: int, total: int, accuracy: float | None) -> None:
        if accuracy is not None or step % max(total // 100, 1) == 0:
            held_out = f", held-out accuracy {accuracy:.3f}" if accuracy is not None else ""
            _log(f"{step}/{total} batches, {time.perf_counter() - started:.0f} s{held_out}")

    judge = ensure_judge(
        config,
        resolve_data_dir(data_dir) / "mnist",
        judge_dir,
        device=device,
        threads=_threads(threads),
        progress=progress,
        on_train=lambda cfg, path: _log(f"training {cfg.steps} batches into {path}"),
        on_speed=lambda speed: _log(f"training in {speed.describe()}"),
    )
    report = judge.report
    accuracy = report.validation_accuracy
    how = report.speed.describe() if report.speed else f"{report.precision or 'unrecorded'}"
    console.print(
        f"{pixels}-pixel judge ({'trained now' if judge.trained_now else 'cached'}): "
        f"{judge.path}\n  {report.steps_done} batches, {report.seconds:.0f} s training on "
        f"{report.device} ({report.threads} threads), held-out accuracy "
        f"{'n/a' if accuracy is None else f'{accuracy:.3f}'}\n  precision: {how}",
        markup=False,
        highlight=False,
    )


def _threads(value: str | None) -> int | Literal["auto"] | None:
    if value is None:
        return None
    if value == "auto":
        return "auto"
    if not value.isdigit() or int(value) < 1:
        raise ConfigError(f"--threads must be a positive number or auto, not {value!r}")
    return int(value)
