"""The majority judge of multi-agent debate: no model, it counts the agents' last answers.

Its probabilities are the vote shares of the shown answers in each agent's latest stance,
so a tie between answers is a tie (scored 1/k under the one rule), not a coin it flips.
"""

from __future__ import annotations

from debate.moves import last_stances
from debate.types import AgentInfo, JudgeView, Verdict


class MajorityJudge:
    def __init__(self, name: str = "majority") -> None:
        self.name = name

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="majority", name=self.name)

    async def __call__(self, view: JudgeView) -> Verdict:
        stances = last_stances(view.turns)
        if not stances:
            raise ValueError(
                "the majority judge counts the agents' stated answers; this debate has none "
                "(use it with the multi-agent protocol)"
            )
        votes = [0] * len(view.answers)
        for position in stances.values():
            votes[position] += 1
        shares = [v / len(stances) for v in votes]
        return Verdict(probabilities=shares, raw=f"votes={votes}")
