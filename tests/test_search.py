"""Search players on small set games whose minimax value is known by brute force."""

from __future__ import annotations

import itertools
import random

import pytest

from debate.search import MCTS, Greedy, SetGame, State, drive

Values = dict[State, float]


def trap_game() -> tuple[SetGame, Values]:
    """Max moves first, then min. Move 1 looks best alone (0.9) but min answers it with 10
    (0.0); move 2 looks worse (0.5) yet every answer leaves at least 0.6."""
    values: Values = {frozenset({1}): 0.9, frozenset({2}): 0.5, frozenset({3}): 0.4}
    for mine, theirs in itertools.product((1, 2, 3), (10, 11, 12)):
        values[frozenset({mine, theirs})] = {1: 0.0 if theirs == 10 else 1.0, 2: 0.6, 3: 0.3}[mine]
    for theirs in (10, 11, 12):
        values[frozenset({theirs})] = 0.5
    return SetGame(movers=(0, 1), moves=((1, 2, 3), (10, 11, 12))), values


def random_game(seed: int) -> tuple[SetGame, Values]:
    """Max, min, max over four candidates each, random leaf values; a clear best first move."""
    rng = random.Random(seed)
    moves = ((1, 2, 3, 4), (11, 12, 13, 14))
    while True:
        values: Values = {}
        for a, b, c in itertools.product(moves[0], moves[1], moves[0]):
            if a != c:
                values.setdefault(frozenset({a, b, c}), rng.random())
        game = SetGame(movers=(0, 1, 0), moves=moves)
        scores = sorted((minimax(game, values, frozenset({a})), a) for a in moves[0])
        if scores[-1][0] - scores[-2][0] > 0.1:
            return game, values


def minimax(game: SetGame, values: Values, state: State) -> float:
    if len(state) == game.horizon:
        return values[state]
    moves, _ = game.legal(state)
    children = [minimax(game, values, state | {m}) for m in moves]
    return max(children) if game.mover(state) == 0 else min(children)


def best_moves(game: SetGame, values: Values) -> set[int]:
    moves, _ = game.legal(frozenset())
    scores = {m: minimax(game, values, frozenset({m})) for m in moves}
    return {m for m, s in scores.items() if s == max(scores.values())}


def answer(values: Values, log: list[list[State]] | None = None):  # type: ignore[no-untyped-def]
    def evaluate(states: list[State]) -> list[float]:
        if log is not None:
            log.append(states)
        return [values[s] for s in states]

    return evaluate


def test_greedy_falls_into_the_trap_and_mcts_does_not() -> None:
    game, values = trap_game()
    assert drive(Greedy().choose(game, frozenset(), seed=0), answer(values)) == 1
    assert drive(MCTS(200, batch=4).choose(game, frozenset(), seed=0), answer(values)) == 2


@pytest.mark.parametrize("seed", range(6))
def test_mcts_finds_the_minimax_move(seed: int) -> None:
    game, values = random_game(seed)
    move = drive(MCTS(1500, batch=8).choose(game, frozenset(), seed=seed), answer(values))
    assert move in best_moves(game, values)


def test_the_minimiser_is_searched_for_too() -> None:
    game, values = trap_game()
    reply = drive(MCTS(50, batch=2).choose(game, frozenset({1}), seed=0), answer(values))
    assert reply == 10  # the refutation
    greedy = drive(Greedy().choose(game, frozenset({1}), seed=0), answer(values))
    assert greedy == 10  # one move from the end, greedy is exact


def test_batches_ask_for_each_leaf_once_and_searches_are_seeded() -> None:
    game, values = random_game(0)
    log: list[list[State]] = []
    first = drive(MCTS(64, batch=8).choose(game, frozenset(), seed=5), answer(values, log))
    assert all(len(batch) <= 8 and len(set(batch)) == len(batch) for batch in log)
    assert all(len(state) == game.horizon for batch in log for state in batch)
    again = drive(MCTS(64, batch=8).choose(game, frozenset(), seed=5), answer(values))
    assert first == again
    player = MCTS(64, batch=8)
    drive(player.choose(game, frozenset(), seed=1), answer(values))
    assert player.rollouts_done == 64


def test_legal_moves_exclude_made_ones_and_priors_renormalise() -> None:
    game = SetGame(movers=(0, 0), moves=((1, 2, 3), ()), priors=((0.5, 0.25, 0.25), ()))
    moves, prior = game.legal(frozenset({1}))
    assert moves == [2, 3] and prior == [0.5, 0.5]
    with pytest.raises(ValueError, match="at least one rollout"):
        MCTS(0)
