"""Bradley-Terry ratings on the Elo scale, fitted by ``choix``, with question-clustered
bootstrap intervals.

Ratings come from games between items (a player as honest debater, a player as liar; a
judge as Guard, a debater as Houdini). ``choix.ilsr_pairwise_dense`` fits the
Bradley-Terry strengths from the matrix of wins, with a small regularising rate between
every pair (``prior``) that keeps a player that never lost finite; they are reported on the
Elo scale (400 / ln 10 per unit of log-strength, so a gap of 400 is 10:1 odds), centred on
the mean of the items that played. A game's score is the verdict's score for the side
(a k-way tie including the truth gives the honest side 1/k), so wins may be fractional.
Intervals resample whole questions with
replacement, since the debates of one question (its answer orders, its pairings) are not
independent.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

ELO_PER_UNIT = 400 / math.log(10)
DEFAULT_PRIOR = 0.01

Game = tuple[int, int, float]
"""(item a, item b, a's score in [0, 1])."""


def fit_elo(n_items: int, games: Sequence[Game], prior: float = DEFAULT_PRIOR) -> np.ndarray:
    """Elo-scale Bradley-Terry ratings of ``n_items`` from ``games``; nan for an item that
    played none (a rating it would only get from the prior)."""
    wins = np.zeros((n_items, n_items))
    for a, b, score in games:
        wins[a, b] += score
        wins[b, a] += 1.0 - score
    return fit_wins(wins, prior)


def fit_wins(wins: np.ndarray, prior: float = DEFAULT_PRIOR) -> np.ndarray:
    """``fit_elo`` from a matrix of (fractional) wins, ``wins[i, j]``: i's score against j
    summed over their games (choix's dense iterative Luce spectral ranking; ``prior`` is its
    regularisation, a small rate between every pair of items)."""
    import choix

    played = (wins.sum(axis=0) + wins.sum(axis=1)) > 0
    ratings = np.full(wins.shape[0], np.nan)
    if not played.any():
        return ratings
    theta = np.asarray(choix.ilsr_pairwise_dense(wins, alpha=prior), dtype=float)
    ratings[played] = (theta[played] - theta[played].mean()) * ELO_PER_UNIT
    return ratings


def win_probability(elo_a: float, elo_b: float) -> float:
    """Bradley-Terry probability that a beats b, on the Elo scale."""
    return float(1.0 / (1.0 + 10.0 ** ((elo_b - elo_a) / 400.0)))


@dataclass(frozen=True)
class Estimate:
    """A statistic from all the data, with its bootstrap percentile interval."""

    value: float
    low: float
    high: float

    def row(self, name: str) -> dict[str, float]:
        return {name: self.value, f"{name}_low": self.low, f"{name}_high": self.high}


def bootstrap(
    questions: Sequence[str],
    statistic: Callable[[Mapping[str, int]], np.ndarray],
    resamples: int,
    seed: int,
) -> np.ndarray:
    """``statistic`` on ``resamples`` resamples of the questions (drawn with replacement;
    the mapping gives how often each question was drawn): one row per resample."""
    rng = np.random.default_rng(seed)
    rows = []
    for _ in range(resamples):
        drawn = rng.choice(len(questions), size=len(questions), replace=True)
        counts = np.bincount(drawn, minlength=len(questions))
        rows.append(statistic({questions[i]: int(c) for i, c in enumerate(counts) if c}))
    return np.asarray(rows, dtype=float)


def estimates(point: np.ndarray, draws: np.ndarray, confidence: float) -> list[Estimate]:
    """Each statistic of ``point`` with the percentile interval of its bootstrap ``draws``
    (nan where there are no draws, or every draw is nan)."""
    tail = (1 - confidence) / 2 * 100
    found = []
    for k, value in enumerate(point):
        column = draws[:, k] if draws.size else np.array([])
        column = column[np.isfinite(column)]
        if column.size == 0:
            found.append(Estimate(float(value), math.nan, math.nan))
            continue
        low, high = np.percentile(column, [tail, 100 - tail])
        found.append(Estimate(float(value), float(low), float(high)))
    return found
