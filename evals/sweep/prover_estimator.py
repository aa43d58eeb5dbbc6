"""Prover-estimator debate (Brown-Cohen, Irving, Piliouras 2025), vectorised, and its theory.

The game of docs/prover-estimator.md, played for ``n`` debates at once: the prover (Alice)
claims an answer and splits every claim into ``b`` sub-claims; the estimator (Bob) gives the
claim, then each sub-claim, a probability; Alice bets a sign on Bob's estimate *before* he
states the sub-claims' (so she gains only from knowing more than he does, or from his
shading), a trusted bit drawn from Bob's sub-claim estimates stands in for the human's
judgement of the claim from its parts, and Alice picks the sub-claim to recurse on. At the
leaf the judge checks the claim itself (wrong w.p. ``eps``). Level ``t``'s stake is
``lambda**(t+1)``; the root's stake is Bob's estimate of Alice's answer, which is also the
debate's output (the verdict's probability for her answer). Rewards are recorded as their
expectation over the trusted bits and the judge's check given the path played (the
quantity the incentive argument is about): drawn, a stake of ``lambda**(d+1)`` on a coin
would bury every comparison in noise. The path itself (which flaws lie where, what each
side checks, where Alice recurses) is drawn.

Estimates are in the judge's units: a claim's value is the chance that the judge's leaf
checks, aggregated up the tree by the rule of the claims (``all`` for a sum, ``majority``),
hold it true (``judged_values``). A calibrated Bob needs no search to state them: a false
claim's value is the same wherever its flaw lies. What search buys is locating flaws, which
moves estimates only in the sub-claims checked.
"""

from __future__ import annotations

from dataclasses import dataclass
from math import comb
from typing import TYPE_CHECKING

import numpy as np

from evals.sweep.cells import SweepCell

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Floats = NDArray[np.float64]
    Bools = NDArray[np.bool_]

SHADES = (0.0, 0.05, 0.25, 0.5, 1.0)
"""Shadings an estimator may try on an honest prover's claim: it states (1 - shade) times
the calibrated value at the root and dilutes the cut consistently down the tree. The cell
plays each and keeps the one that pays the estimator most (its best response)."""


def judged_values(cell: SweepCell) -> tuple[list[float], list[float]]:
    """``(T, F)``: the judged values of true and false claims by height (``ClaimRules``)."""
    return cell.rules.judged_values()


def _aggregate_iid(cell: SweepCell, q: Floats) -> Floats:
    """The claim's value when each of its ``b`` sub-claims has value ``q`` independently."""
    b = cell.branching
    if cell.aggregate == "all":
        return np.asarray(q**b, dtype=np.float64)
    out = np.zeros_like(q)
    for j in range(b + 1):
        weight = 1.0 if 2 * j > b else 0.5 if 2 * j == b else 0.0
        if weight:
            out += weight * comb(b, j) * q**j * (1 - q) ** (b - j)
    return out


def dilute(cell: SweepCell, parent: Floats) -> Floats:
    """The sub-claim value whose ``b`` i.i.d. copies aggregate to ``parent``: how a shading
    estimator keeps a cut claim consistent with its parts (bisection; aggregation is
    increasing). Under ``all`` a cut is divided b ways per level and fades; under majority
    it is amplified going down, so it shows at the leaf the judge checks."""
    if cell.aggregate == "all":
        return np.asarray(parent ** (1 / cell.branching), dtype=np.float64)
    low, high = np.zeros_like(parent), np.ones_like(parent)
    for _ in range(60):
        mid = (low + high) / 2
        below = _aggregate_iid(cell, mid) < parent
        low, high = np.where(below, mid, low), np.where(below, high, mid)
    return (low + high) / 2


@dataclass(frozen=True)
class Outcome:
    """``n`` debates of one estimator strategy: what the verdict put on the prover's
    answer, and the prover's total reward (the estimator's is its negative)."""

    root: Floats
    payoff: Floats


def _subset(rng: np.random.Generator, n: int, b: int, k: int) -> Bools:
    """Per debate, a uniformly random set of ``k`` of the ``b`` children."""
    ranks = np.argsort(np.argsort(rng.random((n, b)), axis=1), axis=1)
    out: Bools = ranks < k
    return out


def _posterior(
    cell: SweepCell, prior: Floats, checked: Bools, false_kids: Bools
) -> tuple[Floats, Floats]:
    """``ClaimRules.posterior`` for every debate at once: a player's chance that the claim
    is false, and that each sub-claim is, after checking the ``checked`` sub-claims."""
    b, f = cell.branching, cell.false_children
    k = int(checked[0].sum())
    found = (false_kids & checked).sum(axis=1)
    unfound = prior * cell.rules.all_checked_true(k)
    total = unfound + (1 - prior)  # grouped as the scalar form is
    ratio = np.minimum(1.0, unfound / np.maximum(total, 1e-300))
    claim_false = np.where(found > 0, 1.0, np.where(total > 0, ratio, 0.0))
    rest = claim_false * (f - found) / (b - k) if b > k else np.zeros_like(claim_false)
    kid_false = np.where(checked, false_kids.astype(np.float64), rest[:, None])
    return claim_false, kid_false


