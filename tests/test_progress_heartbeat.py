"""A piped run prints progress at least every ``heartbeat_s`` seconds, even when no debate
finishes: a local-model batch can take minutes to finish its first debate, and a silent log
reads as a hung run."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import pytest
from rich.console import Console

from debate.models import GenerateRequest
from debate.progress import PlainProgress, ProgressReporter, progress_for, progress_observer
from debate.types import JudgeView, Turn
from evals.config import EvalConfig
from evals.eval_experiment import EvalExperiment
from evals.experiments import RunOptions

BEAT = 0.2


def view(debate_id: str) -> JudgeView:
    return JudgeView(
        debate_id=debate_id, protocol="naive", question="q", answers=["a", "b"], turns=[], seed=0
    )


def wait_for(stream: io.StringIO, text: str, timeout: float = 5.0) -> str:
    deadline = time.monotonic() + timeout
    while text not in stream.getvalue() and time.monotonic() < deadline:
        time.sleep(0.02)
    return stream.getvalue()


def test_a_heartbeat_while_nothing_finishes() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, heartbeat_s=BEAT)
    progress.start(total=3, skipped=0)
    try:
        for debate_id in ("d0", "d1"):
            progress.observer.debate_started(view(debate_id))
        progress.observer.turn_finished(
            "d0", Turn(index=0, round=0, speaker="A", text="x", started_at=0.0, duration_s=0.0)
        )
        out = wait_for(stream, "in flight")
        time.sleep(2.5 * BEAT)  # it keeps beating, not once only
    finally:
        progress.finish()
    beats = [line for line in stream.getvalue().splitlines() if "elapsed" in line]
    assert len(beats) >= 2, out
    assert beats[0].startswith("debates: 0/3 done, 0 failed, 2 in flight, 1 turns so far, ")
    assert beats[0].endswith("s elapsed")
    after = stream.getvalue()
    time.sleep(2 * BEAT)
    assert stream.getvalue() == after  # finish() stops it


def test_a_progress_line_resets_the_heartbeat() -> None:
    stream = io.StringIO()
    progress = PlainProgress(stream, every=1, heartbeat_s=1.0)
    progress.start(total=4, skipped=0)
    try:
        for _ in range(3):
            time.sleep(0.4)  # a line every 0.4 s: never 1 s without one
            progress.advance()
    finally:
        progress.finish()
    assert "elapsed" not in stream.getvalue()
    assert "debates: 3/4 done, 0 failed" in stream.getvalue()


def test_no_heartbeat_when_switched_off_or_nothing_to_do() -> None:
    stream = io.StringIO()
    off = PlainProgress(stream, heartbeat_s=None)
    off.start(total=2, skipped=0)
    done = PlainProgress(stream, heartbeat_s=BEAT)
    done.start(total=2, skipped=2)  # all stored already: nothing will run
    time.sleep(2 * BEAT)
    off.finish()
    done.finish()
    assert "elapsed" not in stream.getvalue()
    with pytest.raises(ValueError, match="heartbeat_s must be positive"):
        PlainProgress(stream, heartbeat_s=0)


def test_progress_for_a_pipe_beats_and_offers_its_observer() -> None:
    progress = progress_for(Console(file=io.StringIO()), heartbeat_s=BEAT)
    assert isinstance(progress, PlainProgress) and progress.heartbeat_s == BEAT
    assert progress_observer(progress) is progress.observer


# --- through an eval run ---------------------------------------------------------------


async def slow_reply(request: GenerateRequest) -> str:
    """A judge that takes a while: several heartbeats before the first debate finishes."""
    await asyncio.sleep(4 * BEAT)
    return "Probabilities: A=0.6, B=0.4"


class PipedUI:
    def __init__(self) -> None:
        self.stream = io.StringIO()

    def progress(self, unit: str, every: int | None = 100) -> ProgressReporter:
        return PlainProgress(self.stream, every, unit, heartbeat_s=BEAT)

    def show(self, renderable: object) -> None:
        pass

    def say(self, text: str) -> None:
        pass

    def warn(self, text: str) -> None:
        pass


def test_an_eval_run_beats_with_its_debates_in_flight(tmp_path: Path) -> None:
    config = EvalConfig.model_validate(
        {
            "name": "slow",
            "dataset": {"kind": "evidence", "n": 1},
            "protocols": [{"name": "naive"}],
            "judges": [
                {
                    "kind": "model",
                    "name": "slow",
                    "probabilities": "stated",
                    "backend": {"kind": "python", "target": f"{__name__}:slow_reply"},
                    "model": {"model": "slow"},
                }
            ],
        }
    )
    ui = PipedUI()
    EvalExperiment().run(config, tmp_path / "run", RunOptions(), ui)
    out = ui.stream.getvalue()
    assert "debates: 0/2 done, 0 failed, 2 in flight, 0 turns so far, " in out, out
    assert "debates: 2/2 done, 0 failed" in out
