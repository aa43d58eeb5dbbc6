"""The greedy baseline: reveal the move that looks best for the mover right now.

It values every legal move's resulting state (one batch of judge calls; the judge's verdict
on a partial set is its best guess from the pixels so far) and keeps the best. It cannot plan
against the opponent's replies; that is what MCTS adds.
"""

from __future__ import annotations

import random
from typing import Any

from debate.search.game import MAXIMISER, Search, SetGame, State


class Greedy:
    def describe(self) -> dict[str, Any]:
        return {"kind": "greedy"}

    def choose(self, game: SetGame, state: State, seed: int) -> Search:
        moves, _ = game.legal(state)
        if not moves:
            raise ValueError("no legal move left")
        random.Random(seed).shuffle(moves)  # ties go to a random move
        children = [state | {m} for m in moves]
        values = yield children
        sign = 1.0 if game.mover(state) == MAXIMISER else -1.0
        best = max(range(len(moves)), key=lambda i: sign * values[i])
        return moves[best]
