"""Run the MNIST reproduction into a run directory (``debate eval --preset irving-mnist``).

Phases: get each pixel count's judge (trained once, then cached), measure the judge alone,
play every debate game of the table and of the rollout curve on the batched fast path, run a
few of the same debates through the engine (transcripts, and a check that both paths agree),
then write results, report and plot. Every finished game is appended to ``games.jsonl`` at
once; ``--resume`` skips what is stored. Timings go to ``timing.json`` and the report.
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
from debate.domains.pixel_play import Exchange, GameRecord, play_game
from debate.domains.pixels import Claim
from debate.search import Player
from evals.config import data_dir
from evals.mnist.cells import GAMES, JUDGE_ALONE, Cell, GameLine, JudgeAloneLine
from evals.mnist.config import MnistDebateConfig
from evals.mnist.plan import debate_cells, game_seed, liars, make_player, test_images
from evals.rundir import TRANSCRIPTS, prepare_run_dir
from judges.pixels import require_torch
from transcripts.store import JsonlRecords, append_lines

if TYPE_CHECKING:
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
) -> MnistOutcome:
    """Run (or resume) the whole experiment, then write results, report and plot."""
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
    done = store.keys()
    images = test_images(config, test)
    played = skipped = 0
    phase = time.perf_counter()
    for pixels, evaluator in evaluators.items():
        players: dict[str, Player] = {}
        jobs: list[tuple[GameLine, Exchange[GameRecord]]] = []
        stored, began = 0, time.perf_counter()
        for cell, spec, n_images in debate_cells(config):
            if cell.pixels != pixels:
                continue
            player = players.setdefault(spec.label(), make_player(spec))
            for image in images[:n_images]:
                label = int(test.labels[image])
                for liar in liars(label, bool(cell.precommit)):
                    stub = _stub(cell, image, label, liar, config)
                    if stub.key() in done:
                        stored += 1
                        continue
                    jobs.append((stub, _game(config, test, stub, liar, player)))
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


def _stub(cell: Cell, image: int, label: int, liar: Claim, config: MnistDebateConfig) -> GameLine:
    """The game's identity before it is played (the record is filled in when it ends)."""
    empty = GameRecord(
        honest=str(label),
        liar=str(liar),
        first="honest",
        moves=[],
        logits=[],
        margin=0.0,
        honest_won=False,
    )
    seed = game_seed(config, cell, image, liar)
    return GameLine(cell=cell, image=image, label=label, record=empty, seed=seed)


def _game(
    config: MnistDebateConfig, test: MnistSplit, stub: GameLine, liar: Claim, player: Player
) -> Exchange[GameRecord]:
    cell = stub.cell
    assert cell.first is not None
    return play_game(
        [int(v) for v in test.flat()[stub.image]],
        Claim(stub.label),
        liar,
        (player, player),
        pixels=cell.pixels,
        first=cell.first,
        nonzero_only=config.nonzero_only,
        pool=config.pool_for(cell.search),
        seed=stub.seed,
    )


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
