"""Which answers a debate shows, and in which orders a question is run.

Position bias is one of the judge errors the framework exists to measure, so the orders of a
question must differ *only* in order: the shown answers (the correct one plus distractors) are
drawn once per question, from the base seed and the question id, and every order is a
permutation of that one set. The balanced mode runs the ``n`` cyclic rotations of that set,
so every shown answer sits in every position exactly once.
"""

from __future__ import annotations

import random
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
