"""Tree-sum claims: the known-truth domain of recursive debate (docs/recursive-debate.md).

A question asks for the sum of ``b**d`` simple arithmetic steps. The program is public (in
``Question.public_data``) so the judge can evaluate a leaf; it just cannot afford many.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from itertools import accumulate
from math import exp
from typing import Protocol

from debate.moves import Challenge, Decomposition, MoveError
from debate.seeds import rng_for
from debate.types import AgentInfo, DebaterView, Question, Speech, Turn

KINDS = ("add", "sub", "mul", "mod")
MAX_LEAVES = 2**20
"""Most leaves a tree-sum claim may have (each is generated and stored with the question)."""
LIAR_CONFIDENCE = 0.95
HONEST_CONFIDENCE = 0.8


def oracle_check_error(v: float, queries: int) -> float:
    """Chance that the majority of ``queries`` oracle answers, each wrong with probability
    ``v`` independently, is wrong (a tie broken by a fair coin): the per-check error of a
    stochastic-oracle judge, from the binomial law. One answer is its own majority: ``v``
    itself, to the bit, so one-query sweep cells draw exactly as plain random-error ones."""
    if queries == 1:
        return v
    from scipy.stats import binom  # lazy: only oracle judges need it

    half = queries // 2
    tie = float(binom.pmf(half, queries, v)) / 2 if queries % 2 == 0 else 0.0
    return float(binom.sf(half, queries, v)) + tie


def oracle_hoeffding_bound(v: float, queries: int) -> float:
    """Hoeffding's bound on ``oracle_check_error`` for v < 1/2: exp(-2 m (1/2 - v)^2), the
    rate behind doubly-efficient debate's O(1) (here O(log 1/delta)) judge queries."""
    return exp(-2 * queries * (0.5 - v) ** 2) if v < 0.5 else 1.0


def leaf_value(kind: str, x: int, y: int) -> int:
    if kind == "add":
        return x + y
    if kind == "sub":
        return x - y
    if kind == "mul":
        return x * y
    if kind == "mod":
        return x % y
    raise ValueError(f"unknown leaf kind {kind!r}")


def treesum_questions(n: int, seed: int, branching: int, depth: int) -> list[Question]:
    """``n`` questions with ``branching**depth`` leaves each, deterministic in ``seed``."""
    rng = random.Random(seed)
    questions = []
    for i in range(n):
        leaves: list[tuple[str, int, int]] = [
            (rng.choice(KINDS), rng.randint(1, 99), rng.randint(1, 99))
            for _ in range(branching**depth)
        ]
        total = sum(leaf_value(*leaf) for leaf in leaves)
        wrong = total + rng.choice([d for d in range(-9, 10) if d])
        correct = rng.randrange(2)
        options = [str(wrong), str(wrong)]
        options[correct] = str(total)
        questions.append(
            Question(
                id=f"treesum-b{branching}-d{depth}-s{seed}-{i}",
                text=f"What is the sum of the {len(leaves)} steps of the program?",
                options=options,
                correct_index=correct,
                public_data={
                    "branching": branching,
                    "depth": depth,
                    "leaves": [list(leaf) for leaf in leaves],
                },
            )
        )
    return questions


class Tree:
    """Block sums of a question's program, from prefix sums (O(1) per block)."""

    def __init__(self, question: Question) -> None:
        data = question.public_data
        self.branching: int = data["branching"]
        self.depth: int = data["depth"]
        self.leaves: list[list[object]] = data["leaves"]
        values = [leaf_value(str(k), int(str(x)), int(str(y))) for k, x, y in self.leaves]
        self.prefix = [0, *accumulate(values)]

    def block_sum(self, lo: int, hi: int) -> int:
        return self.prefix[hi] - self.prefix[lo]

    def children(self, lo: int, hi: int) -> list[tuple[int, int]]:
        size = (hi - lo) // self.branching
        return [(lo + j * size, lo + (j + 1) * size) for j in range(self.branching)]

    def leaf_kind(self, index: int) -> str:
        return str(self.leaves[index][0])


def disputed(
    question: Question, turns: Sequence[Turn], claimant_value: int
) -> tuple[int, int, int]:
    """The node under dispute now and the value claimed for it: replay every challenge."""
    lo, hi, value, _ = replay(question, turns, claimant_value)
    return lo, hi, value


def replay(
    question: Question, turns: Sequence[Turn], claimant_value: int
) -> tuple[int, int, int, int]:
    """``disputed``, and how many decompositions the turns hold: the level the next claimant
    speaks at (the challenge after a decomposition answers it at one level lower). Levels are
    counted from the moves, not from round numbers, so a protocol may give the challenges
    rounds of their own (recursive consultancy's judge_question rounds)."""
    lo, hi, value = 0, len(question.public_data["leaves"]), claimant_value
    claims: list[int] | None = None
    levels = 0
    for turn in turns:
        if turn.has_move(Decomposition):
            claims = turn.expect_move(Decomposition).claims
            levels += 1
            continue
        challenge = turn.move(Challenge) if turn.has_move(Challenge) else None
        if challenge is not None and claims is not None:
            j = challenge.index
            if j >= len(claims):
                raise MoveError(f"turn {turn.index} challenges sub-claim {j} of {len(claims)}")
            size = (hi - lo) // len(claims)
            lo, hi, value = lo + j * size, lo + (j + 1) * size, claims[j]
            claims = None
    return lo, hi, value, levels


