"""The sparse-pixel judge as a ``debate.roles.Judge``: it sees the revealed pixels, nothing else.

It reads the (pixel, value) of every turn, runs the network once, and decides between the two
claims shown to it: a digit claim scores that digit's logit; "not d" (the liar without
precommit) scores the best other digit's. Its probabilities are the two-way softmax of the
scores, so a tie is a coin it does not flip (no decision, counted wrong).
"""

from __future__ import annotations

import math

from debate.domains.pixels import Claim, code
from debate.moves import PixelReveal
from debate.types import AgentInfo, JudgeView, Verdict
from judges.pixels.evaluator import PixelEvaluator


class SparsePixelJudge:
    def __init__(self, evaluator: PixelEvaluator) -> None:
        self.evaluator = evaluator

    def describe(self) -> AgentInfo:
        config = self.evaluator.judge.config
        return AgentInfo(
            kind="torch",
            name="sparse-pixel-judge",
            model=config.file_name(),
            settings=config.model_dump(mode="json"),
        )

    async def __call__(self, view: JudgeView) -> Verdict:
        reveals = [t.move(PixelReveal) for t in view.turns]
        revealed = frozenset(code(m.pixel, m.value) for m in reveals if m is not None)
        claims = [Claim.parse(answer) for answer in view.answers]
        logits = self.evaluator.logits([revealed])
        scores = [float(claim.score(logits)[0]) for claim in claims]
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        probabilities = [w / sum(weights) for w in weights]
        winners = [i for i, s in enumerate(scores) if s == top]
        return Verdict(
            probabilities=probabilities,
            choice=winners[0] if len(winners) == 1 else None,
            raw=f"logits {[round(float(x), 3) for x in logits[0]]} from {len(revealed)} pixels",
        )
