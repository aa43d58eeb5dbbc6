"""The simulated judge of tree-sum claims: checks one leaf (or every level), with errors.

It follows docs/recursive-debate.md: after a recursive debate it evaluates the one disputed
leaf; under ``judge_every_level`` it also assesses each level; with no debate (the naive
protocol) it reads ``budget`` distinct leaves and estimates the total. In recursive
consultancy it also challenges (``ask``, in the protocol's judge_question rounds): it cannot
search, so it disputes a random sub-claim.

**Stochastic oracle** (Brown-Cohen, Irving, Piliouras 2023): with ``oracle_error`` v > 0,
each check of a claim (a leaf, or a level) is made by asking an oracle ``queries`` times;
each answer is right with probability 1 - v, independently, and the judge takes the
majority (a tie: a fair coin). ``Verdict.oracle_queries`` counts the queries, the judge's
cost. A check is then wrong with probability ``oracle_check_error(v, queries)``, which the
existing error models act on as before. The naive judge's one check (which answer its
estimate is closer to) is asked of the oracle too; its leaf reads are arithmetic, not
queries.

**Prover-estimator debate** is scored by ``judges.prover_estimator``: the verdict is the
estimator's root estimate, and the judge's one check of the final leaf settles the rewards.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from debate.domains.treesum import Tree, challenge_speech, disputed, leaf_value
from debate.moves import Decomposition, MoveError
from debate.seeds import rng_for
from debate.types import AgentInfo, JudgeView, Question, Speech, Turn, Verdict
from judges import prover_estimator
from judges.errors import Decision, ErrorModel, apply_errors


class TreeSumJudge:
    def __init__(
        self,
        errors: Sequence[ErrorModel] = (),
        *,
        budget: int = 1,
        confidence: float = 0.9,
        oracle_error: float = 0.0,
        queries: int = 1,
    ) -> None:
        if budget < 1:
            raise ValueError("the judge's budget must be at least one leaf")
        if not 0 <= oracle_error <= 1 or queries < 1:
            raise ValueError("oracle_error must lie in [0, 1] and queries be at least 1")
        self.errors = list(errors)
        self.budget = budget
        self.confidence = confidence
        self.oracle_error = oracle_error
        self.queries = queries

    def describe(self) -> AgentInfo:
        settings: dict[str, object] = {
            "budget": self.budget,
            "errors": [e.model_dump() for e in self.errors],
        }
        if self.oracle_error:
            settings |= {"oracle_error": self.oracle_error, "queries": self.queries}
        return AgentInfo(kind="simulated", name="treesum-judge", settings=settings)

    def _decision(self, choice: int, target: str, kind: str) -> Decision:
        probs = [1 - self.confidence, 1 - self.confidence]
        probs[choice] = self.confidence
        return Decision(probabilities=probs, choice=choice, target=target, kind=kind)

    def check(
        self, right: int, target: str, kind: str, view: JudgeView, rng: random.Random
    ) -> tuple[Decision, int]:
        """A check whose right answer is ``right``: asked of the oracle (``queries`` answers,
        majority) when the judge has one, then open to the error models. Returns it and the
        queries made (two answers: tree-sum claims are two-sided)."""
        choice, asked = right, 0
        if self.oracle_error:
            asked = self.queries
            wrong = sum(rng.random() < self.oracle_error for _ in range(asked))
            if 2 * wrong > asked or (2 * wrong == asked and rng.random() < 0.5):
                choice = 1 - right
        decision = self._decision(choice, target, kind)
        return apply_errors(self.errors, "check", decision, view, rng), asked

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
        rewards: dict[str, float] = {}
        if prover_estimator.is_prover_estimator(view):
            decision, rewards, asked = prover_estimator.score(self, view, rng)
        else:
            decision, asked = self._debated(view, rng) if debated else self._naive(view, rng)
        decision = apply_errors(self.errors, "verdict", decision, view, rng)
        return Verdict(
            probabilities=decision.probabilities,
            choice=decision.choice,
            raw=decision.target,
            oracle_queries=asked,
            rewards=rewards,
        )

    def _naive(self, view: JudgeView, rng: random.Random) -> tuple[Decision, int]:
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
            return apply_errors(self.errors, "check", decision, view, rng), 0
        return self.check(best[0], "item", "item", view, rng)

    def check_leaf(
        self, view: JudgeView, claimant: int, rng: random.Random
    ) -> tuple[Decision, int]:
        """Check the one leaf the debate ended on: the claimant (the seat at ``claimant``,
        which split every claim) is right if the value it last claimed for it is."""
        question = view_question(view)
        tree = Tree(question)
        lo, hi, value = disputed(question, view.turns, int(view.answers[claimant]))
        if hi - lo != 1:
            raise ValueError(f"the debate ended on [{lo}, {hi}), not on a single leaf")
        right = claimant if value == tree.block_sum(lo, hi) else 1 - claimant
        return self.check(right, f"leaf:{lo}", tree.leaf_kind(lo), view, rng)

    def _debated(self, view: JudgeView, rng: random.Random) -> tuple[Decision, int]:
        question = view_question(view)
        tree = Tree(question)
        claimant = next(t.position for t in view.turns if t.has_move(Decomposition))
        assert claimant is not None
        challenger = 1 - claimant
        root_value = int(view.answers[claimant])
        asked = 0
        if view.protocol_settings.get("judge_every_level"):
            replayed: list[Turn] = []
            for turn in view.turns:
                if turn.has_move(Decomposition):
                    lo, hi, value = disputed(question, replayed, root_value)
                    right = claimant if value == tree.block_sum(lo, hi) else challenger
                    checked, n = self.check(right, f"level:{turn.round}", "level", view, rng)
                    asked += n
                    if checked.choice != right:
                        return checked, asked  # a wrong assessment ends the debate here
                replayed.append(turn)
        leaf, n = self.check_leaf(view, claimant, rng)
        return leaf, asked + n


def view_question(view: JudgeView) -> Question:
    """The question as a judge may see it (its correct answer is not among what it sees)."""
    return Question(
        id=view.question_id,
        text=view.question,
        options=view.answers,
        correct_index=0,
        public_data=view.public_data,
    )
