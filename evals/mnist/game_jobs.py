"""The MNIST games as data jobs, so any executor (a process pool, a Ray cluster) plays them.

A ``MnistGamesJob`` is a chunk of unplayed games of one pixel count: the config, the game
stubs (cell, image, label, lie, seed) and the data root, nothing live. Where it runs, the
test split, the judge and its ``PixelEvaluator`` are made once per worker
(``Components.shared``), so every chunk a worker plays reuses one loaded judge and one
logits cache; the chunk is played on the same batched fast path as in process
(``play_many``), with the same per-game seeds, so it gives the same games. Results come
back whole and only the driver appends them (``GamesSink``): a chunk is stored once, when
all of it returns, and a killed worker loses at most the chunks it was playing.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

from pydantic import BaseModel, ConfigDict

from debate.components import Components
from debate.domains.mnist import MnistSplit
from debate.domains.pixel_play import Exchange, GameRecord, play_game
from debate.domains.pixels import Claim
from debate.errors import DataError
from debate.progress import DebateObserver
from debate.runner import Executor, Job, R
from debate.search import Player
from evals.mnist.cells import Cell, GameLine
from evals.mnist.config import MnistDebateConfig, SearchSpec
from evals.mnist.plan import debate_cells, game_seed, liars, make_player
from transcripts.store import append_lines

if TYPE_CHECKING:
    from judges.pixels.evaluator import PixelEvaluator

CHUNK_GAMES = 48
"""Games per job: enough to keep the judge's batches full, few enough that a killed worker
loses little and the workers stay balanced."""


def game_stub(
    cell: Cell, image: int, label: int, liar: Claim, config: MnistDebateConfig
) -> GameLine:
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


def pending_games(
    config: MnistDebateConfig, test: MnistSplit, images: list[int], pixels: int, done: set[str]
) -> tuple[list[tuple[GameLine, SearchSpec]], int]:
    """The stubs of ``pixels``'s games not in ``done`` (each with its player's spec), in
    table order, and how many were already stored."""
    pending: list[tuple[GameLine, SearchSpec]] = []
    stored = 0
    for cell, spec, n_images in debate_cells(config):
        if cell.pixels != pixels:
            continue
        for image in images[:n_images]:
            label = int(test.labels[image])
            for liar in liars(label, bool(cell.precommit)):
                stub = game_stub(cell, image, label, liar, config)
                if stub.key() in done:
                    stored += 1
                else:
                    pending.append((stub, spec))
    return pending, stored


def start_game(
    config: MnistDebateConfig, test: MnistSplit, stub: GameLine, player: Player
) -> Exchange[GameRecord]:
    """The stub's game, ready for ``play_many`` (the lie is the one its record names)."""
    cell = stub.cell
    assert cell.first is not None
    return play_game(
        [int(v) for v in test.flat()[stub.image]],
        Claim(stub.label),
        Claim.parse(stub.record.liar),
        (player, player),
        pixels=cell.pixels,
        first=cell.first,
        nonzero_only=config.nonzero_only,
        pool=config.pool_for(cell.search),
        seed=stub.seed,
    )


