"""Simulated agents of multi-agent debate whose error and persuadability are known, so the
majority's accuracy round by round has a closed form (``evals.multi_agent_theory``).

In the first round an agent is right with probability ``accuracy`` (else it holds one of
the wrong answers, uniformly). In each later round it reads the others' latest answers: if
it is wrong, it takes the correct answer with probability ``truth_pull`` times the share of
the others who hold it (a right argument convinces); if it is right, it takes the
commonest wrong answer among the others with probability ``error_pull`` times the share
of the others who are wrong. Draws are seeded per debate, agent and round.

The majority's accuracy round by round then has a closed form for two shown answers
(``majority_accuracy``): the agents are exchangeable and only the number ``c`` of right ones
matters. It starts Binomial(N, accuracy); in each later round every wrong agent turns right
with probability ``truth_pull * c / (N - 1)`` and every right one turns wrong with
probability ``error_pull * (N - c) / (N - 1)``, independently, so the next count's law is a
convolution of two binomials. The majority is right when ``c > N / 2``; at ``c = N / 2`` it
is a tie, which the one scoring rule counts 1/2. Round 1 is Condorcet's jury theorem.
"""

from __future__ import annotations

from collections import Counter
from math import comb

from debate.moves import Stance, last_stances
from debate.seeds import rng_for
from debate.types import AgentInfo, DebaterView, Speech


class SimulatedAgent:
    def __init__(
        self,
        accuracy: float,
        truth_pull: float = 0.5,
        error_pull: float = 0.1,
        name: str = "agent-sim",
    ) -> None:
        for label, value in (
            ("accuracy", accuracy),
            ("truth_pull", truth_pull),
            ("error_pull", error_pull),
        ):
            if not 0 <= value <= 1:
                raise ValueError(f"{label} must lie in [0, 1], not {value}")
        self.accuracy = accuracy
        self.truth_pull = truth_pull
        self.error_pull = error_pull
        self.name = name

    def describe(self) -> AgentInfo:
        settings = {
            "accuracy": self.accuracy,
            "truth_pull": self.truth_pull,
            "error_pull": self.error_pull,
        }
        return AgentInfo(kind="simulated", name=self.name, settings=settings)

    async def __call__(self, view: DebaterView) -> Speech:
        setup = view.setup
        correct = setup.correct_position
        wrong = [p for p in range(len(setup.shown)) if p != correct]
        rng = rng_for(setup.seed, "agent", view.seat.name, view.round)
        stances = last_stances(view.turns)
        mine = stances.pop(view.seat.name, None)
        if mine is None:  # the independent first answer
            mine = correct if rng.random() < self.accuracy or not wrong else rng.choice(wrong)
        elif stances:
            right = sum(p == correct for p in stances.values()) / len(stances)
            if mine != correct and rng.random() < self.truth_pull * right:
                mine = correct
            elif mine == correct and rng.random() < self.error_pull * (1 - right):
                counts = Counter(p for p in stances.values() if p != correct)
                mine = max(sorted(counts), key=counts.__getitem__)
        answer = setup.answer_text(mine)
        return Speech(text=f"My answer: {answer}.", data=Stance(position=mine).to_data())


def _binomial(n: int, p: float) -> list[float]:
    return [comb(n, k) * p**k * (1 - p) ** (n - k) for k in range(n + 1)]


def _step(law: list[float], truth_pull: float, error_pull: float) -> list[float]:
    n = len(law) - 1
    after = [0.0] * (n + 1)
    for c, weight in enumerate(law):
        if weight == 0.0:
            continue
        gain = _binomial(n - c, truth_pull * c / (n - 1))  # wrong agents turning right
        loss = _binomial(c, error_pull * (n - c) / (n - 1))  # right agents turning wrong
        for up, p_up in enumerate(gain):
            for down, p_down in enumerate(loss):
                after[c + up - down] += weight * p_up * p_down
    return after


def majority_accuracy(
    agents: int, accuracy: float, truth_pull: float, error_pull: float, rounds: int
) -> list[float]:
    """The majority's expected score after each of ``rounds`` rounds (two answers)."""
    law = _binomial(agents, accuracy)
    found = []
    for r in range(rounds):
        if r > 0 and agents > 1:
            law = _step(law, truth_pull, error_pull)
        found.append(sum(w * _score(c, agents) for c, w in enumerate(law)))
    return found


def _score(right: int, agents: int) -> float:
    if 2 * right > agents:
        return 1.0
    return 0.5 if 2 * right == agents else 0.0
