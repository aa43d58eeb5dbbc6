"""What the MNIST experiment plays: its images, cells, players and per-game seeds.

Shared by the batched fast path (``evals.mnist.runner``) and the engine path
(``evals.mnist.engine_jobs``), so both play the same games with the same seeds.
"""

from __future__ import annotations

from debate.domains.mnist import MnistSplit
from debate.domains.pixels import Claim
from debate.search import MCTS, Greedy, Player
from debate.seeds import derive_seed
from evals.mnist.cells import Cell
from evals.mnist.config import MnistDebateConfig, SearchSpec


def test_images(config: MnistDebateConfig, test: MnistSplit) -> list[int]:
    """The debate images: a seeded sample of the test split (the curve uses its head)."""
    import numpy as np

    order = np.random.default_rng(derive_seed(config.seed, "images")).permutation(len(test))
    return [int(i) for i in order[: max(config.images, config.curve_images)]]


def make_player(spec: SearchSpec) -> Player:
    if spec.kind == "greedy":
        return Greedy()
    return MCTS(spec.rollouts, c_puct=spec.c_puct, batch=spec.batch)


def debate_cells(config: MnistDebateConfig) -> list[tuple[Cell, SearchSpec, int]]:
    """Every debate cell with its player and how many images it plays, table first. The main
    debater plays each of ``config.searches()`` on the same images with the same budget."""
    cells: list[tuple[Cell, SearchSpec, int]] = []
    for pixels in config.pixel_counts:
        main = config.debater
        for search in config.searches():  # the headline's pool, then the paper's search
            for precommit in config.precommit:
                for first in config.firsts:
                    cell = Cell(
                        pixels=pixels,
                        kind="debate",
                        first=first,
                        precommit=precommit,
                        debater=main.label(),
                        search=search,
                    )
                    cells.append((cell, main, config.images))
        extra = [SearchSpec(kind="greedy")] if config.greedy_baseline else []
        extra += [main.model_copy(update={"rollouts": r}) for r in config.curve_rollouts]
        for spec in extra:
            if spec.label() == main.label():
                continue
            cell = Cell(
                pixels=pixels, kind="debate", first="honest", precommit=True, debater=spec.label()
            )
            cells.append((cell, spec, config.curve_images))
    return cells


def game_seed(config: MnistDebateConfig, cell: Cell, image: int, liar: Claim) -> int:
    return derive_seed(config.seed, "game", cell.key(), image, str(liar))


def liars(label: int, precommit: bool) -> list[Claim]:
    if precommit:
        return [Claim(d) for d in range(10) if d != label]
    return [Claim(label, negated=True)]
