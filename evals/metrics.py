"""Statistics for debate evals: confidence intervals, Brier score and calibration error.

Accuracy from a few hundred debates is noisy, so every accuracy we report carries a Wilson
interval; Brier and ECE tell whether a judge's stated probabilities can be trusted.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from itertools import pairwise


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion.

    Wilson rather than the normal approximation because it stays inside [0, 1] and is
    sensible at 0 or n successes, which small eval cells hit often. For ``n == 0`` there is
    no information, so it returns ``(nan, nan)`` rather than raising: an empty cell should
    show up as such in a table, not crash the report.
    """
    return wilson_score_interval(successes, n, confidence)


def wilson_score_interval(score: float, n: float, confidence: float = 0.95) -> tuple[float, float]:
    """The Wilson interval's closed form, for a score that may be fractional (a tie scores
    1/k) over a sample size that may be effective rather than counted (clustered samples).
    At whole counts it is scipy's ``binomtest(...).proportion_ci(method="wilson")``."""
    if n <= 0:
        return (math.nan, math.nan)
    from scipy.stats import norm  # lazy, like numpy below: keeps `import evals` fast

    z = float(norm.ppf(0.5 + confidence / 2))
    p, denom = score / n, 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(max(0.0, p * (1 - p)) / n + z * z / (4 * n * n))
    low = 0.0 if p <= 0 else max(0.0, centre - half)  # exact at the edges, as scipy is
    high = 1.0 if p >= 1 else min(1.0, centre + half)
    return (low, high)


def clustered_interval(
    scores: Sequence[float], clusters: Sequence[str], confidence: float = 0.95
) -> tuple[float, float]:
    """Wilson interval for a mean score whose samples come in clusters (the answer orders of
    one question are not independent samples).

    The variance is the cluster-robust one (sums of residuals per cluster, squared); the
    Wilson interval is then taken at the effective sample size that variance implies,
    ``n_eff = p(1-p) / var``, capped at ``n`` (clustering never buys precision). With one
    sample per cluster and 0/1 scores this is exactly ``wilson_interval``; scores may be
    fractional (a tie scores 1/k).
    """
    if len(scores) != len(clusters):
        raise ValueError(f"scores and clusters differ in length: {len(scores)} != {len(clusters)}")
    n = len(scores)
    if n == 0:
        return (math.nan, math.nan)
    p = sum(scores) / n
    sums: dict[str, float] = {}
    for score, cluster in zip(scores, clusters, strict=True):
        sums[cluster] = sums.get(cluster, 0.0) + (score - p)
    variance = sum(r * r for r in sums.values()) / n**2
    n_eff = float(n) if variance <= 0 else min(float(n), p * (1 - p) / variance)
    if n_eff <= 0:  # p is 0 or 1 with spread from fractional scores: no shrinkage to use
        n_eff = float(n)
    return wilson_score_interval(p * n_eff, n_eff, confidence)


def position_consistency(picks: Sequence[Sequence[Hashable | None]]) -> float | None:
    """Share of questions whose answer orders all got the same verdict.

    ``picks`` holds, per question judged in two or more orders, what each order's verdict
    favoured, in terms of the answers rather than positions (None: no verdict, an error); a
    question counts as consistent only if every order has a verdict and they are all equal.
    None when no question has two orders.
    """
    multi = [p for p in picks if len(p) >= 2]
    if not multi:
        return None
    same = sum(1 for p in multi if p[0] is not None and all(x == p[0] for x in p))
    return same / len(multi)


def brier_score(p_correct: Sequence[float]) -> float:
    """Binary Brier score of the probability put on the correct answer: mean((1 - p)^2).

    Lower is better; 0.25 is what a judge saying 0.5 every time gets. Returns nan for an
    empty sequence.
    """
    import numpy as np

    p = np.asarray(p_correct, dtype=float)
    if p.size == 0:
        return math.nan
    if np.any((p < 0) | (p > 1)):
        raise ValueError("probabilities must lie in [0, 1]")
    return float(np.mean((1.0 - p) ** 2))


def expected_calibration_error(
    confidences: Sequence[float], correct: Sequence[float], n_bins: int = 10
) -> float:
    """Expected calibration error of the confidence in the chosen answer.

    Equal-width bins over [0, 1] (right-closed, 0 falls in the first bin); the ECE is the
    bin-size-weighted mean of |accuracy - mean confidence|. Returns nan for no data.
    """
    import numpy as np

    if n_bins < 1:
        raise ValueError("n_bins must be at least 1")
    conf = np.asarray(confidences, dtype=float)
    hits = np.asarray(correct, dtype=float)
    if conf.shape != hits.shape:
        raise ValueError(f"confidences and correct differ in length: {conf.size} != {hits.size}")
    if conf.size == 0:
        return math.nan
    if np.any((conf < 0) | (conf > 1)):
        raise ValueError("confidences must lie in [0, 1]")
    bins = np.clip(np.ceil(conf * n_bins).astype(int) - 1, 0, n_bins - 1)
    ece = 0.0
    for b in np.unique(bins):
        mask = bins == b
        ece += mask.sum() / conf.size * abs(hits[mask].mean() - conf[mask].mean())
    return float(ece)


@dataclass(frozen=True)
class CalibrationBin:
    """Verdicts whose confidence lies in ``[low, high)`` (the last bin also takes ``high``,
    the first everything below ``low``)."""

    low: float
    high: float
    n: int
    mean_confidence: float
    accuracy: float


def calibration_bins(
    confidences: Sequence[float],
    correct: Sequence[float],
    edges: Sequence[float] = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0),
) -> list[CalibrationBin]:
    """Accuracy against stated confidence, bin by bin (empty bins are left out).

    A calibrated judge is right about 85% of the time when it says 85%: these bins show
    where a judge is over- or under-confident, which one ECE number hides. Bins are closed
    on the left, so a judge who says 90% finds it in the bin from 90%.
    """
    if len(confidences) != len(correct):
        raise ValueError(
            f"confidences and correct differ in length: {len(confidences)} != {len(correct)}"
        )
    if len(edges) < 2 or any(b <= a for a, b in pairwise(edges)):
        raise ValueError("edges must be at least two increasing numbers")
    bins: list[list[tuple[float, float]]] = [[] for _ in edges[1:]]
    for conf, hit in zip(confidences, correct, strict=True):
        above = [i for i, low in enumerate(edges[:-1]) if conf >= low - 1e-9]
        bins[above[-1] if above else 0].append((conf, hit))
    return [
        CalibrationBin(
            low=edges[i],
            high=edges[i + 1],
            n=len(members),
            mean_confidence=sum(c for c, _ in members) / len(members),
            accuracy=sum(h for _, h in members) / len(members),
        )
        for i, members in enumerate(bins)
        if members
    ]
