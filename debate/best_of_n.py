"""Best-of-N debater: sample N candidate speeches, keep the one a judge prefers.

Each candidate is shown to a preference judge as if it were the next turn (quotes checked
and marked as the real judge would see them); its score is the probability that judge then
gives the candidate's own answer (Khan et al. 2024). All candidates, their scores and the
preference verdicts are recorded as a ``debate.moves.BestOfN`` record in the speech's data
(``turn.move(BestOfN)`` reads it back); the usage of every
candidate and every preference call is charged to the turn. Candidates differ only by seed,
so sample at a temperature above 0.
"""

from __future__ import annotations

import asyncio
import time

from debate.debaters import ModelDebater
from debate.moves import BestOfN, Candidate
from debate.quotes import EvidencePolicy, find_quotes
from debate.roles import Judge
from debate.seeds import derive_seed
from debate.types import AgentInfo, DebaterView, JudgeView, Speech, Turn, Usage


class BestOfNDebater:
    """Implements ``Debater``: ``n`` speeches from ``base``, ranked by ``preference``."""

    def __init__(
        self,
        base: ModelDebater,
        n: int,
        preference: Judge,
        evidence: EvidencePolicy | None = None,
    ) -> None:
        if n < 1:
            raise ValueError("best-of-N needs n >= 1")
        self.base = base
        self.n = n
        self.preference = preference
        self.evidence = evidence or EvidencePolicy()

    def describe(self) -> AgentInfo:
        info = self.base.describe()
        settings = {**info.settings, "best_of": self.n, "preference": self.preference.describe()}
        return info.model_copy(update={"kind": "best-of-n", "settings": settings})

    def preference_view(self, view: DebaterView, text: str, index: int) -> JudgeView:
        """The judge's view with ``text`` as the next turn (what the real judge would see)."""
        setup, question = view.setup, view.setup.question
        turn = Turn(
            index=len(view.turns),
            round=view.round,
            speaker=view.seat.name,
            position=view.seat.position,
            text=text,
            quotes=find_quotes(text, question.context, self.evidence) if question.context else [],
            started_at=time.time(),
            duration_s=0.0,
        )
        return JudgeView(
            debate_id=f"{view.debate_id}/best-of-{self.n}/{view.seat.name}/{view.round}/{index}",
            protocol=view.protocol,
            question=question.text,
            answers=[setup.answer_text(p) for p in range(len(setup.shown))],
            turns=[*view.turns, turn],
            seed=setup.seed,
            question_id=question.id,
            public_data=question.public_data,
        )

    async def __call__(self, view: DebaterView) -> Speech:
        seeds = [
            derive_seed(view.setup.seed, view.debate_id, view.seat.name, view.round, "bon", i)
            for i in range(self.n)
        ]
        candidates = await asyncio.gather(*(self.base.speak(view, seed) for seed in seeds))
        verdicts = await asyncio.gather(
            *(
                self.preference(self.preference_view(view, c.text, i))
                for i, c in enumerate(candidates)
            )
        )
        # An unparsed preference verdict ranks its candidate below every scored one.
        scores = [v.probabilities[view.seat.position] if v.parsed else -1.0 for v in verdicts]
        best = max(range(self.n), key=lambda i: (scores[i], -i))
        usage = sum((c.usage + v.usage for c, v in zip(candidates, verdicts, strict=True)), Usage())
        record = BestOfN(
            chosen=best,
            candidates=[
                Candidate(
                    text=c.text,
                    seed=seed,
                    score=score,
                    preference_raw=v.raw,
                    preference_parsed=v.parsed,
                    usage=c.usage + v.usage,
                )
                for c, v, seed, score in zip(candidates, verdicts, seeds, scores, strict=True)
            ],
        )
        chosen = candidates[best]
        return Speech(text=chosen.text, usage=usage, data=record.to_data(), request=chosen.request)
