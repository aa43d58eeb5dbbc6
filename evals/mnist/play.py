"""The batched fast path: many pixel-debate games in lockstep, one judge call per step.

Each game is a generator (``debate.domains.pixel_play.play_game``) that yields the sets of
revealed pixels it needs judged. Every step, the driver collects the requests of all active
games, answers them with one batched, cached ``PixelEvaluator.logits`` call, and sends each
game its rows. A window bounds how many games are active at once (memory, and a steady batch
size); results come back through ``on_done`` as each game finishes, so a caller can store them
at once and a killed run keeps every finished game.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

from debate.domains.pixel_play import Exchange
from debate.search.game import State
from judges.pixels.evaluator import PixelEvaluator

K = TypeVar("K")
T = TypeVar("T")


def play_many(
    games: Iterable[tuple[K, Exchange[T]]],
    evaluator: PixelEvaluator,
    on_done: Callable[[K, T], None],
    *,
    window: int = 256,
) -> int:
    """Play every ``(key, game)`` to its end; returns the number of judge steps taken."""
    pending: Iterator[tuple[K, Exchange[T]]] = iter(games)
    active: dict[int, tuple[K, Exchange[T], list[State]]] = {}
    slot = 0

    def start(key: K, game: Exchange[T]) -> None:
        nonlocal slot
        try:
            active[slot] = (key, game, next(game))
            slot += 1
        except StopIteration as done:
            on_done(key, done.value)

    def refill() -> None:
        while len(active) < window:
            item = next(pending, None)
            if item is None:
                return
            start(*item)

    refill()
    steps = 0
    while active:
        slots = list(active)
        requests = [active[s][2] for s in slots]
        logits = evaluator.logits([state for request in requests for state in request])
        steps += 1
        offset = 0
        for s, request in zip(slots, requests, strict=True):
            key, game, _ = active[s]
            rows = logits[offset : offset + len(request)]
            offset += len(request)
            try:
                active[s] = (key, game, game.send(rows))
            except StopIteration as done:
                del active[s]
                on_done(key, done.value)
        refill()
    return steps
