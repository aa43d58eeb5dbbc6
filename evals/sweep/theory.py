"""Closed-form accuracy of a sweep cell: the theory overlay of docs/recursive-debate.md.

Conservative on purpose: a value is returned only where the doc's table applies exactly, so a
simulation that disagrees with it is a bug, never an approximation. Everything else (the naive
judge short of reading every leaf, systematic consultancy, limited search under persuasion,
unaware liars facing blind spots, ...) is ``None``. A cell whose error strength is 0 has no
error at all, so it takes the error-free accuracy ``a0`` whatever its model.
"""

from __future__ import annotations

from debate.domains.treesum import oracle_hoeffding_bound
from evals.sweep.cells import SweepCell


def theory_accuracy(cell: SweepCell) -> float | None:
    """The doc's closed form for ``cell``, or None where it gives none."""
    if cell.protocol == "naive":
        return _naive(cell)
    if cell.protocol == "prover-estimator":
        from evals.sweep.prover_estimator import theory_accuracy as prover_estimator

        return prover_estimator(cell)
    b, d, eps = cell.branching, cell.depth, cell.check_error
    full_search = cell.find_chance == 1.0
    # Probability that the flawed child is followed all the way down to a leaf.
    follow = (1.0 / b) ** d if cell.protocol == "consultancy" else cell.find_chance**d
    a0 = (1 + follow) / 2  # no error: an honest claimant always wins; a liar is caught
    if eps == 0:
        return a0
    model = cell.error_model
    if model == "random":
        if cell.protocol == "recursive-every-level":
            return (1 - eps) ** (d + 1) if full_search else None
        return (1 - eps) / 2 + (follow * (1 - eps) + (1 - follow) * eps) / 2
    if model == "systematic":
        if cell.protocol != "consultancy" and cell.aware and full_search:
            return float((1 - eps) ** cell.leaves)
        return None
    if model == "persuasion":
        if cell.protocol == "consultancy":
            return (1 - eps) * a0 + eps / 2
        return 1 - eps / 2 if full_search else None
    # position: any two-answer protocol
    return (1 - eps) * a0 + eps / 2


def oracle_bound(cell: SweepCell) -> float | None:
    """Hoeffding's lower bound on a stochastic-oracle cell's accuracy, where the doubly-
    efficient argument applies: recursive debate with full search, whose judge checks one
    leaf whatever the depth, so ``queries`` answers give 1 - exp(-2 m (1/2 - v)^2)."""
    full_search = cell.find_chance == 1.0
    if cell.queries == 1 or cell.protocol != "recursive" or not full_search:
        return None
    return 1 - oracle_hoeffding_bound(cell.epsilon, cell.queries)


def _naive(cell: SweepCell) -> float | None:
    """A budget of ``N`` distinct leaves reads the whole tree: the estimate is the true total,
    so only the errors remain (its one check, or a position bias; nobody speaks to persuade).
    A smaller budget depends on the distribution of leaf values: no closed form."""
    if cell.judge_budget < cell.leaves:
        return None
    eps = cell.epsilon
    if cell.error_model == "random":
        return 1 - cell.check_error
    if cell.error_model == "systematic":
        return 1 - eps
    if cell.error_model == "position":
        return 1 - eps / 2
    return 1.0
