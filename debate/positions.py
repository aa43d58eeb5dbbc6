"""Which answers a debate shows, and in which orders a question is run.

Position bias is one of the judge errors the framework exists to measure, so the orders of a
question must differ *only* in order: the shown answers (the correct one plus distractors) are
drawn once per question, from the base seed and the question id, and every order is a
permutation of that one set. The balanced mode runs the ``n`` cyclic rotations of that set,
so every shown answer sits in every position exactly once.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from debate.seeds import derive_seed
from debate.types import Question

PositionMode = Literal["random", "both", "balanced"]
"""``random``: one random order per question. ``balanced`` (``both`` is its name for two
answers): the n cyclic rotations of one random order, every answer in every position once."""


def shown_answers(question: Question, n_answers: int, seed: int) -> list[int]:
    """The correct answer first, then ``n_answers - 1`` distractors in random order.

    Drawn from ``seed`` and the question id alone, so all orders of a question, and all cells
    of an eval, show the same answers (comparisons across protocols are paired). Which order
    comes first does not matter: the balanced orders rotate it through every position."""
    rng = random.Random(derive_seed(seed, "shown", question.id))
    distractors = [i for i in range(len(question.options)) if i != question.correct_index]
    return [question.correct_index, *rng.sample(distractors, min(n_answers - 1, len(distractors)))]


def rotation(base: list[int], k: int) -> list[int]:
    """``base`` rotated left by ``k`` places."""
    k %= len(base)
    return base[k:] + base[:k]


def answer_orders(
    question: Question, n_answers: int, seed: int, mode: PositionMode, order_seed: int = 0
) -> list[list[int]]:
    """The shown-answer orders a question is run in under ``mode`` (see ``PositionMode``);
    a random order is shuffled by ``order_seed`` (each debate's own)."""
    base = shown_answers(question, n_answers, seed)
    if mode == "random":
        random.Random(derive_seed(order_seed, "order")).shuffle(base)
        return [base]
    return [rotation(base, k) for k in range(len(base))]


def order_label(mode: PositionMode, index: int, n_orders: int) -> str:
    """The tag hashed into a debate id for the ``index``-th order.

    Two-answer runs keep the tags of earlier versions (``False``: correct answer first,
    ``True``: reversed; ``None`` for a random order), whose two orders were the same."""
    if mode == "random":
        return "None"
    if n_orders == 2:
        return str(bool(index))
    return f"rotation{index}"


def choose_shown(
    question: Question, n_answers: int, rng: random.Random, swap: bool | None
) -> list[int]:
    """The shown answers of a debate run without an explicit order.

    The answer *set* depends on the question alone (``shown_answers``), so a position-swapped
    pair shows the same answers: ``swap=False`` lists the correct answer first, ``swap=True``
    reverses that order, ``None`` shuffles it with ``rng``. For every answer in every position,
    pass the orders of ``debate.positions.answer_orders`` as ``shown``.
    """
    shown = shown_answers(question, n_answers, 0)
    if swap is None:
        rng.shuffle(shown)
    elif swap:
        shown.reverse()
    return shown


def checked_shown(question: Question, shown: Sequence[int]) -> list[int]:
    """``shown`` as a list, checked to be distinct options that include the correct one."""
    order = list(shown)
    if question.correct_index not in order:
        raise ValueError(f"shown answers {order} leave out the correct answer")
    if len(set(order)) != len(order) or not all(0 <= i < len(question.options) for i in order):
        raise ValueError(f"shown answers {order} must be distinct options of the question")
    return order
