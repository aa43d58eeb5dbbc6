"""Engine vs simulator on one cell: the same game played two ways must score the same.

The engine (protocol, debater and judge classes, one debate at a time) is the reference
implementation of docs/recursive-debate.md; the vectorised simulator is what sweeps use. A
rule the two read differently (how the naive judge samples, how a tie scores, a budget off by
one) shows up as a gap in mean score, so ``compare`` runs both and a two-sample z-test says
whether the gap is chance. The engine is slow (~1-10k debates/s), so its sample is sized to
detect a given gap: ``engine_n`` debates make a true gap of ``GAP`` stand ``Z_FAIL + Z_POWER``
standard errors out, so it fails the ``Z_FAIL`` test with probability 0.9.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass

from debate.batch import run_many
from evals.sweep.cells import SweepCell
from evals.sweep.engine_jobs import engine_jobs
from evals.sweep.simulate import simulate_cell

GAP = 0.05
"""The smallest engine-vs-simulator gap in accuracy a comparison must catch."""
Z_FAIL = 4.0
"""Disagreement threshold, in standard errors (two-sided p ~ 6e-5 a cell, many cells a run)."""
Z_POWER = 1.2816
"""Extra standard errors a true ``GAP`` must clear: the 90% quantile, so power 0.9."""
SIM_N = 200_000
MIN_ENGINE_N = 200


@dataclass(frozen=True)
class Agreement:
    """Scores of one cell both ways (a tie scores 1/2 on both sides) and their z-statistic."""

    cell: SweepCell
    engine_n: int
    engine_score: float
    engine_ties: int
    sim_n: int
    sim_score: float
    sim_ties: int
    engine_seconds: float

    @property
    def engine_accuracy(self) -> float:
        return self.engine_score / self.engine_n

    @property
    def sim_accuracy(self) -> float:
        return self.sim_score / self.sim_n

    @property
    def se(self) -> float:
        """Standard error of the gap under "same accuracy" (pooled; a tie's 1/2 only lowers
        the true variance, so this is conservative)."""
        pooled = (self.engine_score + self.sim_score) / (self.engine_n + self.sim_n)
        return math.sqrt(pooled * (1 - pooled) * (1 / self.engine_n + 1 / self.sim_n))

    @property
    def z(self) -> float:
        gap = self.engine_accuracy - self.sim_accuracy
        if self.se == 0:
            return 0.0 if gap == 0 else math.inf  # both all right (or all wrong): exact
        return gap / self.se

    @property
    def detectable(self) -> float:
        """The gap these sample sizes catch with probability 0.9: ``Z_FAIL + Z_POWER`` standard
        errors, at the largest variance within ``GAP`` of the simulated accuracy (so a cell
        where both sides score 1.0 still says what it could have seen)."""
        var = _variance_near(self.sim_accuracy, GAP)
        return (Z_FAIL + Z_POWER) * math.sqrt(var * (1 / self.engine_n + 1 / self.sim_n))

    def line(self) -> str:
        c = self.cell
        what = (
            f"{c.protocol:<21} {c.error_model:<10} eps={c.epsilon:<4} d={c.depth} b={c.branching}"
            f" search={'full' if c.search is None else c.search} aware={c.aware:d}"
            f" budget={c.judge_budget}"
        )
        return (
            f"{what}: engine {self.engine_accuracy:.4f} (n={self.engine_n}, "
            f"ties={self.engine_ties}) vs sim {self.sim_accuracy:.4f} (n={self.sim_n}, "
            f"ties={self.sim_ties}); gap {self.engine_accuracy - self.sim_accuracy:+.4f}, "
            f"z={self.z:+.2f}, detects {self.detectable:.3f}; engine {self.engine_seconds:.2f} s"
        )


def engine_n(p: float, gap: float = GAP, sim_n: int = SIM_N) -> int:
    """Engine debates so that a true gap of ``gap`` stands ``Z_FAIL + Z_POWER`` se out.

    The variance is the largest within ``gap`` of ``p`` (the engine's true accuracy may be
    anywhere there), less what the simulator's own ``sim_n`` debates take up.
    """
    var = _variance_near(p, gap)
    room = (gap / (Z_FAIL + Z_POWER)) ** 2 - var / sim_n
    return max(MIN_ENGINE_N, math.ceil(var / room))


def _variance_near(p: float, gap: float) -> float:
    """The largest Bernoulli variance q(1-q) for q within ``gap`` of ``p``."""
    nearest = min(max(0.5, p - gap), p + gap)
    return nearest * (1 - nearest)


def play_engine(cell: SweepCell, n: int, seed: int) -> tuple[float, int]:
    """(summed score, ties) of ``n`` engine debates of ``cell``; any debate error raises."""
    transcripts = asyncio.run(run_many(engine_jobs(cell, n, seed), concurrency=64))
    failed = [t.error for t in transcripts if t.error is not None]
    if failed:
        raise RuntimeError(f"{len(failed)} engine debates failed, first: {failed[0]}")
    return sum(t.score for t in transcripts), sum(t.tie for t in transcripts)


def compare(cell: SweepCell, seed: int, n: int | None = None, sim_n: int = SIM_N) -> Agreement:
    """Simulate ``sim_n`` debates, then play ``n`` through the engine (default: ``engine_n``
    of the simulated accuracy). Different seeds on the two sides: independent samples."""
    sim = simulate_cell(cell, sim_n, seed=seed + 1)
    count = n if n is not None else engine_n(sim.accuracy, sim_n=sim_n)
    start = time.perf_counter()
    score, ties = play_engine(cell, count, seed)
    return Agreement(
        cell=cell,
        engine_n=count,
        engine_score=score,
        engine_ties=ties,
        sim_n=sim.n,
        sim_score=sim.score,
        sim_ties=sim.ties,
        engine_seconds=time.perf_counter() - start,
    )
