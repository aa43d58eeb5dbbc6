"""A simulated judge for known-truth domains, with a configurable error model.

Its honest belief comes from a domain scorer (evidence per answer); it commits to the
best-scoring answer (a coin flip on ties: a judge must decide), then its error models act.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from debate.domains.evidence import evidence_scores, facts_of
from debate.errors import ConfigError
from debate.seeds import rng_for
from debate.types import AgentInfo, JudgeView, Question, Verdict
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

    def check_question(self, question: Question) -> None:
        """With the evidence scorer it weighs cited facts: a question with none to cite
        would make every verdict a tie, which is a mistake of configuration, not a result."""
        if self.scorer is evidence_scores and not facts_of(question):
            raise ConfigError(
                f"the simulated judge weighs evidence-domain facts; question {question.id!r} "
                "has none (use a model judge, kind = 'model')"
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
