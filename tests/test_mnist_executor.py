"""The MNIST games as data jobs: on a process pool, through the wire, and resumed after a
kill, they store exactly the games the in-process fast path plays (same keys, seeds, moves
and verdicts), each chunk once.

The final logits agree to float rounding only (~1e-6): a reveal set is evaluated in a batch
of different companions when the games are chunked, and the CPU kernels' sums depend on
the batch. That never changed a move or a verdict here; the engine replay lives with the
same tolerance."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("torch")

from debate.jobs import job_from_wire, job_to_wire
from debate.process_pool import ProcessPoolExecutor
from debate.runner import InProcessExecutor, run_jobs
from debate.types import Transcript
from evals.mnist import game_jobs, plan
from evals.mnist.cells import GAMES, GameLine
from evals.mnist.config import MnistDebateConfig
from evals.mnist.game_jobs import GamesSink, MnistGamesJob, OneChunkPerWorker, pending_games
from evals.mnist.runner import MnistOutcome, run_mnist
from tests.mnist_helpers import MNIST, split
from tests.test_mnist_eval import tiny_config
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse)
from transcripts.store import JsonlRecords


def quiet(_: str) -> None:
    pass


def config() -> MnistDebateConfig:
    """The tiny run of ``test_mnist_eval`` (every cell, the curve, greedy), no engine replay."""
    return tiny_config(transcript_images=0)


def games(run_dir: Path) -> dict[str, dict[str, Any]]:
    """The stored games by key (each key stored once), all but their final logits; those
    are checked to agree to float rounding with the reference's."""
    path = run_dir / GAMES
    lines = path.read_text().splitlines() if path.exists() else []
    found = {}
    for line in lines:
        game = GameLine.model_validate_json(line)
        assert game.key() not in found, f"{game.key()} stored twice"
        logits = game.record.logits
        if REFERENCE:
            assert logits == pytest.approx(REFERENCE[game.key()], abs=1e-4)
        data = game.model_dump(mode="json")
        del data["record"]["logits"], data["record"]["margin"]
        found[game.key()] = data
    return found


def table(rows: list[dict[str, Any]]) -> list[str]:
    """The result rows in a fixed order (the report lists cells as the games file first
    names them, and chunks can come back in any order)."""
    return sorted(json.dumps(row, sort_keys=True) for row in rows)


REFERENCE: dict[str, list[float]] = {}
"""Each reference game's final logits, by key."""


@pytest.fixture(scope="module")
def here(tmp_path_factory: pytest.TempPathFactory) -> MnistOutcome:
    """The reference: every game played in this process."""
    run_dir = tmp_path_factory.mktemp("here") / "run"
    outcome = run_mnist(config(), run_dir, data_root=MNIST.parent, log=quiet)
    for line in (run_dir / GAMES).read_text().splitlines():
        game = GameLine.model_validate_json(line)
        REFERENCE[game.key()] = game.record.logits
    assert outcome.games_played == 2 * (2 * (18 + 2) + 9 + 9) == len(games(run_dir))
    return outcome


