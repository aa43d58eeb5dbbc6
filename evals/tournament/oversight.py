"""Oversight scaling (Engels et al. 2025): domain Elo against general capability as a
"double ReLU", and the success of nested oversight across a capability gap.

The fit is ``elo(x) = a + b * clip(x, lo, hi)``: flat below ``lo`` and above ``hi``, linear
between. With a handful of models per role a kink is easy to overfit, so each breakpoint
is tried at every observed capability and at none (an infinite one), and the model with the
least corrected Akaike criterion (AICc, two parameters plus one per finite breakpoint) is
kept: a plateau is claimed only where the data pay for it.

Nested oversight: a Guard of capability ``g`` oversees a Houdini of ``g + gap / n`` in each
of ``n`` steps (the overseen model becomes the next step's Guard); a step succeeds with the
Bradley-Terry probability of the Guard's domain Elo against the Houdini's, and the chain
with probability the product. The best ``n`` is the one that maximises it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from evals.tournament.ratings import win_probability


@dataclass(frozen=True)
class DoubleRelu:
    intercept: float
    slope: float
    lo: float
    hi: float
    """Breakpoints (-inf / inf: no plateau on that side)."""

    def __call__(self, x: float) -> float:
        return self.intercept + self.slope * min(max(x, self.lo), self.hi)

    def describe(self) -> str:
        lo = "none" if math.isinf(self.lo) else f"{self.lo:g}"
        hi = "none" if math.isinf(self.hi) else f"{self.hi:g}"
        return f"slope {self.slope:.3f} Elo per unit, plateaus below {lo} and above {hi}"


def _least_squares(z: np.ndarray, y: np.ndarray) -> tuple[float, float, float]:
    """(intercept, slope, SSE) of y on z; a constant z fits a flat line."""
    if np.ptp(z) == 0:
        mean = float(y.mean())
        return mean, 0.0, float(((y - mean) ** 2).sum())
    slope, intercept = np.polyfit(z, y, 1)
    residual = y - (intercept + slope * z)
    return float(intercept), float(slope), float((residual**2).sum())


def fit_double_relu(x: Sequence[float], y: Sequence[float]) -> DoubleRelu | None:
    """The AICc-best double ReLU through the points (None with fewer than two finite ones)."""
    xs, ys = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = np.isfinite(xs) & np.isfinite(ys)
    xs, ys = xs[keep], ys[keep]
    if len(np.unique(xs)) < 2:
        return None
    points = sorted(set(xs.tolist()))
    n = len(xs)
    best: tuple[float, DoubleRelu] | None = None
    for lo in [-math.inf, *points[1:-1]]:
        for hi in [*points[1:-1], math.inf]:
            if hi <= lo:
                continue
            intercept, slope, sse = _least_squares(np.clip(xs, lo, hi), ys)
            k = 2 + (not math.isinf(lo)) + (not math.isinf(hi))
            if n - k - 1 <= 0 and k > 2:
                continue  # too few points to price a kink
            aicc = n * math.log(max(sse, 1e-12) / n) + 2 * k
            if n - k - 1 > 0:
                aicc += 2 * k * (k + 1) / (n - k - 1)
            if best is None or aicc < best[0] - 1e-9:
                best = (aicc, DoubleRelu(intercept, slope, lo, hi))
    return None if best is None else best[1]


def nested_success(
    guard: DoubleRelu, houdini: DoubleRelu, start: float, gap: float, steps: int
) -> float:
    """Probability that ``steps`` equal steps of oversight all succeed."""
    total = 1.0
    for i in range(steps):
        g = start + i * gap / steps
        total *= win_probability(guard(g), houdini(g + gap / steps))
    return total


@dataclass(frozen=True)
class OversightPlan:
    gap: float
    steps: int
    """The number of steps that maximises the success (the fewest, on a tie)."""
    success: float
    single_step: float
    """Success with one step (the Guard oversees the target directly)."""
    by_steps: list[float]
    """Success for 1 .. max_steps steps."""


def plan_oversight(
    guard: DoubleRelu, houdini: DoubleRelu, start: float, gap: float, max_steps: int
) -> OversightPlan:
    curve = [nested_success(guard, houdini, start, gap, n) for n in range(1, max_steps + 1)]
    best = int(np.argmax(curve))
    return OversightPlan(gap, best + 1, curve[best], curve[0], curve)
