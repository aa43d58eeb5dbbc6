"""Search players for games whose state is the *set* of moves made so far.

In the pixel debate the judge sees a set of revealed pixels, so a state is order-free: reaching
the same set by different move orders is the same position (a transposition), and the judge's
verdict on it can be computed once. Players are generators: they yield the states they need
valued and receive the values, so one driver can evaluate the leaves of many concurrent
searches in a single batch (``drive`` is the trivial driver for one search alone).
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

State = frozenset[int]
Search = Generator[list[State], Sequence[float], int]
"""A player's move search: yields states to value, is sent their values, returns its move."""

MAXIMISER, MINIMISER = 0, 1
Q = TypeVar("Q")
A = TypeVar("A")
R = TypeVar("R")


@dataclass(frozen=True)
class SetGame:
    """An alternating two-player game over sets of moves with a fixed number of moves.

    Values lie in [0, 1] and are player 0's (the maximiser's); player 1 minimises them.
    """

    movers: tuple[int, ...]
    """The player who makes each move; its length is the number of moves (the horizon)."""
    moves: tuple[tuple[int, ...], tuple[int, ...]]
    """Each player's candidate moves (an already-made move is not legal again)."""
    priors: tuple[tuple[float, ...], tuple[float, ...]] = ((), ())
    """Each player's prior over its candidates (aligned with ``moves``); empty: uniform."""

    @property
    def horizon(self) -> int:
        return len(self.movers)

    def mover(self, state: State) -> int:
        return self.movers[len(state)]

    def legal(self, state: State) -> tuple[list[int], list[float]]:
        """The mover's legal moves in ``state`` and their prior (renormalised)."""
        player = self.mover(state)
        moves, priors = self.moves[player], self.priors[player]
        keep = [i for i, m in enumerate(moves) if m not in state]
        if not priors:
            return [moves[i] for i in keep], [1.0 / max(len(keep), 1)] * len(keep)
        total = sum(priors[i] for i in keep) or 1.0
        return [moves[i] for i in keep], [priors[i] / total for i in keep]


class Player(Protocol):
    """A move-choosing algorithm (MCTS, greedy, ...)."""

    def choose(self, game: SetGame, state: State, seed: int) -> Search:
        """The search for the mover's next move from ``state``, deterministic in ``seed``."""
        ...

    def describe(self) -> dict[str, Any]:
        """Name and settings, recorded with every game."""
        ...


def drive(search: Generator[Q, A, R], answer: Callable[[Q], A]) -> R:
    """Run a search (or any request generator) to its end, answering each request in turn."""
    try:
        request = next(search)
        while True:
            request = search.send(answer(request))
    except StopIteration as done:
        result: R = done.value
        return result