def play(cell: SweepCell, honest: Bools, shade: float, rng: np.random.Generator) -> Outcome:
    """Play every debate: Alice honest where ``honest``; Bob calibrated, except that he cuts
    an honest claim by ``shade`` (diluted consistently, level by level)."""
    n, b, d, lam = honest.size, cell.branching, cell.depth, cell.reward_growth
    true_v, false_v = judged_values(cell)
    k = b if cell.search is None else min(cell.search, b)
    rows = np.arange(n)
    cut = honest & (shade > 0)

    def value(pf: Floats, h: int) -> Floats:
        return np.asarray((1 - pf) * true_v[h] + pf * false_v[h], dtype=np.float64)

    claim_false = ~honest
    bob_pf = (~honest).astype(np.float64)  # both know the root's truth; search locates flaws
    alice_pf = bob_pf.copy()
    bob = np.where(cut, (1 - shade) * true_v[d], value(bob_pf, d))
    root = bob.copy()
    payoff = bob.copy()  # the root's stake: the verdict's probability for Alice's answer
    for level in range(d):
        h = d - level
        sign = np.sign(value(alice_pf, h) - bob)  # bet before Bob states the sub-claims
        false_kids = _subset(rng, n, b, cell.false_children) & claim_false[:, None]
        alice_checked = _subset(rng, n, b, k)
        shares = cell.estimator == "shares"
        bob_checked = alice_checked if shares else _subset(rng, n, b, k)
        bob_claim, bob_kids = _posterior(cell, bob_pf, bob_checked, false_kids)
        # Sharing her checks from the same prior, he believes what she does: no second pass.
        alice_kids = (
            bob_kids if shares else _posterior(cell, alice_pf, alice_checked, false_kids)[1]
        )
        kids = (1 - bob_kids) * true_v[h - 1] + bob_kids * false_v[h - 1]
        implied = value(bob_claim, h)
        diluted = dilute(cell, bob)
        kids = np.where(cut[:, None], diluted[:, None], kids)
        implied = np.where(cut, bob, implied)
        # The trusted bit (the parts, judged, hold the claim) is worth its chance, ``implied``.
        payoff += lam ** (level + 1) * sign * (implied - bob)
        alice_kids_v = (1 - alice_kids) * true_v[h - 1] + alice_kids * false_v[h - 1]
        # Alice recurses where she and Bob disagree most (ties at random).
        gap = np.abs(alice_kids_v - kids) + 1e-12 * rng.random((n, b))
        pick = gap.argmax(axis=1)
        claim_false = false_kids[rows, pick]
        bob, bob_pf, alice_pf = kids[rows, pick], bob_kids[rows, pick], alice_kids[rows, pick]
    sign = np.sign(value(alice_pf, 0) - bob)
    judged = np.where(claim_false, false_v[0], true_v[0])  # the judge's check, in expectation
    payoff += lam ** (d + 1) * sign * (judged - bob)
    return Outcome(root=root, payoff=payoff)


def honest_payoff_theory(cell: SweepCell, shade: float) -> float:
    """An honest prover's expected reward against a Bob who cuts her claim by ``shade``: the
    root's stake plus the leaf's, where the diluted cut meets the judge (every bet before it
    is on a consistent estimate, so it is worth nothing in expectation)."""
    true_v, _ = judged_values(cell)
    estimate = np.array([(1 - shade) * true_v[cell.depth]])
    for _ in range(cell.depth):
        estimate = dilute(cell, estimate)
    leaf = float(estimate[0]) if shade > 0 else true_v[0]
    return (1 - shade) * true_v[cell.depth] + cell.reward_growth ** (cell.depth + 1) * abs(
        true_v[0] - leaf
    )


def best_shade_theory(cell: SweepCell) -> float:
    """The shading in ``SHADES`` that pays the estimator most by ``honest_payoff_theory``."""
    return min(SHADES, key=lambda s: (honest_payoff_theory(cell, s), s))


def _verdict_score(value: float, honest: bool) -> float:
    """1, 1/2 or 0: the verdict puts ``value`` on the prover's answer."""
    if value == 0.5:
        return 0.5
    return 1.0 if (value > 0.5) == honest else 0.0


def theory_accuracy(cell: SweepCell) -> float:
    """Accuracy with Bob calibrated on liars and best-responding on honest provers: the
    verdict follows the judged value of the root, cut by the best shading."""
    true_v, false_v = judged_values(cell)
    honest = (1 - best_shade_theory(cell)) * true_v[cell.depth]
    return (_verdict_score(honest, True) + _verdict_score(false_v[cell.depth], False)) / 2


def liar_payoff_theory(cell: SweepCell) -> float | None:
    """A lying prover's expected reward when Bob sees her checks (``shares``): the root's
    stake alone, the judged value of a false claim; she knows nothing he does not, so every
    bet she makes is worth nothing. With ``own`` checks she can know more: no closed form."""
    return judged_values(cell)[1][cell.depth] if cell.estimator == "shares" else None


@dataclass(frozen=True)
class Played:
    """One cell's debates under the estimator's best response."""

    honest: Bools
    root: Floats
    payoff: Floats
    shade: float


def simulate(cell: SweepCell, n: int, rng: np.random.Generator) -> Played:
    """Draw which provers are honest, play every shading in ``SHADES`` on the same random
    numbers, and keep the one that leaves honest provers the least (Bob's best response,
    found by play, not by the closed form)."""
    honest = rng.random(n) < 0.5
    base = int(rng.integers(2**63))
    outcomes = [play(cell, honest, s, np.random.default_rng(base)) for s in SHADES]
    means = [float(o.payoff[honest].mean()) if honest.any() else 0.0 for o in outcomes]
    best = min(range(len(SHADES)), key=lambda i: (means[i], i))
    return Played(honest, outcomes[best].root, outcomes[best].payoff, SHADES[best])
