"""The simulated judge of tree-sum claims: checks one leaf (or every level), with errors.

It follows docs/recursive-debate.md: after a recursive debate it evaluates the one disputed
leaf; under ``judge_every_level`` it also assesses each level; with no debate (the naive
protocol) it reads ``budget`` distinct leaves and estimates the total. In recursive
consultancy it also challenges (``ask``, in the protocol's judge_question rounds): it cannot
search, so it disputes a random sub-claim.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from debate.domains.treesum import Tree, challenge_speech, disputed, leaf_value
from debate.moves import Decomposition, MoveError
from debate.seeds import rng_for
from debate.types import AgentInfo, JudgeView, Question, Speech, Turn, Verdict
from judges.errors import Decision, ErrorModel, apply_errors


class TreeSumJudge:
    def __init__(
        self, errors: Sequence[ErrorModel] = (), *, budget: int = 1, confidence: float = 0.9
    ) -> None:
        if budget < 1:
            raise ValueError("the judge's budget must be at least one leaf")
        self.errors = list(errors)
        self.budget = budget
        self.confidence = confidence

    def describe(self) -> AgentInfo:
        return AgentInfo(
            kind="simulated",
            name="treesum-judge",
            settings={"budget": self.budget, "errors": [e.model_dump() for e in self.errors]},
        )

    def _decision(self, choice: int, target: str, kind: str) -> Decision:
        probs = [1 - self.confidence, 1 - self.confidence]
        probs[choice] = self.confidence
        return Decision(probabilities=probs, choice=choice, target=target, kind=kind)

    async def ask(self, view: JudgeView) -> Speech:
        """Challenge a random sub-claim of the decomposition just made. The draw is seeded
        as the challenger seat's was when a debater played the judge's challenges from a
        seat, so sweep debates recorded then replay exactly."""
        last = view.turns[-1].move(Decomposition) if view.turns else None
        if last is None:
            raise MoveError("the tree-sum judge challenges a decomposition; none came just before")
        lo, hi = last.node
        size = (hi - lo) // len(last.claims)
        kids = [(lo + j * size, lo + (j + 1) * size) for j in range(len(last.claims))]
        level = sum(1 for t in view.turns if t.has_move(Decomposition)) - 1
        rng = rng_for(view.seed, "treesum", "challenger", level)
        return challenge_speech(kids, last.claims, rng.randrange(len(kids)), None)

    async def __call__(self, view: JudgeView) -> Verdict:
        rng = rng_for(view.seed, "judge", view.debate_id)
        debated = any(t.has_move(Decomposition) for t in view.turns)
        decision = self._debated(view, rng) if debated else self._naive(view, rng)
        decision = apply_errors(self.errors, "verdict", decision, view, rng)
        return Verdict(
            probabilities=decision.probabilities, choice=decision.choice, raw=decision.target
        )

    def _naive(self, view: JudgeView, rng: random.Random) -> Decision:
        """Read ``budget`` distinct leaves (all of them if the budget covers the tree) and pick
        the answer closer to ``N * mean``: re-reading a leaf would tell the judge nothing."""
        leaves = view.public_data["leaves"]
        picked = rng.sample(range(len(leaves)), min(self.budget, len(leaves)))
        sampled = sum(
            leaf_value(str(k), int(x), int(y)) for k, x, y in map(leaves.__getitem__, picked)
        )
        # k * |N*S/k - answer| in integers: exact, so an estimate halfway between is a tie.
        gaps = [abs(len(leaves) * sampled - len(picked) * int(a)) for a in view.answers]
        best = [p for p, gap in enumerate(gaps) if gap == min(gaps)]
        if len(best) > 1:
            # Truly indifferent, so it says so: a tie scores 1/2 under ``Verdict.score``
            # whatever it commits to (a fair coin), and with two answers no error model can
            # make it decisive (``commit`` and ``invert`` swap equal probabilities).
            probs = [1 / len(best) if p in best else 0.0 for p in range(len(gaps))]
            decision = Decision(probabilities=probs, choice=rng.choice(best), target="item")
        else:
            decision = self._decision(best[0], "item", "item")
        return apply_errors(self.errors, "check", decision, view, rng)

    def _debated(self, view: JudgeView, rng: random.Random) -> Decision:
        question = Question(
            id=view.question_id,
            text=view.question,
            options=view.answers,
            correct_index=0,
            public_data=view.public_data,
        )
        tree = Tree(question)
        claimant = next(t.position for t in view.turns if t.has_move(Decomposition))
        assert claimant is not None
        challenger = 1 - claimant
        root_value = int(view.answers[claimant])
        if view.protocol_settings.get("judge_every_level"):
            replayed: list[Turn] = []
            for turn in view.turns:
                if turn.has_move(Decomposition):
                    lo, hi, value = disputed(question, replayed, root_value)
                    right = claimant if value == tree.block_sum(lo, hi) else challenger
                    level = self._decision(right, f"level:{turn.round}", "level")
                    checked = apply_errors(self.errors, "check", level, view, rng)
                    if checked.choice != right:
                        return checked  # a wrong assessment ends the debate here
                replayed.append(turn)
        lo, hi, value = disputed(question, view.turns, root_value)
        if hi - lo != 1:
            raise ValueError(f"the debate ended on [{lo}, {hi}), not on a single leaf")
        ok = value == tree.block_sum(lo, hi)
        leaf = self._decision(claimant if ok else challenger, f"leaf:{lo}", tree.leaf_kind(lo))
        return apply_errors(self.errors, "check", leaf, view, rng)
