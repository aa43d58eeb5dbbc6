"""Run the MNIST reproduction into a run directory (``debate eval --preset irving-mnist``).

Phases: get each pixel count's judge (trained once, then cached), measure the judge alone,
play every debate game of the table and of the rollout curve on the batched fast path (here,
or as chunk jobs on an executor: a process pool, a Ray cluster), run a few of the same
debates through the engine (transcripts, and a check that both paths agree), then write
results, report and plot. Every finished game (or chunk, on an executor) is appended to
``games.jsonl`` at once; ``--resume`` skips what is stored. Timings go to ``timing.json``
and the report.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from debate.domains.mnist import MnistSplit, load_mnist
from debate.domains.pixel_play import Exchange, GameRecord
from debate.runner import Executor
from debate.search import Player
from evals.config import data_dir
from evals.mnist.cells import GAMES, JUDGE_ALONE, Cell, GameLine, JudgeAloneLine
from evals.mnist.config import MnistDebateConfig
from evals.mnist.game_jobs import pending_games, start_game
from evals.mnist.plan import make_player, test_images
from evals.rundir import TRANSCRIPTS, prepare_run_dir
from judges.pixels import require_torch
from transcripts.store import JsonlRecords, append_lines

if TYPE_CHECKING:
    from evals.mnist.game_jobs import MnistGamesJob
    from judges.pixels.evaluator import PixelEvaluator

Log = Callable[[str], None]


@dataclass
class MnistOutcome:
    run_dir: Path
    rows: list[dict[str, Any]]
    games_played: int
    games_skipped: int
    timing: dict[str, Any] = field(default_factory=dict)


def run_mnist(
    config: MnistDebateConfig,
    run_dir: Path,
    *,
    resume: bool = False,
    data_root: Path | None = None,
    log: Log = print,
    executor: Executor | None = None,
) -> MnistOutcome:
    """Run (or resume) the whole experiment, then write results, report and plot. With an
    ``executor`` the games are played there, as chunk jobs (``evals.mnist.game_jobs``);
    everything else runs here."""
    mnist_dir = data_dir(data_root) / "mnist"
    test = load_mnist(mnist_dir, "test")  # fails early, with one line, on missing data
    require_torch()
    from evals.mnist.judges import judge_alone, load_judges
    from evals.mnist.report import write_outputs
    from judges.pixels.evaluator import PixelEvaluator

    prepare_run_dir(run_dir, config, resume, stores=(GAMES, JUDGE_ALONE, TRANSCRIPTS))
    timing: dict[str, Any] = {}
    start = time.perf_counter()
    judges = load_judges(config, mnist_dir, log)
    timing["judges"] = {k: j.report.model_dump(mode="json") for k, j in judges.items()}
    timing["judges_seconds"] = time.perf_counter() - start

    evaluators = {
        pixels: PixelEvaluator(judge, batch_size=config.eval_batch)
        for pixels, judge in judges.items()
    }
    alone_store = JsonlRecords(run_dir / JUDGE_ALONE, JudgeAloneLine, JudgeAloneLine.key)
    phase = time.perf_counter()
    measured = alone_store.keys()
    for pixels, evaluator in evaluators.items():
        cell = Cell(pixels=pixels, kind="judge-alone")
        if cell.key() not in measured:
            alone_store.append(judge_alone(config, evaluator, test, cell))
    timing["judge_alone_seconds"] = time.perf_counter() - phase

    store = JsonlRecords(run_dir / GAMES, GameLine, GameLine.key, "game")
    images = test_images(config, test)
    phase = time.perf_counter()
    if executor is None:
        played, skipped = _play_here(config, test, images, evaluators, store, timing, log)
    else:
        root = mnist_dir.parent
        played, skipped = _play_on(executor, config, test, images, root, store, timing, log)
    timing["games_seconds"] = time.perf_counter() - phase

    phase = time.perf_counter()
    if config.transcript_images:
        from evals.mnist.engine_jobs import run_transcripts

        timing["engine_check"] = asyncio.run(
            run_transcripts(config, evaluators, test, images[: config.transcript_images], run_dir)
        )
    timing["transcripts_seconds"] = time.perf_counter() - phase
    timing["total_seconds"] = time.perf_counter() - start
    (run_dir / "timing.json").write_text(json.dumps(timing, indent=2) + "\n")
    rows = write_outputs(run_dir, config)
    return MnistOutcome(run_dir, rows, played, skipped, timing)


def _play_here(
    config: MnistDebateConfig,
    test: MnistSplit,
    images: list[int],
    evaluators: dict[int, PixelEvaluator],
    store: JsonlRecords[GameLine],
    timing: dict[str, Any],
    log: Log,
) -> tuple[int, int]:
    """Every pending game in this process, a pixel count at a time; (played, skipped)."""
    done = store.keys()
    played = skipped = 0
    for pixels, evaluator in evaluators.items():
        began = time.perf_counter()
        pending, stored = pending_games(config, test, images, pixels, done)
        players: dict[str, Player] = {}
        jobs: list[tuple[GameLine, Exchange[GameRecord]]] = []
        for stub, spec in pending:
            player = players.setdefault(spec.label(), make_player(spec))
            jobs.append((stub, start_game(config, test, stub, player)))
        log(f"{pixels} pixels: playing {len(jobs)} games ({stored} already stored)")
        played += _play(jobs, evaluator, store, config.window, log)
        skipped += stored
        stats = evaluator.stats
        rollouts = sum(getattr(p, "rollouts_done", 0) for p in players.values())
        timing[f"search_{pixels}px"] = {
            "games": len(jobs),
            "seconds": time.perf_counter() - began,
            "judge_calls_requested": stats.requested,
            "judge_evaluations": stats.evaluated,
            "judge_seconds": stats.seconds,
            "cache_hit_rate": stats.hit_rate,
            "rollouts": rollouts,
        }
    return played, skipped


def _play_on(
    executor: Executor,
    config: MnistDebateConfig,
    test: MnistSplit,
    images: list[int],
    root: Path,
    store: JsonlRecords[GameLine],
    timing: dict[str, Any],
    log: Log,
) -> tuple[int, int]:
    """Every pending game as chunk jobs on ``executor`` (all pixel counts in one batch, so
    the workers stay busy); (played, skipped). A pixel count's ``seconds`` is the time its
    chunks took in the workers, summed."""
    from debate.runner import run_jobs
    from evals.mnist.game_jobs import GamesSink, OneChunkPerWorker, game_jobs

    done = store.keys()
    jobs: list[MnistGamesJob] = []
    skipped = 0
    for pixels in config.pixel_counts:
        pending, stored = pending_games(config, test, images, pixels, done)
        skipped += stored
        chunks = game_jobs(config, pixels, [stub for stub, _ in pending], root)
        log(
            f"{pixels} pixels: playing {len(pending)} games in {len(chunks)} jobs on "
            f"{type(executor).__name__} ({stored} already stored)"
        )
        jobs += chunks
    sink = GamesSink(store.path, sum(len(job.games) for job in jobs), log)
    if jobs:
        asyncio.run(run_jobs(jobs, sink, OneChunkPerWorker(executor)))
    for pixels in config.pixel_counts:
        results = [r for r in sink.results if r.pixels == pixels]
        requested = sum(r.judge_requested for r in results)
        evaluated = sum(r.judge_evaluated for r in results)
        timing[f"search_{pixels}px"] = {
            "games": sum(len(job.games) for job in jobs if job.pixels == pixels),
            "jobs": len(results),
            "executor": type(executor).__name__,
            "seconds": sum(r.seconds for r in results),
            "judge_calls_requested": requested,
            "judge_evaluations": evaluated,
            "judge_seconds": sum(r.judge_seconds for r in results),
            "cache_hit_rate": 1.0 - evaluated / requested if requested else 0.0,
            "rollouts": sum(r.rollouts for r in results),
        }
    return sink.games, skipped


def _play(
    jobs: list[tuple[GameLine, Exchange[GameRecord]]],
    evaluator: PixelEvaluator,
    store: JsonlRecords[GameLine],
    window: int,
    log: Log,
) -> int:
    from evals.mnist.play import play_many

    finished: list[GameLine] = []
    count = 0
    last = time.perf_counter()

    def done(stub: GameLine, record: GameRecord) -> None:
        nonlocal count, last
        finished.append(stub.model_copy(update={"record": record}))
        count += 1
        now = time.perf_counter()
        if len(finished) >= 64 or now - last > 10:
            append_lines(store.path, [line.model_dump_json() for line in finished])
            finished.clear()
            if now - last > 10:
                log(f"  {count}/{len(jobs)} games")
                last = now

    def games() -> Iterator[tuple[GameLine, Exchange[GameRecord]]]:
        yield from jobs

    try:
        play_many(games(), evaluator, done, window=window)
    finally:
        if finished:
            append_lines(store.path, [line.model_dump_json() for line in finished])
    return count
