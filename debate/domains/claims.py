"""Claim trees as a judge sees them: the arithmetic prover-estimator debate rests on.

A claim is split into ``branching`` sub-claims, ``depth`` times, and the judge checks leaves,
each wrongly with probability ``eps``. Under ``all`` (a sum) a claim holds when every
sub-claim does, and a false claim has one false sub-claim (a flaw that can hide among the
others); under ``majority`` a claim holds when most sub-claims do, and they all share its
truth (the stable case: independent evidence pointing one way). A claim's *judged value* is
the chance that the judge's leaf checks, aggregated up by the rule, hold it true: what a
calibrated estimator states (docs/prover-estimator.md). The engine's players and the sweep's
vectorised simulator both build on these functions.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import Literal

Aggregate = Literal["all", "majority"]


def majority_value(probs: list[float]) -> float:
    """Chance that more than half of independent claims, true w.p. ``probs``, hold (an exact
    half: a fair coin), from the Poisson-binomial law."""
    dist = [1.0]
    for p in probs:
        dist = [
            (dist[j] if j < len(dist) else 0.0) * (1 - p) + (dist[j - 1] * p if j else 0.0)
            for j in range(len(dist) + 1)
        ]
    b = len(probs)
    return sum(q * (1.0 if 2 * j > b else 0.5 if 2 * j == b else 0.0) for j, q in enumerate(dist))


@dataclass(frozen=True)
class ClaimRules:
    """The shape of a claim tree and the judge's leaf error."""

    branching: int
    depth: int
    eps: float
    aggregate: Aggregate = "all"

    @property
    def false_children(self) -> int:
        """False sub-claims under a false claim: one flaw for a sum, all under majority."""
        return 1 if self.aggregate == "all" else self.branching

    def judged_values(self) -> tuple[list[float], list[float]]:
        """``(T, F)``: T[h], F[h] are the judged values of a true and a false claim ``h``
        levels above the leaves."""
        b, f = self.branching, self.false_children
        true, false = [1 - self.eps], [self.eps]
        for _ in range(self.depth):
            t, x = true[-1], false[-1]
            if self.aggregate == "all":
                true.append(t**b)
                false.append(x * t ** (b - 1))
            else:
                true.append(majority_value([t] * b))
                false.append(majority_value([x] * f + [t] * (b - f)))
        return true, false

    def all_checked_true(self, checked: int) -> float:
        """Chance that ``checked`` random sub-claims of a false claim are all true."""
        b, f = self.branching, self.false_children
        return comb(b - f, checked) / comb(b, checked) if checked <= b - f else 0.0

    def posterior(
        self, prior: float, checked: set[int], false_kids: set[int]
    ) -> tuple[float, list[float]]:
        """A player's chance that the claim is false, and that each sub-claim is, after
        checking the sub-claims in ``checked`` (``prior``: its chance the claim was false).
        The flaws it did not find lie uniformly among the sub-claims it did not check."""
        b, f = self.branching, self.false_children
        found = len(false_kids & checked)
        if found:
            claim_false = 1.0
        else:
            unfound = prior * self.all_checked_true(len(checked))
            total = unfound + (1 - prior)  # grouped so that a sure prior stays exactly sure
            claim_false = min(1.0, unfound / total) if total > 0 else 0.0
        unchecked = b - len(checked)
        rest = claim_false * (f - found) / unchecked if unchecked else 0.0
        kids = [float(j in false_kids) if j in checked else rest for j in range(b)]
        return claim_false, kids
