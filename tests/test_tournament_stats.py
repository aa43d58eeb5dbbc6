"""The statistics under tournaments: Bradley-Terry ratings (choix) on the Elo scale, the
question-clustered bootstrap, the double-ReLU fit and nested oversight, each checked
against cases whose answer is known."""

from __future__ import annotations

import math
import random

import numpy as np
import pytest

from evals.tournament.analysis import Setting, analyse
from evals.tournament.matches import Match
from evals.tournament.oversight import (
    DoubleRelu,
    fit_double_relu,
    nested_success,
    plan_oversight,
)
from evals.tournament.ratings import bootstrap, estimates, fit_elo, fit_wins, win_probability


def simulated_games(true: list[float], n: int, seed: int) -> list[tuple[int, int, float]]:
    rng = random.Random(seed)
    games = []
    for _ in range(n):
        a, b = rng.sample(range(len(true)), 2)
        games.append((a, b, 1.0 if rng.random() < win_probability(true[a], true[b]) else 0.0))
    return games


@pytest.mark.parametrize(
    "true", [[-300.0, -100.0, 0.0, 200.0], [0.0, 50.0, 100.0], [-400.0, 400.0, 0.0, 10.0, 300.0]]
)
def test_ratings_recover_known_strengths(true: list[float]) -> None:
    found = fit_elo(len(true), simulated_games(true, 6000, seed=len(true)))
    centred = np.array(true) - np.mean(true)
    assert np.argsort(found).tolist() == np.argsort(centred).tolist()
    assert np.allclose(found, centred, atol=45)  # Elo, from 6000 games
    assert abs(found.mean()) < 1e-9  # centred on the items that played


def test_ratings_leave_unplayed_items_out_and_count_ties_as_half() -> None:
    found = fit_elo(3, [(0, 1, 0.5)] * 20)
    assert math.isnan(found[2])
    assert found[0] == pytest.approx(found[1], abs=1e-9)  # all ties: equal strength
    # Games and a matrix of the same wins are the same evidence.
    whole = fit_elo(2, [(0, 1, 1.0)] * 3 + [(0, 1, 0.0)])
    halves = fit_wins(np.array([[0.0, 3.0], [1.0, 0.0]]))
    assert whole == pytest.approx(halves)
    assert whole[0] - whole[1] == pytest.approx(400 * math.log10(3), rel=0.02)  # 3:1 odds
    assert np.isnan(fit_elo(2, [])).all()


def test_bootstrap_resamples_whole_questions() -> None:
    questions = ["q1", "q2", "q3", "q4"]
    seen: list[dict[str, int]] = []

    def statistic(weight: dict[str, int]) -> np.ndarray:
        seen.append(dict(weight))
        return np.array([sum(weight.values()), len(weight)])

    draws = bootstrap(questions, statistic, 200, seed=3)
    assert draws.shape == (200, 2)
    assert (draws[:, 0] == 4).all()  # n questions drawn, with replacement
    assert draws[:, 1].min() < 4  # so some are drawn twice and some not at all
    assert all(set(w) <= set(questions) for w in seen)
    again = bootstrap(questions, statistic, 200, seed=3)
    assert (again == draws).all()  # seeded
    low_high = estimates(np.array([4.0, 3.0]), draws, 0.95)
    assert low_high[0].low == low_high[0].high == 4.0


def test_double_relu_finds_plateaus_only_where_the_data_show_them() -> None:
    x = [float(v) for v in range(0, 1100, 100)]
    truth = DoubleRelu(intercept=-100.0, slope=2.0, lo=300.0, hi=700.0)
    fit = fit_double_relu(x, [truth(v) for v in x])
    assert fit is not None
    assert (fit.lo, fit.hi) == (300.0, 700.0)
    assert fit.slope == pytest.approx(2.0) and fit(500.0) == pytest.approx(truth(500.0))
    line = fit_double_relu(x, [3.0 * v + 1 for v in x])
    assert line is not None and math.isinf(line.lo) and math.isinf(line.hi)
    assert line.slope == pytest.approx(3.0)
    assert fit_double_relu([1.0], [2.0]) is None
    assert fit_double_relu([1.0, 1.0], [2.0, 3.0]) is None  # one capability: no slope


def test_nested_oversight_by_hand() -> None:
    guard = DoubleRelu(0.0, 2.0, -math.inf, math.inf)  # Guard Elo = 2 x capability
    houdini = DoubleRelu(0.0, 1.0, -math.inf, math.inf)  # Houdini Elo = capability
    # One step across 400 from 0: Guard at 0 (Elo 0) against Houdini at 400 (Elo 400).
    assert nested_success(guard, houdini, 0.0, 400.0, 1) == pytest.approx(1 / (1 + 10))
    # Two steps: (Guard 0 vs Houdini 200) then (Guard 400 vs Houdini 400).
    two = (1 / (1 + 10 ** (200 / 400))) * (1 / (1 + 10 ** (0 / 400)))
    assert nested_success(guard, houdini, 0.0, 400.0, 2) == pytest.approx(two)
    plan = plan_oversight(guard, houdini, 0.0, 400.0, 12)
    assert plan.success == max(plan.by_steps) and plan.by_steps[plan.steps - 1] == plan.success
    assert plan.single_step == plan.by_steps[0]
    # A Guard that gains nothing from capability: every extra step only adds a chance to fail.
    flat = DoubleRelu(0.0, 0.0, -math.inf, math.inf)
    assert plan_oversight(flat, houdini, 0.0, 400.0, 8).steps == 1


def matches_from(true_skill: dict[str, float], questions: int, seed: int) -> list[Match]:
    """Debates whose honest side wins with the Bradley-Terry chance of its skill lead."""
    rng = random.Random(seed)
    found = []
    for q in range(questions):
        for h, sh in true_skill.items():
            for x, sx in true_skill.items():
                won = rng.random() < win_probability(sh + 100, sx)
                found.append(Match("debate", "j", h, x, f"q{q}", float(won), True, 2))
    return found


def test_analysis_ranks_players_and_gives_intervals_that_cover() -> None:
    skill = {"a": -200.0, "b": 0.0, "c": 250.0}
    s = Setting(list(skill), ["j"], "debate", {}, {}, None, [100.0], 5, 0.01)
    a = analyse(matches_from(skill, 150, seed=1), s, resamples=60, confidence=0.95, seed=0)
    ratings = [a.value[f"rating|j|{p}"] for p in skill]
    assert ratings == sorted(ratings)
    for p, true in skill.items():
        value, low, high = a.get(f"rating|j|{p}")
        assert low < value < high
        assert low - 60 < true - np.mean(list(skill.values())) < high + 60
    # Cross-play accuracy is the honest side's mean score in that pairing.
    assert a.value["cross|j|c|a"] > 0.85 and a.value["cross|j|a|c"] < 0.3
    assert a.value["slope_cross|j"] > 0
    assert a.questions == 150 and a.resamples == 60
