"""The vectorised simulator and the engine (protocol, debater and judge classes) play the
same game: in every cell their mean scores agree, and both agree with theory where it exists.

Each engine sample is sized by ``evals.sweep.agreement.engine_n`` so that a true gap of 0.05 in
accuracy fails the 4-sigma two-sample test with probability 0.9 (the old n = 500 test could
not see the naive judge sampling leaves with replacement). The default cells cover every
protocol and every error model, and naive budgets below, at and above the tree's ``N``
leaves; the slow test crosses them with depths, branching, search and awareness.
"""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from evals.metrics import wilson_score_interval
from evals.sweep.agreement import GAP, Z_FAIL, Agreement, compare
from evals.sweep.cells import SweepCell, SweepErrorModel, SweepProtocol
from evals.sweep.runner import cell_seed
from evals.sweep.theory import theory_accuracy


def cell(protocol: str, model: str, eps: float, depth: int, **kw: object) -> SweepCell:
    base = {"protocol": protocol, "error_model": model, "epsilon": eps, "depth": depth}
    return SweepCell.model_validate({**base, **kw})


CELLS = [
    # naive: the reported case (budget 2 = N at depth 1; engine 0.744, simulator 1.000), then
    # budgets at and above N, and budget 1 (the default) where ties are commonest
    cell("naive", "random", 0.0, 1, judge_budget=2),
    cell("naive", "systematic", 0.1, 2, judge_budget=4),
    cell("naive", "position", 0.3, 2, judge_budget=6),
    cell("naive", "persuasion", 0.2, 3, judge_budget=8),
    cell("naive", "random", 0.1, 1, judge_budget=1),
    # every debate protocol under every error model, at depths 1-4, with limited search
    cell("recursive", "random", 0.2, 3),
    cell("recursive", "systematic", 0.05, 3),
    cell("recursive", "persuasion", 0.3, 2, branching=3, search=1),
    cell("recursive", "position", 0.4, 2, branching=4, search=2),
    cell("recursive-every-level", "random", 0.1, 3),
    cell("recursive-every-level", "systematic", 0.1, 2, branching=3, search=0),
    cell("recursive-every-level", "persuasion", 0.3, 1),
    cell("recursive-every-level", "position", 0.3, 4),
    cell("consultancy", "random", 0.1, 2),
    cell("consultancy", "systematic", 0.1, 3, aware=False),
    cell("consultancy", "persuasion", 0.3, 1),
    cell("consultancy", "position", 0.2, 2, branching=3),
    # stochastic-oracle judges: each check asked ``queries`` times, the majority deciding
    cell("recursive", "random", 0.3, 3, queries=5),
    cell("recursive-every-level", "random", 0.3, 2, queries=3),
    cell("consultancy", "random", 0.2, 2, queries=4),
    cell("naive", "random", 0.2, 2, judge_budget=4, queries=3),
    # prover-estimator debate (random leaf errors only): limited and full search, the
    # estimator's own checks, and a branching that outgrows the reward growth (it shades)
    cell("prover-estimator", "random", 0.1, 2, branching=2, search=0),
    cell("prover-estimator", "random", 0.05, 2, branching=3, search=1, estimator="own"),
    cell("prover-estimator", "random", 0.0, 2, branching=8, search=1, reward_growth=2.0),
    cell("prover-estimator", "random", 0.02, 1, branching=4),
]


def _full_grid() -> list[SweepCell]:
    protocols = ["consultancy", "recursive", "recursive-every-level"]
    models = ["random", "systematic", "persuasion", "position"]
    grid = [cell(p, m, 0.2, d) for p, m, d in itertools.product(protocols, models, [1, 2, 4])]
    for p, m in itertools.product(protocols, models):
        grid.append(cell(p, m, 0.15, 2, branching=3, search=1))
        grid.append(cell(p, m, 0.15, 2, branching=4, search=2, aware=False))
    for m, d in itertools.product(models, [1, 2, 3]):
        budgets = sorted({1, 2, 2**d - 1, 2**d, 2**d + 1} - {0})
        grid += [cell("naive", m, 0.1, d, judge_budget=k) for k in budgets]
    return grid


def _label(c: SweepCell) -> str:
    extra = "" if c.branching == 2 else f"-b{c.branching}"
    extra += "" if c.search is None else f"-s{c.search}"
    extra += "" if c.aware else "-unaware"
    extra += f"-k{c.judge_budget}" if c.protocol == "naive" else ""
    extra += "" if c.queries == 1 else f"-m{c.queries}"
    extra += "" if c.protocol != "prover-estimator" else f"-l{c.reward_growth}-{c.estimator}"
    return f"{c.protocol}-{c.error_model}-{c.epsilon}-d{c.depth}{extra}"


def check(c: SweepCell) -> Agreement:
    agreement = compare(c, seed=cell_seed(21, c))
    print(agreement.line())
    assert agreement.detectable <= GAP + 1e-9, agreement.line()
    assert abs(agreement.z) <= Z_FAIL, agreement.line()
    theory = theory_accuracy(c)
    if theory is not None:
        low, high = wilson_score_interval(agreement.engine_score, agreement.engine_n, 0.9999)
        assert low <= theory <= high, f"engine [{low:.4f}, {high:.4f}] vs theory {theory:.4f}"
    return agreement


@pytest.mark.parametrize("c", CELLS, ids=_label)
def test_engine_and_simulator_agree(c: SweepCell) -> None:
    check(c)


@pytest.mark.slow
@pytest.mark.parametrize("c", _full_grid(), ids=_label)
def test_engine_and_simulator_agree_on_the_full_grid(c: SweepCell) -> None:
    check(c)


def _valid(protocol: str, model: str) -> bool:
    try:
        cell(protocol, model, 0.1, 1)
    except ValueError:
        return False
    return True


def test_default_cells_cover_every_protocol_and_error_model() -> None:
    every = itertools.product(get_args(SweepProtocol), get_args(SweepErrorModel))
    valid = {pair for pair in every if _valid(*pair)}
    assert ("prover-estimator", "random") in valid
    assert ("prover-estimator", "position") not in valid
    assert {(c.protocol, c.error_model) for c in CELLS} == valid
