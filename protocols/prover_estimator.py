"""Prover-estimator debate (Brown-Cohen, Irving, Piliouras 2025; docs/prover-estimator.md).

Recursive debate whose opponent no longer has to find the flaw: the prover claims an answer
and splits each claim into ``branching`` sub-claims, ``depth`` times; the estimator states
probabilities instead of a challenge. Rounds:

1. ``root``: the estimator's probability that the prover's answer holds (the verdict's).
2. Per level, ``level i``: the prover bets a sign on the estimator's estimate of the claim
   under dispute (+1 too low, -1 too high, 0 right) and splits it; the estimator then gives
   each sub-claim a probability and says how likely the sub-claims, judged, hold the claim.
   ``pick i``: the prover picks the sub-claim to recurse on.
3. ``leaf``: the prover bets on the estimate of the leaf, which the judge then checks.

The judge scores it (``judges/prover_estimator.py``): level ``i``'s bet wins ``lambda**(i+1)``
times (trusted bit - estimate), the bit drawn from the estimator's ``holds``; the leaf's wins
``lambda**(depth+1)`` times (judge's check - estimate); the root's stake is the estimate
itself. Tree-sum claims are sums, so the protocol refuses a ``holds`` no joint law of the
sub-claims could give (outside the Frechet bounds of the estimates).
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Any

from pydantic import Field

from debate.moves import Bet, Challenge, Decomposition, Estimates
from debate.protocol import Round, register
from debate.types import DebateSetup, Question, Seat, Turn
from protocols.recursive import RecursiveDebate

__all__ = ["ProverEstimatorDebate"]

SLACK = 1e-9
"""Rounding a consistent estimator's ``holds`` may show against its bounds."""


@register
class ProverEstimatorDebate(RecursiveDebate):
    name = "prover-estimator"

    reward_growth: float = Field(
        default=4.0, ge=1, le=1000, description="each level's stake over the last's (lambda)"
    )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        self.check_question(question)
        prover = Seat(name="prover", position=rng.randrange(len(shown)))
        return [prover, Seat(name="estimator", position=1 - prover.position)]

    def schedule(self) -> list[Round]:
        rounds = [Round(kind="sequential", speakers=["estimator"], label="root")]
        for i in range(self.depth):
            rounds.append(
                Round(kind="sequential", speakers=["prover", "estimator"], label=f"level {i}")
            )
            rounds.append(Round(kind="sequential", speakers=["prover"], label=f"pick {i}"))
        rounds.append(Round(kind="sequential", speakers=["prover"], label="leaf"))
        return rounds

    def check_turn(self, setup: DebateSetup, turns: Sequence[Turn], turn: Turn) -> None:
        """Round 0 is the root estimate; then each level's split and estimates, and pick;
        the last round is the leaf bet. Each turn must carry exactly its round's moves."""
        label = self.cached_schedule()[turn.round].label
        if turn.speaker == "estimator":
            estimates = turn.expect_move(Estimates)
            want = 1 if label == "root" else self.branching
            if len(estimates.estimates) != want:
                raise ValueError(
                    f"the estimator gave {len(estimates.estimates)} estimates in round "
                    f"{label!r}, not {want}"
                )
            if label != "root":
                _check_holds(estimates)
        elif label.startswith("level"):
            turn.expect_move(Bet)
            claims = turn.expect_move(Decomposition).claims
            if len(claims) != self.branching:
                raise ValueError(
                    f"the prover split into {len(claims)} sub-claims, not {self.branching}"
                )
        elif label.startswith("pick"):
            if turn.expect_move(Challenge).index >= self.branching:
                raise ValueError(f"the prover picked a sub-claim beyond {self.branching}")
        else:
            turn.expect_move(Bet)

    def settings(self) -> dict[str, Any]:
        return {**super().settings(), "reward_growth": self.reward_growth}


def _check_holds(estimates: Estimates) -> None:
    """``holds`` must be possible for sub-claims with these estimates: a sum holds when all
    its parts do, whose chance lies between max(0, sum - (b - 1)) and the least estimate."""
    if estimates.holds is None:
        raise ValueError("the estimator did not say how likely the sub-claims hold the claim")
    values = estimates.estimates
    low, high = max(0.0, sum(values) - (len(values) - 1)), min(values)
    if not low - SLACK <= estimates.holds <= high + SLACK:
        raise ValueError(
            f"the estimator says the sub-claims hold the claim w.p. {estimates.holds:.6g}, "
            f"which no sub-claims with estimates {[round(v, 6) for v in values]} can "
            f"(between {low:.6g} and {high:.6g})"
        )
