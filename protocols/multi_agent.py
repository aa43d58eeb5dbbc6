"""Multi-agent debate (Du et al. 2023): N agents answer the question independently, then in
each further round every agent reads the others' latest answers and answers again. The
final answer is the majority of the last round (the ``majority`` judge); any other judge
may read the exchange instead.

The agents hold no assigned answer: their seats are ``open``, and each turn states the
answer its agent holds (a ``Stance`` move), which the turn is recorded at. Each round is
simultaneous, so an agent sees the others' answers of earlier rounds only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from pydantic import Field

from debate.moves import Stance
from debate.protocol import MAX_ROUNDS, Protocol, Round, register
from debate.types import DebateSetup, Question, Seat, Turn

MAX_AGENTS = 32

FIRST = "Answer the question on your own: give your reasoning briefly, then your answer."
LATER = (
    "These are the other agents' latest answers and reasons. Using them as additional "
    "advice, give your updated reasoning briefly, then your answer."
)


@register
class MultiAgentDebate(Protocol):
    name = "multi-agent"

    agents: int = Field(default=3, ge=1, le=MAX_AGENTS, description="agents answering")
    rounds: int = Field(
        default=2,
        ge=1,
        le=MAX_ROUNDS,
        description="rounds of answers; the first is independent, each later one reads "
        "the others' answers",
    )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return [Seat(name=f"agent_{i + 1}", position=0, open=True) for i in range(self.agents)]

    def schedule(self) -> list[Round]:
        speakers = [f"agent_{i + 1}" for i in range(self.agents)]
        return [
            Round(
                kind="simultaneous",
                speakers=speakers,
                label="independent answer" if i == 0 else f"round {i + 1}",
                instruction=FIRST if i == 0 else LATER,
            )
            for i in range(self.rounds)
        ]

    def check_turn(self, setup: DebateSetup, turns: Sequence[Turn], turn: Turn) -> None:
        """Every agent's turn states an answer (the engine recorded it at that answer)."""
        turn.expect_move(Stance)
