"""How the tree-sum judge scores prover-estimator debate (protocols/prover_estimator.py).

The verdict is the estimator's root estimate of the prover's answer: the protocol's output,
which its rewards exist to keep honest. The rewards, zero-sum, are the prover's:

- the root's stake: the root estimate itself;
- level ``i``: ``lambda**(i+1) * bet * (bit - estimate)``, where ``bit`` is a trusted random
  bit drawn with the estimator's ``holds`` (the human's judgement of the claim from its
  sub-claims' sampled values) and ``estimate`` the estimator's estimate of the claim the
  bet was on;
- the leaf: ``lambda**(depth+1) * bet * (check - estimate)``, ``check`` the judge's own
  (possibly wrong) check of the leaf the prover recursed to.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from debate.moves import Bet, Challenge, Decomposition, Estimates, MoveError
from debate.types import JudgeView
from judges.errors import Decision

if TYPE_CHECKING:
    from judges.treesum import TreeSumJudge


def is_prover_estimator(view: JudgeView) -> bool:
    return any(t.has_move(Estimates) for t in view.turns)


def score(
    judge: TreeSumJudge, view: JudgeView, rng: random.Random
) -> tuple[Decision, dict[str, float], int]:
    """The verdict, the seats' rewards, and the oracle queries of the leaf check."""
    lam = float(view.protocol_settings.get("reward_growth", 4.0))
    prover = next(t.position for t in view.turns if t.has_move(Decomposition))
    assert prover is not None
    estimator = 1 - prover
    root: float | None = None
    estimate, reward, level = 0.0, 0.0, 0
    bet: int | None = None
    split: Estimates | None = None
    for turn in view.turns:
        if turn.speaker == "estimator":
            move = turn.expect_move(Estimates)
            if root is None:
                root = estimate = reward = move.estimates[0]
            else:
                split = move
        elif turn.has_move(Challenge):
            if bet is None or split is None or split.holds is None:
                raise MoveError(f"turn {turn.index} picks a sub-claim before a bet and estimates")
            held = rng.random() < split.holds  # the trusted bit
            reward += lam ** (level + 1) * bet * (held - estimate)
            estimate = split.estimates[turn.expect_move(Challenge).index]
            level, bet, split = level + 1, None, None
        elif turn.has_move(Bet):
            bet = turn.expect_move(Bet).bet
    if root is None or bet is None:
        raise MoveError("a prover-estimator debate ended without a root estimate or leaf bet")
    check, asked = judge.check_leaf(view, prover, rng)
    reward += lam ** (level + 1) * bet * ((check.choice == prover) - estimate)
    probs = [0.0, 0.0]
    probs[prover], probs[estimator] = root, 1 - root
    choice = prover if root > 0.5 else estimator if root < 0.5 else rng.choice([0, 1])
    decision = Decision(probabilities=probs, choice=choice, target="root", kind="root")
    return decision, {"prover": reward, "estimator": -reward}, asked