class BlindSpots(Protocol):
    """What an aware debater knows of the judge: where its checks are systematically wrong."""

    def is_blind(self, question_id: str, target: str, target_kind: str) -> bool: ...


class TreeSumDebater:
    """Plays either seat by the rules of the spec; strategy depends on the disputed claim.

    ``search``: the challenger's checks per level when the claim is false (None: full search).
    ``blind_spots``: objects with ``is_blind(question_id, target, kind)`` (the judge's
    systematic errors) that an *aware* debater steers toward; empty means unaware.
    """

    def __init__(self, search: int | None = None, blind_spots: Sequence[BlindSpots] = ()) -> None:
        self.search = search
        self.blind_spots = list(blind_spots)

    def describe(self) -> AgentInfo:
        return AgentInfo(
            kind="simulated",
            name="treesum-sim",
            settings={"search": self.search, "aware": bool(self.blind_spots)},
        )

    def _blind_below(self, question: Question, tree: Tree, lo: int, hi: int) -> bool:
        return any(
            spot.is_blind(question.id, f"leaf:{i}", tree.leaf_kind(i))
            for spot in self.blind_spots
            for i in range(lo, hi)
        )

    def _steer(
        self, question: Question, tree: Tree, kids: list[tuple[int, int]], rng: random.Random
    ) -> int:
        """A random child, preferring subtrees with a blind leaf when aware."""
        if not self.blind_spots:
            return rng.randrange(len(kids))  # unaware: the same draw, without the scan
        blind = [j for j, (lo, hi) in enumerate(kids) if self._blind_below(question, tree, lo, hi)]
        return rng.choice(blind) if blind else rng.randrange(len(kids))

    async def __call__(self, view: DebaterView) -> Speech:
        question, setup = view.setup.question, view.setup
        claimant = next((s for s in setup.seats if s.name == "claimant"), None)
        if claimant is None or view.seat.name not in ("claimant", "challenger"):
            raise ValueError(
                f"treesum debaters play the claimant and challenger of recursive debate, not "
                f"seat {view.seat.name!r} of {view.protocol!r}"
                + (
                    " (its players are kind 'prover-estimator-sim')"
                    if view.protocol == "prover-estimator"
                    else ""
                )
            )
        tree = Tree(question)
        root_claim = int(setup.answer_text(claimant.position))
        lo, hi, value, levels = replay(question, view.turns, root_claim)
        true_value = tree.block_sum(lo, hi)
        kids = tree.children(lo, hi)
        level = levels - (view.seat.name != "claimant")  # a challenge answers the last level
        rng = rng_for(setup.seed, "treesum", view.seat.name, level)
        if view.seat.name == "claimant":
            claims = [tree.block_sum(a, b) for a, b in kids]
            lying = value != true_value
            if lying:
                flaw = self._steer(question, tree, kids, rng)
                claims[flaw] += value - true_value
            parts = ", ".join(f"[{a}, {b}) = {c}" for (a, b), c in zip(kids, claims, strict=True))
            return Speech(
                text=f"[{lo}, {hi}) sums to {value}: {parts}.",
                data=Decomposition(node=(lo, hi), claims=claims).to_data(),
                confidence=LIAR_CONFIDENCE if lying else HONEST_CONFIDENCE,
            )
        claims = view.turns[-1].expect_move(Decomposition).claims
        false_kids = [j for j, (a, b) in enumerate(kids) if claims[j] != tree.block_sum(a, b)]
        choice = self._challenge(question, tree, kids, false_kids, rng)
        return challenge_speech(
            kids, claims, choice, HONEST_CONFIDENCE if false_kids else LIAR_CONFIDENCE
        )

    def _challenge(
        self,
        question: Question,
        tree: Tree,
        kids: list[tuple[int, int]],
        false_kids: list[int],
        rng: random.Random,
    ) -> int:
        if not false_kids:
            return self._steer(question, tree, kids, rng)
        if self.search is None:
            return false_kids[0]
        order = rng.sample(range(len(kids)), len(kids))
        examined, rest = order[: self.search], order[self.search :]
        found = [j for j in examined if j in false_kids]
        return found[0] if found else rng.choice(rest or examined)


def challenge_speech(
    kids: Sequence[tuple[int, int]], claims: Sequence[int], choice: int, confidence: float | None
) -> Speech:
    """A challenge of sub-claim ``choice``, as the challenger and the judge both word it."""
    a, b = kids[choice]
    return Speech(
        text=f"I dispute [{a}, {b}) = {claims[choice]}.",
        data=Challenge(index=choice).to_data(),
        confidence=confidence,
    )