class MnistGamesResult(BaseModel):
    """A played chunk: its finished games and what playing them cost in the worker."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pixels: int
    games: list[GameLine]
    seconds: float
    rollouts: int
    judge_requested: int
    judge_evaluated: int
    judge_seconds: float

    @property
    def units(self) -> int:
        """Progress counts games, not chunks."""
        return len(self.games)


class MnistGamesJob(BaseModel):
    """A chunk of games of one pixel count, as data (rebuilt and played in a worker)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    config: MnistDebateConfig
    pixels: int
    games: list[GameLine]
    data_root: str | None = None
    """Where ``mnist/`` is (None: the worker's ``Components.data_root``, else the default)."""

    @property
    def debate_id(self) -> str:
        keys = "\n".join(stub.key() for stub in self.games)
        return f"mnist-games:{self.pixels}px:{hashlib.sha256(keys.encode()).hexdigest()[:16]}"

    async def run(
        self, components: Components, observer: DebateObserver | None = None
    ) -> MnistGamesResult:
        from evals.mnist.play import play_many

        test, evaluator = self._resources(components)
        specs = {cell.key(): spec for cell, spec, _ in debate_cells(self.config)}
        players: dict[str, Player] = {}
        games = []
        for stub in self.games:
            spec = specs[stub.cell.key()]
            player = players.setdefault(spec.label(), make_player(spec))
            games.append((stub, start_game(self.config, test, stub, player)))
        stats = evaluator.stats  # the worker's evaluator: count this chunk's share only
        requested, evaluated, judged = stats.requested, stats.evaluated, stats.seconds
        began = time.perf_counter()
        finished: dict[str, GameLine] = {}

        def done(stub: GameLine, record: GameRecord) -> None:
            finished[stub.key()] = stub.model_copy(update={"record": record})

        play_many(games, evaluator, done, window=self.config.window)
        return MnistGamesResult(
            pixels=self.pixels,
            games=[finished[stub.key()] for stub in self.games],
            seconds=time.perf_counter() - began,
            rollouts=sum(getattr(p, "rollouts_done", 0) for p in players.values()),
            judge_requested=stats.requested - requested,
            judge_evaluated=stats.evaluated - evaluated,
            judge_seconds=stats.seconds - judged,
        )

    def _resources(self, components: Components) -> tuple[MnistSplit, PixelEvaluator]:
        """The test split and this pixel count's evaluator, made once per worker. The judge
        must be cached already (the driver trains it before sending any job): a worker that
        trained its own copy would waste the run and could race another worker's."""
        from debate.domains.mnist import load_mnist
        from evals.config import data_dir
        from evals.mnist.judges import load_judges
        from judges.pixels.checkpoint import judge_path
        from judges.pixels.evaluator import PixelEvaluator

        root = self.data_root or components.data_root
        mnist_dir = data_dir(root) / "mnist"
        test = components.shared(f"mnist-test:{mnist_dir}", lambda: load_mnist(mnist_dir, "test"))
        path = judge_path(self.config.judge.config(self.pixels), self.config.judge_dir)

        def evaluator() -> PixelEvaluator:
            if not path.exists():
                raise DataError(f"judge checkpoint not found where this job runs: {path}")
            config = self.config.model_copy(update={"pixel_counts": [self.pixels]})
            judge = load_judges(config, mnist_dir, lambda _: None)[self.pixels]
            return PixelEvaluator(judge, batch_size=self.config.eval_batch)

        key = f"mnist-evaluator:{path}:{self.config.device}:{self.config.eval_batch}"
        return test, components.shared(key, evaluator)


def game_jobs(
    config: MnistDebateConfig,
    pixels: int,
    stubs: list[GameLine],
    data_root: Path,
    chunk: int | None = None,
) -> list[MnistGamesJob]:
    """``stubs`` as jobs of ``chunk`` games each (default ``CHUNK_GAMES``). Neighbouring
    stubs (one image's lies) stay together, so they share the worker's logits cache. Paths
    are made absolute: a worker's working directory may not be the driver's (Ray's is not)."""
    shipped = config.model_copy(update={"judge_dir": str(Path(config.judge_dir).resolve())})
    root = str(data_root.resolve())
    chunk = chunk or CHUNK_GAMES
    return [
        MnistGamesJob(config=shipped, pixels=pixels, games=stubs[lo : lo + chunk], data_root=root)
        for lo in range(0, len(stubs), chunk)
    ]


class GamesSink:
    """``games.jsonl`` as a ``run_jobs`` sink: a chunk's games are appended when the whole
    chunk returns. ``ids`` is empty: jobs are built only for games not stored yet."""

    def __init__(self, path: Path, total: int, log: Callable[[str], None]) -> None:
        self.path = path
        self.total = total
        self.log = log
        self.results: list[MnistGamesResult] = []
        self.games = 0
        self._last = time.perf_counter()

    def ids(self) -> set[str]:
        return set()

    def append(self, record: MnistGamesResult) -> None:
        append_lines(self.path, [line.model_dump_json() for line in record.games])
        self.results.append(record.model_copy(update={"games": []}))  # keep the costs only
        self.games += len(record.games)
        now = time.perf_counter()
        if now - self._last > 10 or self.games == self.total:
            self.log(f"  {self.games}/{self.total} games")
            self._last = now


class OneChunkPerWorker:
    """``executor`` with one chunk in flight per worker. A chunk is compute-bound and holds
    its worker's event loop until it ends, while the executors send a worker up to
    ``per_worker`` jobs at once (right for debates that wait on models): that would queue
    every chunk on the first worker, and return them only all together."""

    def __init__(self, executor: Executor) -> None:
        self.executor = executor
        self.capacity = 1

    async def __aenter__(self) -> Self:
        await self.executor.__aenter__()
        self.capacity = max(1, int(getattr(self.executor, "workers", 1) or 1))
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.executor.__aexit__(exc_type, exc, tb)

    async def run(self, job: Job[R], observer: DebateObserver | None = None) -> R:
        return await self.executor.run(job, observer)
