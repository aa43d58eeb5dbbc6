"""Vectorised simulation of one sweep cell: ``n`` tree-sum debates at once with numpy.

The rules are those of docs/recursive-debate.md, played for every debate in parallel: arrays
hold one entry per debate and the only Python loops run over the ``d`` levels (and the ``b``
children of a node), never over debates. The engine plays the same game one debate at a time;
this is the fast path that makes a whole judge-error x depth grid take seconds.

Two sampling shortcuts are exact in distribution, and keep time and memory independent of the
``b**d`` leaves:

- Systematic blind spots: each leaf is blind independently with probability ``rate``. Only the
  blind-or-not flags of the subtrees along the played path matter, so they are drawn top-down:
  a node's children's "subtree holds a blind leaf" flags are independent given nothing, and
  are drawn conditioned on their parent's flag (at least one child blind iff the parent is).
- Naive judge: it reads ``k = min(judge_budget, N)`` *distinct* leaves (as the engine's judge
  does). Leaves are i.i.d., so those k are i.i.d. draws and so are the other ``N - k``: the
  total is the sampled sum plus the sum of ``N - k`` fresh draws.

Ties (the naive judge's estimate exactly halfway between the answers) are counted apart and
score 1/2, as ``debate.types.Verdict.score`` scores the engine judge's 50/50 verdict: the
expected score of its fair pick, without the coin's noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from evals.sweep.cells import SweepCell

if TYPE_CHECKING:
    from numpy.typing import NDArray

    Bools = NDArray[np.bool_]
    Ints = NDArray[np.int64]

_CHUNK = 1 << 22
"""Most leaf values drawn at once by the naive judge (bounds memory for huge trees)."""


@dataclass(frozen=True)
class SimResult:
    """Counts from one simulated cell (all debates count; nothing is dropped)."""

    n: int
    correct: int
    """Verdicts for the correct answer, ties not included."""
    claimant_honest: int
    """Debates whose claimant defended the correct answer (0 for naive: no claimant)."""
    correct_honest: int
    """Correct verdicts among those debates; ``correct - correct_honest`` are the liars'."""
    ended_early: int
    """recursive-every-level: debates ended by a wrong level check."""
    overridden: int
    """Verdicts decided by a verdict-scope bias (position or persuasion) instead of the game."""
    ties: int = 0
    """Verdicts at exactly 50/50 (naive: the estimate halfway between); each scores 1/2."""
    judge_queries: int = 0
    """Oracle queries the judges made in all (stochastic-oracle cells: ``queries`` per
    check); 0 where the judge asks no oracle."""
    payoff_honest: float = 0.0
    """Prover-estimator debate: honest provers' rewards, summed (0 elsewhere)."""
    payoff_liar: float = 0.0
    """Prover-estimator debate: lying provers' rewards, summed."""
    shade: float = 0.0
    """Prover-estimator debate: the estimator's best-response cut of honest claims."""

    @property
    def score(self) -> float:
        """Summed score: a correct verdict 1, a tie 1/2."""
        return self.correct + self.ties / 2

    @property
    def accuracy(self) -> float:
        return self.score / self.n if self.n else float("nan")