def test_a_process_pool_plays_the_same_games_and_resumes_to_none(
    here: MnistOutcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # the spawned workers: one torch thread each
    monkeypatch.setattr(game_jobs, "CHUNK_GAMES", 20)  # 6 jobs, one at a time per worker
    logged: list[str] = []
    pool = ProcessPoolExecutor(2, data_root=MNIST.parent)
    run_dir = tmp_path / "pool"
    outcome = run_mnist(config(), run_dir, data_root=MNIST.parent, log=logged.append, executor=pool)
    assert games(run_dir) == games(here.run_dir)
    assert table(outcome.rows) == table(here.rows)
    assert (outcome.games_played, outcome.games_skipped) == (here.games_played, 0)
    search = outcome.timing["search_6px"]
    assert (search["games"], search["jobs"], search["executor"]) == (116, 6, "ProcessPoolExecutor")
    assert search["rollouts"] == here.timing["search_6px"]["rollouts"] > 0
    assert search["judge_evaluations"] > 0 and outcome.timing["games_seconds"] > 0
    assert any("6 pixels: playing 116 games in 6 jobs on ProcessPool" in s for s in logged)
    assert logged[-1] == "  116/116 games"
    assert json.loads((run_dir / "timing.json").read_text())["search_6px"]["jobs"] == 6
    assert "| games, 6px | 116 games" in (run_dir / "report.md").read_text()

    again = run_mnist(
        config(), run_dir, resume=True, data_root=MNIST.parent, log=quiet, executor=pool
    )
    assert (again.games_played, again.games_skipped) == (0, here.games_played)
    assert games(run_dir) == games(here.run_dir)


class Counted:
    """A progress reporter that adds up what the runner advances it by."""

    def __init__(self) -> None:
        self.total = self.units = 0

    def start(self, total: int, skipped: int) -> None:
        self.total = total

    def advance(self, transcript: Transcript | None = None, *, count: int = 1) -> None:
        self.units += count

    def finish(self) -> None:
        pass


def test_game_jobs_cross_the_wire_and_play_the_same_games_loading_the_judge_once(
    here: MnistOutcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evals.mnist.judges

    cfg = config()
    test = split("test")
    pending, stored = pending_games(cfg, test, plan.test_images(cfg, test), 6, set())
    assert stored == 0 and len(pending) == here.games_played
    relative = Path(os.path.relpath(MNIST.parent))  # as a user may give it
    jobs = game_jobs.game_jobs(cfg, 6, [stub for stub, _ in pending], relative, 25)
    assert [len(job.games) for job in jobs] == [25, 25, 25, 25, 16]
    assert len({job.debate_id for job in jobs}) == 5
    assert jobs[0].data_root == str(MNIST.parent.resolve())
    assert Path(jobs[0].config.judge_dir).is_absolute()
    wired = [job_from_wire(*job_to_wire(job)) for job in jobs]
    assert wired == jobs and [w.debate_id for w in wired] == [j.debate_id for j in jobs]
    assert all(isinstance(w, MnistGamesJob) for w in wired)

    loads: list[int] = []
    real = evals.mnist.judges.load_judges

    def counted(*args: Any, **kwargs: Any) -> Any:
        loads.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(evals.mnist.judges, "load_judges", counted)
    sink = GamesSink(tmp_path / GAMES, 116, quiet)
    progress = Counted()
    executor = OneChunkPerWorker(InProcessExecutor())
    results = asyncio.run(run_jobs(wired, sink, executor, progress=progress))
    assert games(tmp_path) == games(here.run_dir)
    assert len(loads) == 1  # one judge (and evaluator) for all five jobs
    assert (progress.total, progress.units, sink.games) == (5, 116, 116)
    assert [len(r.games) for r in results] == [25, 25, 25, 25, 16]
    assert sum(r.judge_requested for r in results) >= sum(r.judge_evaluated for r in results)


def test_a_killed_run_stores_whole_chunks_only_and_resumes_to_the_same_games(
    here: MnistOutcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import evals.mnist.play

    monkeypatch.setattr(game_jobs, "CHUNK_GAMES", 30)  # 30, 30, 30, 26
    real = evals.mnist.play.play_many
    calls: list[int] = []

    def dies_in_the_third_chunk(
        games: Any, evaluator: Any, on_done: Callable[..., None], **kw: Any
    ) -> int:
        calls.append(1)
        steps = real(games, evaluator, on_done, **kw)  # every game of the chunk finishes...
        if len(calls) == 3:
            raise RuntimeError("killed")  # ...but the chunk never returns to the driver
        return steps

    monkeypatch.setattr(evals.mnist.play, "play_many", dies_in_the_third_chunk)
    run_dir = tmp_path / "killed"
    with pytest.raises(RuntimeError, match="killed"):
        run_mnist(
            config(), run_dir, data_root=MNIST.parent, log=quiet, executor=InProcessExecutor()
        )
    kept = games(run_dir)
    assert len(kept) == 60 and kept.items() <= games(here.run_dir).items()

    monkeypatch.setattr(evals.mnist.play, "play_many", real)
    resumed = run_mnist(
        config(),
        run_dir,
        resume=True,
        data_root=MNIST.parent,
        log=quiet,
        executor=InProcessExecutor(),
    )
    assert (resumed.games_played, resumed.games_skipped) == (here.games_played - 60, 60)
    assert games(run_dir) == games(here.run_dir) and table(resumed.rows) == table(here.rows)


def test_a_run_resumed_from_another_path_plays_only_what_is_missing(
    here: MnistOutcome, tmp_path: Path
) -> None:
    """Games stored in process, then a partial file finished by jobs: the same table."""
    run_dir = tmp_path / "copy"
    shutil.copytree(here.run_dir, run_dir)
    lines = (run_dir / GAMES).read_text().splitlines()
    (run_dir / GAMES).write_text("\n".join(lines[::2]) + "\n")
    resumed = run_mnist(
        config(),
        run_dir,
        resume=True,
        data_root=MNIST.parent,
        log=quiet,
        executor=InProcessExecutor(),
    )
    assert resumed.games_played == len(lines) - len(lines[::2])
    assert games(run_dir) == games(here.run_dir) and table(resumed.rows) == table(here.rows)
    assert len(JsonlRecords(run_dir / GAMES, GameLine, GameLine.key).read().records) == 116


class Screen:
    """A ``RunUI`` that keeps what it is told."""

    def __init__(self) -> None:
        self.said: list[str] = []

    def progress(self, unit: str, every: int | None = 100) -> Counted:
        return Counted()

    def show(self, renderable: Any) -> None:
        pass

    def say(self, text: str) -> None:
        self.said.append(text)

    def warn(self, text: str) -> None:
        self.said.append(text)


def test_the_experiment_passes_executor_on_to_the_games(
    here: MnistOutcome, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--executor processes`` is no longer refused; on a finished run nothing is left to
    send, so no worker starts."""
    from evals.experiments import RunOptions
    from evals.mnist.experiment import MnistExperiment

    run_dir = tmp_path / "finished"
    shutil.copytree(here.run_dir, run_dir)
    options = RunOptions(resume=True, executor="processes", workers=2, data_root=MNIST.parent)
    screen = Screen()
    MnistExperiment().run(config(), run_dir, options, screen)
    assert "played 0 games (116 already stored)" in screen.said[-1]
    assert "playing 0 games in 0 jobs on ProcessPoolExecutor" in capsys.readouterr().err


def test_ray_workers_play_the_same_games(
    here: MnistOutcome, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ray = pytest.importorskip("ray")
    from debate.ray_executor import RayExecutor

    monkeypatch.setattr(game_jobs, "CHUNK_GAMES", 20)
    monkeypatch.setenv("OMP_NUM_THREADS", "1")  # before ray.init: the workers inherit it
    ray.init(num_cpus=2, include_dashboard=False, configure_logging=False, log_to_driver=False)
    try:
        run_dir = tmp_path / "ray"
        executor = RayExecutor(2, data_root=MNIST.parent)
        outcome = run_mnist(config(), run_dir, data_root=MNIST.parent, log=quiet, executor=executor)
    finally:
        ray.shutdown()
    assert games(run_dir) == games(here.run_dir)
    assert table(outcome.rows) == table(here.rows)
    assert outcome.timing["search_6px"]["executor"] == "RayExecutor"
