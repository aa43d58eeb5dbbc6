"""Simulated players of prover-estimator debate on tree-sum claims (docs/prover-estimator.md).

One class plays both seats. The *prover* defends its answer: honest when the answer is the
true sum, a liar otherwise, whose decomposition of a false claim carries one flaw at a random
sub-claim that it does not know (obfuscation: it learns only what its ``search`` checks of
sub-claims show). The *estimator* is calibrated: it states each claim's judged value
(``ClaimRules.judged_values``) given what it knows, which needs no search for the claim under
dispute, and checks the same sub-claims as the prover (``estimator="shares"``: it can run the
prover's search) or as many of its own (``"own"``). With ``shade`` > 0 it cuts a true root
claim by that fraction and dilutes the cut consistently down the tree (a sum: the ``b``-th
root per level). Both know the judge's leaf error (``judge_error``), as players know a judge.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from debate.domains.claims import ClaimRules
from debate.domains.treesum import Tree
from debate.moves import Bet, Challenge, Decomposition, Estimates
from debate.seeds import rng_for
from debate.types import AgentInfo, DebaterView, Speech


@dataclass
class _Game:
    """The claim under dispute now, and what each side believes of it."""

    rules: ClaimRules
    tree: Tree
    lo: int
    hi: int
    value: int
    cut: bool
    bob_false: float
    alice_false: float
    estimate: float = 0.0
    level: int = 0
    values: tuple[list[float], list[float]] = field(init=False)

    def __post_init__(self) -> None:
        self.values = self.rules.judged_values()  # once a turn, not once a sub-claim

    @property
    def height(self) -> int:
        return self.rules.depth - self.level

    def judged(self, p_false: float, height: int) -> float:
        true_v, false_v = self.values
        return (1 - p_false) * true_v[height] + p_false * false_v[height]

    def false_kids(self, claims: list[int]) -> set[int]:
        kids = self.tree.children(self.lo, self.hi)
        return {j for j, (a, b) in enumerate(kids) if claims[j] != self.tree.block_sum(a, b)}


def _sign(x: float) -> Literal[-1, 0, 1]:
    return 1 if x > 1e-12 else -1 if x < -1e-12 else 0


class ProverEstimatorPlayer:
    def __init__(
        self,
        search: int | None = None,
        judge_error: float = 0.0,
        shade: float = 0.0,
        estimator: Literal["shares", "own"] = "shares",
    ) -> None:
        self.search = search
        self.judge_error = judge_error
        self.shade = shade
        self.estimator = estimator

    def describe(self) -> AgentInfo:
        settings: dict[str, object] = {"search": self.search, "judge_error": self.judge_error}
        settings |= {"shade": self.shade, "estimator": self.estimator}
        return AgentInfo(kind="simulated", name="prover-estimator-sim", settings=settings)

    def _checks(self, seed: int, who: str, level: int, b: int) -> set[int]:
        k = b if self.search is None else min(self.search, b)
        if who == "estimator" and self.estimator == "shares":
            who = "prover"  # it runs the prover's search: the same checks
        return set(rng_for(seed, "prover-estimator", "checks", who, level).sample(range(b), k))

    def _replay(self, view: DebaterView) -> tuple[_Game, list[int] | None, Estimates | None]:
        """The game after every finished level, and the current level's split and estimates
        so far (None where not yet made)."""
        setup, tree = view.setup, Tree(view.setup.question)
        prover = next(s for s in setup.seats if s.name == "prover")
        rules = ClaimRules(tree.branching, tree.depth, self.judge_error)
        root = int(setup.answer_text(prover.position))
        false = float(root != tree.block_sum(0, len(tree.leaves)))
        cut = not false and self.shade > 0
        game = _Game(rules, tree, 0, len(tree.leaves), root, cut, false, false)
        claims: list[int] | None = None
        estimates: Estimates | None = None
        for turn in view.turns:
            if turn.speaker == "estimator":
                estimates = turn.expect_move(Estimates)
                if estimates.holds is None:  # the root's
                    game.estimate, estimates = estimates.estimates[0], None
            elif turn.has_move(Decomposition):
                claims = turn.expect_move(Decomposition).claims
            elif turn.has_move(Challenge) and claims is not None and estimates is not None:
                pick = turn.expect_move(Challenge).index
                self._descend(game, setup.seed, claims, estimates, pick)
                claims, estimates = None, None
        return game, claims, estimates

    def _descend(
        self, game: _Game, seed: int, claims: list[int], estimates: Estimates, pick: int
    ) -> None:
        false_kids = game.false_kids(claims)
        b = game.rules.branching
        _, bob = game.rules.posterior(
            game.bob_false, self._checks(seed, "estimator", game.level, b), false_kids
        )
        _, alice = game.rules.posterior(
            game.alice_false, self._checks(seed, "prover", game.level, b), false_kids
        )
        game.lo, game.hi = game.tree.children(game.lo, game.hi)[pick]
        game.value, game.bob_false, game.alice_false = claims[pick], bob[pick], alice[pick]
        game.estimate = estimates.estimates[pick]
        game.level += 1

    async def __call__(self, view: DebaterView) -> Speech:
        names = {seat.name for seat in view.setup.seats}
        if view.seat.name not in ("prover", "estimator") or "prover" not in names:
            raise ValueError(
                f"prover-estimator-sim plays the prover and estimator of protocol "
                f"'prover-estimator', not seat {view.seat.name!r} of {view.protocol!r}"
            )
        game, claims, estimates = self._replay(view)
        seed = view.setup.seed
        if view.seat.name == "estimator":
            return self._estimate(game, seed, claims)
        if view.label.startswith("level"):
            return self._split(game, seed)
        if view.label.startswith("pick"):
            assert claims is not None and estimates is not None
            return self._pick(game, seed, claims, estimates)
        bet = _sign(game.judged(game.alice_false, 0) - game.estimate)
        return Speech(
            text=f"Bet {bet:+d} on the estimate {game.estimate:.6g} of [{game.lo}, {game.hi}).",
            data=Bet(bet=bet).to_data(),
        )

    def _estimate(self, game: _Game, seed: int, claims: list[int] | None) -> Speech:
        if claims is None:  # the root
            value = game.judged(game.bob_false, game.height)
            value *= 1 - self.shade if game.cut else 1.0
            text = f"The answer {game.value} holds with probability {value:.6g}."
            return Speech(text=text, data=Estimates(estimates=[value]).to_data())
        b = game.rules.branching
        checked = self._checks(seed, "estimator", game.level, b)
        claim_false, kids = game.rules.posterior(game.bob_false, checked, game.false_kids(claims))
        if game.cut:  # consistent with the cut estimate: each part the b-th root of it
            values, holds = [game.estimate ** (1 / b)] * b, game.estimate
        else:
            values = [game.judged(p, game.height - 1) for p in kids]
            holds = game.judged(claim_false, game.height)
        parts = ", ".join(f"{c}: {v:.6g}" for c, v in zip(claims, values, strict=True))
        return Speech(
            text=f"Sub-claims {parts}; together they hold w.p. {holds:.6g}.",
            data=Estimates(estimates=values, holds=holds).to_data(),
        )

    def _split(self, game: _Game, seed: int) -> Speech:
        kids = game.tree.children(game.lo, game.hi)
        claims = [game.tree.block_sum(a, b) for a, b in kids]
        true_value = game.tree.block_sum(game.lo, game.hi)
        if game.value != true_value:  # a lie: the flaw lands where the prover cannot see
            flaw = rng_for(seed, "prover-estimator", "flaw", game.level).randrange(len(kids))
            claims[flaw] += game.value - true_value
        bet = _sign(game.judged(game.alice_false, game.height) - game.estimate)
        parts = ", ".join(f"[{a}, {b}) = {c}" for (a, b), c in zip(kids, claims, strict=True))
        split = Decomposition(node=(game.lo, game.hi), claims=claims)
        text = f"Bet {bet:+d}. [{game.lo}, {game.hi}) = {game.value}: {parts}."
        return Speech(text=text, data=Bet(bet=bet).to_data() | split.to_data())

    def _pick(self, game: _Game, seed: int, claims: list[int], estimates: Estimates) -> Speech:
        b = game.rules.branching
        checked = self._checks(seed, "prover", game.level, b)
        _, mine = game.rules.posterior(game.alice_false, checked, game.false_kids(claims))
        rng = rng_for(seed, "prover-estimator", "pick", game.level)
        gaps = [
            (abs(game.judged(p, game.height - 1) - e), rng.random())
            for p, e in zip(mine, estimates.estimates, strict=True)
        ]
        pick = max(range(b), key=gaps.__getitem__)
        a, z = game.tree.children(game.lo, game.hi)[pick]
        return Speech(
            text=f"I recurse on [{a}, {z}) = {claims[pick]}.",
            data=Challenge(index=pick).to_data(),
        )