def simulate_cell(cell: SweepCell, n: int, seed: int) -> SimResult:
    """Play ``n`` debates of ``cell``; deterministic given ``seed``."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    rng = np.random.default_rng(seed)
    if cell.protocol == "prover-estimator":
        return _prover_estimator(cell, n, rng)
    early = np.zeros(n, dtype=bool)
    oracle = cell.queries > 1
    if cell.protocol == "naive":
        honest = np.zeros(n, dtype=bool)
        right, tie = _naive(cell, n, rng)
        asked = int((~tie).sum()) * cell.queries if oracle else 0  # a tie checks nothing
    else:
        honest = rng.random(n) < 0.5
        right, early, checks = _tree_game(cell, honest, rng)
        tie = np.zeros(n, dtype=bool)
        asked = int(checks.sum()) * cell.queries if oracle else 0
    correct, overridden = _verdict_bias(cell, right, honest, rng)
    # A tie stays a tie whatever the error models do (they swap equal probabilities).
    correct &= ~tie
    return SimResult(
        n=n,
        correct=int(correct.sum()),
        claimant_honest=int(honest.sum()),
        correct_honest=int((correct & honest).sum()),
        ended_early=int(early.sum()),
        overridden=int((overridden & ~tie).sum()),
        ties=int(tie.sum()),
        judge_queries=asked,
    )


def _prover_estimator(cell: SweepCell, n: int, rng: np.random.Generator) -> SimResult:
    """The verdict is the estimator's root estimate of the prover's answer (a tie at 1/2)."""
    from evals.sweep.prover_estimator import simulate

    played = simulate(cell, n, rng)
    honest = played.honest
    tie = played.root == 0.5
    correct = ~tie & ((played.root > 0.5) == honest)
    return SimResult(
        n=n,
        correct=int(correct.sum()),
        claimant_honest=int(honest.sum()),
        correct_honest=int((correct & honest).sum()),
        ended_early=0,
        overridden=0,
        ties=int(tie.sum()),
        judge_queries=n * cell.queries if cell.queries > 1 else 0,  # one leaf check each
        payoff_honest=float(played.payoff[honest].sum()),
        payoff_liar=float(played.payoff[~honest].sum()),
        shade=played.shade,
    )


def _tree_game(
    cell: SweepCell, honest: Bools, rng: np.random.Generator
) -> tuple[Bools, Bools, Ints]:
    """recursive / recursive-every-level / consultancy: (unbiased verdict correct, ended
    early, checks the judge made).

    ``claim_true`` is whether the disputed claim is true; it starts as "the claimant is honest"
    and a false claim becomes true only when the challenger misses the flawed child.
    """
    n, b, d, eps = honest.size, cell.branching, cell.depth, cell.check_error
    rows = np.arange(n)
    claim_true = honest.copy()
    rate = cell.epsilon if cell.error_model == "systematic" else 0.0
    # Does the disputed node's subtree hold a blind leaf? (root: any of the N leaves)
    blind = rng.random(n) < _p_any(cell.leaves, rate) if rate > 0 else np.zeros(n, dtype=bool)
    level_checks = cell.protocol == "recursive-every-level" and cell.error_model == "random"
    ended = np.zeros(n, dtype=bool)
    checks = np.zeros(n, dtype=np.int64)
    claimant_wins = np.zeros(n, dtype=bool)
    p_find = cell.find_chance
    for level in range(d):
        if level_checks:
            # A wrong level check ends the debate against the side right at this level.
            checks += ~ended
            wrong = ~ended & (rng.random(n) < eps)
            claimant_wins[wrong] = ~claim_true[wrong]
            ended |= wrong
        kids_blind = _children_blind(blind, b, b ** (d - level - 1), rate, rng)
        # One steering draw serves whichever debater lies here: the claimant's flawed child
        # when the claim is false, the lying challenger's pick when it is true.
        steer = _steer(kids_blind, cell.aware, rng)
        if cell.protocol == "consultancy":
            pick = rng.integers(b, size=n)  # the judge challenges at random
        else:
            # Honest challenger: finds a flaw w.p. p (``SweepCell.find_chance``: s random
            # children examined, else a random unexamined one); a miss is uniform over the
            # others. ``steer`` stands for the false child found (any will do: they are
            # alike), so one index serves every aggregation.
            found = rng.random(n) < p_find
            other = (steer + 1 + rng.integers(b - 1, size=n)) % b
            pick = np.where(claim_true | found, steer, other)
        claim_true = claim_true | (pick != steer)
        blind = kids_blind[rows, pick]
    # The leaf check: random errs w.p. eps; systematic on a blind leaf (``blind`` is all
    # False for the verdict-scope models, which leave checks alone).
    inverted = rng.random(n) < eps if cell.error_model == "random" else blind
    claimant_wins = np.where(ended, claimant_wins, claim_true ^ inverted)
    checks += ~ended  # the leaf, unless a level check ended the debate
    return claimant_wins == honest, ended, checks


def _p_any(leaves: int, rate: float) -> float:
    """P(a block of ``leaves`` leaves holds a blind one) = 1 - (1-rate)**leaves, stably."""
    return float(-np.expm1(leaves * np.log1p(-rate))) if rate < 1 else 1.0


def _children_blind(
    parent: Bools, b: int, size: int, rate: float, rng: np.random.Generator
) -> Bools:
    """Blind flags of the ``b`` child subtrees (``size`` leaves each) given the parent's flag.

    Drawn child by child: once a blind child is found the rest are free (prob ``pi``); before
    that, child ``j`` is blind w.p. ``pi / P(some of children j..b-1 blind)``, so at least one
    is blind exactly when the parent is.
    """
    n = parent.size
    out = np.zeros((n, b), dtype=bool)
    if rate <= 0:
        return out
    pi = _p_any(size, rate)
    found = np.zeros(n, dtype=bool)
    u = rng.random((n, b))
    for j in range(b):
        first = pi / _p_any(b - j, pi) if pi < 1 else 1.0
        out[:, j] = u[:, j] < np.where(found, pi, np.where(parent, first, 0.0))
        found |= out[:, j]
    return out


def _steer(kids_blind: Bools, aware: bool, rng: np.random.Generator) -> Ints:
    """A child chosen uniformly, among blind subtrees when aware and there are any."""
    n, b = kids_blind.shape
    keys = rng.random((n, b))
    if aware:
        prefer = kids_blind | ~kids_blind.any(axis=1, keepdims=True)
        keys = np.where(prefer, keys, -1.0)
    steer: Ints = keys.argmax(axis=1)
    return steer


def _naive(cell: SweepCell, n: int, rng: np.random.Generator) -> tuple[Bools, Bools]:
    """The no-debate judge: estimate N * mean(k distinct leaves), pick the closer answer.

    Returns (verdict correct, tie); where tied, the first is meaningless (a tie scores 1/2).
    """
    big_n = cell.leaves
    k = min(cell.judge_budget, big_n)
    sampled = _leaf_sums(rng, n, k)
    total = sampled + _leaf_sums(rng, n, big_n - k)
    delta = rng.integers(1, 10, size=n) * np.where(rng.random(n) < 0.5, -1, 1)
    # Distances times k, in integers: |N*S - k*T| vs |N*S - k*(T + delta)|.
    estimate = big_n * sampled
    to_true = np.abs(estimate - k * total)
    to_wrong = np.abs(estimate - k * (total + delta))
    tie = to_true == to_wrong
    right = to_true < to_wrong
    # One check: random inverts it w.p. eps; systematic when the whole item is blind.
    if cell.error_model in ("random", "systematic"):
        right = right ^ (rng.random(n) < cell.check_error)
    return right, tie


def _leaf_table() -> Ints:
    """Value of every (kind, x, y) leaf, all equally likely: drawing one index draws a leaf."""
    x, y = np.meshgrid(np.arange(1, 100), np.arange(1, 100), indexing="ij")
    kinds = [x + y, x - y, x * y, x % y]  # add, sub, mul, mod, as in debate.domains.treesum
    return np.concatenate([v.ravel() for v in kinds]).astype(np.int64)


_LEAVES = _leaf_table()


def _leaf_sums(rng: np.random.Generator, n: int, count: int) -> Ints:
    """Per debate, the sum of ``count`` fresh leaf values (kinds and operands uniform)."""
    total = np.zeros(n, dtype=np.int64)
    step = max(1, _CHUNK // n)
    for start in range(0, count, step):
        index = rng.integers(_LEAVES.size, size=(n, min(step, count - start)))
        total += _LEAVES[index].sum(axis=1)
    return total


def _verdict_bias(
    cell: SweepCell, right: Bools, honest: Bools, rng: np.random.Generator
) -> tuple[Bools, Bools]:
    """Apply a verdict-scope model once: (final verdict correct, verdict overridden)."""
    n = right.size
    if cell.error_model == "position":
        overridden = rng.random(n) < cell.epsilon
        correct_first = rng.random(n) < 0.5  # where the correct answer is listed
        return np.where(overridden, correct_first, right), overridden
    if cell.error_model == "persuasion" and cell.protocol != "naive":
        overridden = rng.random(n) < cell.epsilon
        # Last speaker: the challenger in recursive debates (honest iff the claimant lies);
        # the consultant in consultancy (the judge's challenges are not speeches).
        last_honest = honest if cell.protocol == "consultancy" else ~honest
        return np.where(overridden, last_honest, right), overridden
    return right, np.zeros(n, dtype=bool)
