"""A simulated judge for known-truth domains, with a configurable error model.

Its honest belief comes from a domain scorer (evidence per answer); it commits to the
best-scoring answer (a coin flip on ties: a judge must decide), then its error models act.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from debate.domains.evidence import evidence_scores
from debate.seeds import rng_for
from debate.types import AgentInfo, JudgeView, Verdict
from judges.errors import Decision, ErrorModel, apply_errors

Scorer = Callable[[JudgeView], list[float]]


class SimulatedJudge:
    """``weight`` sets how sharply scores turn into probabilities (softmax temperature)."""

    def __init__(
        self,
        errors: Sequence[ErrorModel] = (),
        *,
        weight: float = 1.0,
        scorer: Scorer = evidence_scores,
        name: str = "simulated",
    ) -> None:
        self.errors = list(errors)
        self.weight = weight
        self.scorer = scorer
        self.name = name

    def describe(self) -> AgentInfo:
        return AgentInfo(
            kind="simulated",
            name=self.name,
            settings={"weight": self.weight, "errors": [e.model_dump() for e in self.errors]},
        )

    async def __call__(self, view: JudgeView) -> Verdict:
        rng = rng_for(view.seed, "judge", view.debate_id)
        scores = self.scorer(view)
        top = max(scores)
        exps = [math.exp(self.weight * (s - top)) for s in scores]
        probs = [e / sum(exps) for e in exps]
        best = [p for p, s in enumerate(scores) if s == top]
        decision = Decision(probabilities=probs, choice=rng.choice(best))
        decision = apply_errors(self.errors, "check", decision, view, rng)
        decision = apply_errors(self.errors, "verdict", decision, view, rng)
        return Verdict(
            probabilities=decision.probabilities,
            choice=decision.choice,
            raw=f"scores={scores}",
        )
