"""Judge training speed settings: precision chosen by measurement, recorded, never identity;
and a killed training keeps progress saved within seconds, however slow its batches."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")

from judges.pixels import speed as speed_module  # noqa: E402
from judges.pixels.checkpoint import ensure_judge, load_judge  # noqa: E402
from judges.pixels.config import PixelJudgeConfig  # noqa: E402
from judges.pixels.speed import Precision, SpeedChoice, choose_speed, pick_fastest  # noqa: E402
from judges.pixels.training import TrainingReport, TrainProgress, train  # noqa: E402
from tests.mnist_helpers import MNIST, split  # noqa: E402
from tests.torch_threads import one_torch_thread  # noqa: E402, F401  (autouse)

CPU = torch.device("cpu")
SMALL = {"pixels": 4, "steps": 4, "batch_size": 16, "validation_images": 200}


class FakeTimer:
    """Seconds per batch by precision, as an AVX2-only CPU measures them; counts the calls."""

    def __init__(self, seconds: dict[str, float]) -> None:
        self.seconds = seconds
        self.calls: list[tuple[str, int]] = []

    def __call__(self, precision: Precision, threads: int) -> float:
        self.calls.append((precision, threads))
        return self.seconds[precision]


def test_the_chooser_takes_float32_where_bfloat16_measures_slower(tmp_path: Path) -> None:
    config = PixelJudgeConfig.model_validate(SMALL)
    assert config.precision == "auto"
    slow_bf16 = FakeTimer({"float32": 0.8, "bfloat16": 6.0})
    choice = choose_speed(config, CPU, threads=1, timer=slow_bf16, cache_dir=tmp_path)
    assert (choice.precision, choice.threads, choice.how) == ("float32", 1, "measured")
    assert choice.seconds_per_batch == {"float32/1t": 0.8, "bfloat16/1t": 6.0}
    assert "float32 autocast, 1 thread (measured" in choice.describe()
    # two warm-up batches each, then bfloat16 is dropped after one round (over 2x slower)
    assert slow_bf16.calls.count(("bfloat16", 1)) == 3
    assert slow_bf16.calls.count(("float32", 1)) == 5

    fast_bf16 = FakeTimer({"float32": 0.5, "bfloat16": 0.25})
    best, medians = pick_fastest([("float32", 1), ("bfloat16", 1)], fast_bf16)
    assert best == ("bfloat16", 1) and medians[("bfloat16", 1)] == 0.25

    def must_not_run(precision: Precision, threads: int) -> float:
        raise AssertionError("the cached choice should have been used")

    cached = choose_speed(config, CPU, threads=1, timer=must_not_run, cache_dir=tmp_path)
    assert (cached.precision, cached.how) == ("float32", "cached")
    named = config.model_copy(update={"precision": "bfloat16"})
    fixed = choose_speed(named, CPU, threads=1, timer=must_not_run, cache_dir=tmp_path)
    assert (fixed.precision, fixed.how) == ("bfloat16", "fixed")


def test_a_candidate_that_cannot_train_is_dropped() -> None:
    def no_bf16(precision: Precision, threads: int) -> float:
        if precision == "bfloat16":
            raise RuntimeError("autocast bfloat16 unsupported on this device")
        return 1.0

    best, medians = pick_fastest([("bfloat16", 1), ("float32", 1)], no_bf16)
    assert best == ("float32", 1) and medians[("bfloat16", 1)] == float("inf")
    choice = choose_speed(PixelJudgeConfig.model_validate(SMALL), CPU, threads=1, timer=no_bf16)
    assert choice.precision == "float32" and choice.unusable == ["bfloat16/1t"]
    record = TrainingReport(steps_done=0, seconds=0.0, speed=choice).model_dump(mode="json")
    assert TrainingReport.model_validate(record).speed == choice  # storable as JSON


def test_precision_is_recorded_and_never_part_of_the_judge_identity(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # names of judges cached before precision was chosen at run time are unchanged
    assert PixelJudgeConfig.paper(6).file_name() == "sparse-pixel-judge-6px-a6673b880067.pt"
    assert PixelJudgeConfig.paper(4).file_name() == "sparse-pixel-judge-4px-f1f280a29b00.pt"
    precisions = ("auto", "float32", "bfloat16")
    keys = {PixelJudgeConfig.model_validate({**SMALL, "precision": p}).key() for p in precisions}
    assert len(keys) == 1

    timer = FakeTimer({"float32": 0.8, "bfloat16": 6.0})
    monkeypatch.setattr(speed_module, "TrainingBatchTimer", lambda *args: timer)
    config = PixelJudgeConfig.model_validate(SMALL)
    heard: list[SpeedChoice] = []
    judge = ensure_judge(config, MNIST, tmp_path, device="cpu", threads=1, on_speed=heard.append)
    assert judge.trained_now and timer.calls
    assert judge.report.precision == "float32" and judge.report.sessions == [(0, "float32")]
    assert judge.report.speed == heard[0] and heard[0].how == "measured"
    again = load_judge(judge.path, config.model_copy(update={"precision": "bfloat16"}))
    assert again.report.speed == heard[0]  # the record survives; a bf16 request reuses it
    assert ensure_judge(config, MNIST, tmp_path, device="cpu").trained_now is False


def test_a_killed_training_keeps_what_it_did_in_the_last_half_minute(tmp_path: Path) -> None:
    """Slow batches (a fake clock: 40 s each) are saved every batch, whatever save_every."""
    config = PixelJudgeConfig.model_validate(SMALL)
    data = split("train")
    ticks = itertools.count()

    def clock() -> float:
        return 40.0 * next(ticks)

    class Killed(Exception):
        pass

    def kill_at_step_three(step: int, total: int, acc: float | None) -> None:
        if step == 3:
            raise Killed

    def run(partial: Path, progress: TrainProgress | None = None) -> tuple[Any, TrainingReport]:
        return train(
            config, data, partial, device=CPU, progress=progress, clock=clock,
            save_every=10**9, eval_every=10**9, save_seconds=30.0,
        )  # fmt: skip

    partial = tmp_path / "judge.partial.pt"
    with pytest.raises(Killed):
        run(partial, kill_at_step_three)
    saved = TrainingReport.model_validate(torch.load(partial, weights_only=True)["report"])
    assert saved.steps_done == 3  # not 0: old code saved only every 500 batches
    resumed, report = run(partial)
    straight, _ = run(tmp_path / "other.partial.pt")
    for a, b in zip(resumed.state_dict().values(), straight.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert report.steps_done == 4 and [s for s, _ in report.sessions] == [0, 3]
