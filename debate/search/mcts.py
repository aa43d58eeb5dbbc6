"""Monte Carlo tree search with PUCT selection and batched leaf evaluation.

As in Irving et al. 2018 (after Silver et al. 2017): each rollout descends from the root, at
every node picking the move that maximises ``Q + c * P * sqrt(N + 1) / (1 + n)`` for the
player to move, down to a finished game, whose value is the judge's verdict. Unvisited moves
are valued at their parent's mean for the mover ("first-play urgency"), and ties go to a
random move. Three things make it cheap enough for a CPU:

* **batches**: a search collects ``batch`` rollouts before asking for values (a *virtual
  loss* on each path steers the rollouts of one batch apart), and yields them as one request,
  so a driver can evaluate the leaves of many searches in one judge call;
* **transpositions**: nodes are keyed by the set of moves made, so move orders that reach
  the same set share statistics;
* **repeats**: a leaf reached by several rollouts of a batch is asked for once, and the
  driver's cache answers for sets valued before without calling the judge.
"""

from __future__ import annotations

import math
import random
from typing import Any

from debate.search.game import MAXIMISER, Search, SetGame, State


class _Node:
    """Statistics of the moves from one state; ``w`` sums player 0's values. Plain lists:
    nodes have a dozen moves, where Python loops beat numpy's per-call overhead."""

    __slots__ = ("moves", "n", "prior", "total", "w", "wsum")

    def __init__(self, moves: list[int], prior: list[float]) -> None:
        self.moves = moves
        self.prior = prior
        self.n = [0] * len(moves)
        self.w = [0.0] * len(moves)
        self.total = 0
        self.wsum = 0.0


Path = list[tuple[_Node, int, int]]
"""(node, move index, mover) per step of one rollout."""


class MCTS:
    def __init__(self, rollouts: int, *, c_puct: float = 1.0, batch: int = 16) -> None:
        if rollouts < 1:
            raise ValueError("MCTS needs at least one rollout per move")
        if batch < 1:
            raise ValueError("the rollout batch must be at least 1")
        self.rollouts = rollouts
        self.c_puct = c_puct
        self.batch = batch
        self.rollouts_done = 0
        """Rollouts run by this player so far, over all its searches (for benchmarks)."""

    def describe(self) -> dict[str, Any]:
        return {
            "kind": "mcts",
            "rollouts": self.rollouts,
            "c_puct": self.c_puct,
            "batch": self.batch,
        }

    def choose(self, game: SetGame, state: State, seed: int) -> Search:
        game = _shuffled(game, random.Random(seed))  # ties go to the first: a random one
        tree: dict[State, _Node] = {}
        root = self._node(game, state, tree)
        if len(root.moves) == 1:
            return root.moves[0]
        done = 0
        while done < self.rollouts:
            paths = []
            for _ in range(min(self.batch, self.rollouts - done)):
                paths.append(self._descend(game, state, tree))
                done += 1
            self.rollouts_done += len(paths)
            # Every leaf of the batch is valued and backed up after the batch, even one valued
            # before: so the search does not depend on what a cache happened to hold.
            leaves = list(dict.fromkeys(leaf for _, leaf in paths))
            values = dict(zip(leaves, (yield leaves), strict=True))
            for path, leaf in paths:
                self._backup(path, float(values[leaf]))
        return self._best(root, game.mover(state))

    @staticmethod
    def _node(game: SetGame, state: State, tree: dict[State, _Node]) -> _Node:
        node = _Node(*game.legal(state))
        if not node.moves:
            raise ValueError("a player has no legal move left")
        tree[state] = node
        return node

    def _descend(self, game: SetGame, state: State, tree: dict[State, _Node]) -> tuple[Path, State]:
        path: Path = []
        while len(state) < game.horizon:
            node = tree.get(state) or self._node(game, state, tree)
            mover = game.mover(state)
            i = self._select(node, mover)
            # virtual loss: count the visit now, as a loss for the mover, until backed up
            loss = 0.0 if mover == MAXIMISER else 1.0
            node.n[i] += 1
            node.total += 1
            node.w[i] += loss
            node.wsum += loss
            path.append((node, i, mover))
            state = state | {node.moves[i]}
        return path, state

    def _select(self, node: _Node, mover: int) -> int:
        total = node.total
        mean = node.wsum / total if total else 0.5  # player 0's view, as w is
        maximiser = mover == MAXIMISER
        fpu = mean if maximiser else 1.0 - mean
        scale = self.c_puct * math.sqrt(total + 1)
        best, best_score = 0, -math.inf
        for i, (n, w, prior) in enumerate(zip(node.n, node.w, node.prior, strict=True)):
            q = (w / n if maximiser else 1.0 - w / n) if n else fpu
            score = q + scale * prior / (1 + n)
            if score > best_score:
                best, best_score = i, score
        return best

    @staticmethod
    def _backup(path: Path, value: float) -> None:
        for node, i, mover in path:
            gain = value - (0.0 if mover == MAXIMISER else 1.0)
            node.w[i] += gain
            node.wsum += gain

    @staticmethod
    def _best(root: _Node, mover: int) -> int:
        """The most visited move; ties go to the better mean for the mover."""

        def key(i: int) -> tuple[int, float]:
            q = root.w[i] / root.n[i] if root.n[i] else 0.0
            return root.n[i], q if mover == MAXIMISER else -q

        return root.moves[max(range(len(root.moves)), key=key)]


def _shuffled(game: SetGame, rng: random.Random) -> SetGame:
    """The same game with each player's candidates in a random order (priors kept aligned)."""
    moves: list[tuple[int, ...]] = []
    priors: list[tuple[float, ...]] = []
    for player in (0, 1):
        order = list(range(len(game.moves[player])))
        rng.shuffle(order)
        moves.append(tuple(game.moves[player][i] for i in order))
        prior = game.priors[player]
        priors.append(tuple(prior[i] for i in order) if prior else ())
    return SetGame(game.movers, (moves[0], moves[1]), (priors[0], priors[1]))
