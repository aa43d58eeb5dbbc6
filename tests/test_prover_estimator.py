"""Prover-estimator debate: the protocol's rules, the judged values and posteriors it rests
on, its scoring, the simulator against the closed forms and the engine, and the preset."""

from __future__ import annotations

import asyncio
import json
import math
import statistics
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from debate.batch import run_many
from debate.domains.claims import ClaimRules, majority_value
from debate.domains.prover_estimator import ProverEstimatorPlayer
from debate.domains.treesum import Tree, treesum_questions
from debate.engine import run_debate
from debate.errors import ConfigError
from debate.moves import Bet, Challenge, Decomposition, Estimates
from debate.types import DebaterView, Speech, Transcript
from evals.sweep import prover_estimator as pe
from evals.sweep.cells import SweepCell
from evals.sweep.engine_jobs import engine_jobs
from evals.sweep.grid import SweepConfig, parse_sweep_config
from evals.sweep.runner import cell_key
from evals.sweep.simulate import simulate_cell
from evals.sweep.theory import theory_accuracy
from judges.errors import RandomError
from judges.treesum import TreeSumJudge
from protocols import ProverEstimatorDebate
from tests.cli_helpers import run_cli


def pe_cell(eps: float, depth: int, branching: int, **kw: object) -> SweepCell:
    base = {"protocol": "prover-estimator", "error_model": "random", "epsilon": eps}
    return SweepCell.model_validate(base | {"depth": depth, "branching": branching, **kw})


# -- the arithmetic -------------------------------------------------------------------------


def test_judged_values_by_hand() -> None:
    true, false = ClaimRules(2, 2, 0.1).judged_values()
    assert true == pytest.approx([0.9, 0.81, 0.6561])  # a sum holds when every part is judged so
    assert false == pytest.approx([0.1, 0.09, 0.0729])  # its flaw judged true, the rest too
    true, false = ClaimRules(3, 1, 0.1, "majority").judged_values()
    assert true[1] == pytest.approx(3 * 0.81 * 0.1 + 0.729)  # two or three of three
    assert false[1] == pytest.approx(3 * 0.01 * 0.9 + 0.001)
    assert majority_value([0.5, 0.5]) == pytest.approx(0.5)  # 1-1 is a coin
    assert majority_value([1.0, 0.0]) == pytest.approx(0.5)
    assert majority_value([0.9, 0.8, 0.3]) == pytest.approx(
        0.9 * 0.8 * 0.7 + 0.9 * 0.2 * 0.3 + 0.1 * 0.8 * 0.3 + 0.9 * 0.8 * 0.3
    )


def test_stability_sums_compound_leaf_errors_and_majorities_wash_them_out() -> None:
    for b in (3, 5):
        unstable, _ = ClaimRules(b, 5, 0.1).judged_values()
        stable, stable_false = ClaimRules(b, 5, 0.1, "majority").judged_values()
        assert unstable == sorted(unstable, reverse=True) and unstable[-1] < 0.01
        assert stable == sorted(stable) and stable[-1] > 0.999
        assert stable_false == sorted(stable_false, reverse=True) and stable_false[-1] < 0.001


def test_posterior_by_hand() -> None:
    rules = ClaimRules(4, 2, 0.0)
    assert rules.posterior(1.0, {0}, {2}) == (1.0, [0.0, 1 / 3, 1 / 3, 1 / 3])
    assert rules.posterior(1.0, {2}, {2}) == (1.0, [0.0, 0.0, 1.0, 0.0])
    claim, kids = rules.posterior(0.5, {0, 1}, {3})  # two true checks: 0.5 * (3/6) left
    assert claim == pytest.approx(1 / 3) and kids == pytest.approx([0, 0, 1 / 6, 1 / 6])
    assert rules.posterior(0.0, {1}, set()) == (0.0, [0.0, 0.0, 0.0, 0.0])
    majority = ClaimRules(3, 2, 0.0, "majority")  # a false claim's parts are all false
    assert majority.posterior(0.5, {0}, set()) == (0.0, [0.0, 0.0, 0.0])


def test_vectorised_posterior_matches_the_scalar_one() -> None:
    c = pe_cell(0.0, 2, 5, search=2)
    rng = np.random.default_rng(3)
    prior = rng.random(50)
    checked = pe._subset(rng, 50, 5, 2)
    false = pe._subset(rng, 50, 5, 1) & (rng.random(50) < 0.6)[:, None]
    claim, kids = pe._posterior(c, prior, checked, false)
    for i in range(50):
        want_claim, want_kids = c.rules.posterior(
            float(prior[i]), set(np.flatnonzero(checked[i])), set(np.flatnonzero(false[i]))
        )
        assert claim[i] == pytest.approx(want_claim) and kids[i] == pytest.approx(want_kids)


# -- the protocol's rules -----------------------------------------------------------------


def test_schedule_and_seats() -> None:
    protocol = ProverEstimatorDebate(depth=2, branching=3)
    labels = [(r.label, r.speakers) for r in protocol.schedule()]
    assert labels == [
        ("root", ["estimator"]),
        ("level 0", ["prover", "estimator"]),
        ("pick 0", ["prover"]),
        ("level 1", ["prover", "estimator"]),
        ("pick 1", ["prover"]),
        ("leaf", ["prover"]),
    ]
    q = treesum_questions(1, 0, 3, 2)[0]
    import random

    seats = protocol.seats(q, [0, 1], random.Random(0))
    assert {s.name for s in seats} == {"prover", "estimator"}
    assert {s.position for s in seats} == {0, 1}  # two-sided


Tamper = Callable[[DebaterView, Speech], Speech]


class Tampered(ProverEstimatorPlayer):
    """The simulated players, with one kind of turn rewritten (to break one rule)."""

    def __init__(self, seat: str, label: str, tamper: Tamper) -> None:
        super().__init__(search=1)
        self.seat, self.label, self.tamper = seat, label, tamper

    async def __call__(self, view: DebaterView) -> Speech:
        speech = await super().__call__(view)
        if view.seat.name == self.seat and view.label.startswith(self.label):
            return self.tamper(view, speech)
        return speech


def _play(player: ProverEstimatorPlayer, seed: int = 0, eps: float = 0.0) -> Transcript:
    q = treesum_questions(1, seed, 3, 2)[0]
    judge = TreeSumJudge([RandomError(epsilon=eps)] if eps else [])
    protocol = ProverEstimatorDebate(depth=2, branching=3)
    return asyncio.run(run_debate(q, protocol, player, judge, seed=seed))


def _estimates(values: list[float], holds: float | None) -> Tamper:
    return lambda view, s: Speech(text="x", data=Estimates(estimates=values, holds=holds).to_data())


@pytest.mark.parametrize(
    ("seat", "label", "tamper", "message"),
    [
        ("estimator", "root", _estimates([0.5, 0.5], None), "gave 2 estimates in round 'root'"),
        ("estimator", "level", _estimates([0.9, 0.9], 0.5), "gave 2 estimates in round 'level 0'"),
        ("estimator", "level", _estimates([0.9, 0.9, 0.9], None), "did not say how likely"),
        ("estimator", "level", _estimates([0.9, 0.5, 0.9], 0.6), "no sub-claims with estimates"),
        ("estimator", "level", _estimates([0.9, 0.9, 0.9], 0.6), "between 0.7 and 0.9"),
        (
            "prover",
            "level",
            lambda v, s: Speech(text="x", data={k: s.data[k] for k in ("claims", "node")}),
            "carries no bet",
        ),
        (
            "prover",
            "level",
            lambda v, s: Speech(text="x", data=Bet(bet=1).to_data()),
            "carries no decomposition",
        ),
        (
            "prover",
            "level",
            lambda v, s: Speech(
                text="x",
                data=Bet(bet=0).to_data() | Decomposition(node=(0, 9), claims=[1, 2]).to_data(),
            ),
            "split into 2 sub-claims, not 3",
        ),
        (
            "prover",
            "pick",
            lambda v, s: Speech(text="x", data=Challenge(index=3).to_data()),
            "picked a sub-claim beyond 3",
        ),
        ("prover", "leaf", lambda v, s: Speech(text="x", data={}), "carries no bet"),
        ("prover", "leaf", lambda v, s: Speech(text="x", data={"bet": 2}), "bad bet"),
        ("prover", "leaf", lambda v, s: Speech(text="x", data={"bet": True}), "bad bet"),
        (
            "estimator",
            "root",
            lambda v, s: Speech(text="x", data={"estimates": [float("nan")]}),
            "bad estimates",
        ),
    ],
)
def test_a_turn_that_breaks_a_rule_fails_the_debate_in_one_line(
    seat: str, label: str, tamper: Tamper, message: str
) -> None:
    t = _play(Tampered(seat, label, tamper))
    assert t.error is not None and message in t.error and "\n" not in t.error


def test_a_consistent_estimator_is_never_refused() -> None:
    for seed in range(30):
        t = _play(ProverEstimatorPlayer(search=seed % 4, shade=0.3 * (seed % 2)), seed, 0.1)
        assert t.error is None, t.error


# -- scoring --------------------------------------------------------------------------------


def test_with_a_perfect_judge_a_calibrated_estimator_gives_the_truth_and_the_stakes() -> None:
    """Calibrated and sharing the prover's checks, the estimator leaves the prover no bet:
    her reward is the root's stake, 1 for the truth and 0 for a lie, and the verdict is sure."""
    rewards = []
    for seed in range(40):
        t = _play(ProverEstimatorPlayer(search=1), seed)
        assert t.verdict is not None and t.score == 1.0
        prover = next(s for s in t.setup.seats if s.name == "prover")
        honest = prover.position == t.setup.correct_position
        assert t.verdict.rewards == {"prover": float(honest), "estimator": -float(honest)}
        assert all(m.bet == 0 for m in (turn.move(Bet) for turn in t.turns) if m is not None)
        rewards.append(honest)
    assert 10 < sum(rewards) < 30  # both kinds of prover were seen


def test_a_shading_estimator_pays_at_the_leaf_by_hand() -> None:
    """An honest claim cut by 1/2, diluted as cube roots: the prover bets +1 every time;
    with eps = 0 the trusted bits and the leaf check are drawn, so the reward is the root's
    1/2 plus each stake times (bit - estimate), recomputed here from the transcript."""
    for seed in range(40):
        t = _play(ProverEstimatorPlayer(search=1, shade=0.5), seed)
        prover = next(s for s in t.setup.seats if s.name == "prover")
        if prover.position != t.setup.correct_position:
            continue
        assert t.verdict is not None and t.verdict.probabilities[prover.position] == 0.5
        splits = [turn.expect_move(Estimates) for turn in t.turns if turn.speaker == "estimator"]
        estimates = [0.5, 0.5 ** (1 / 3), 0.5 ** (1 / 9)]
        for split, parent, kid in zip(splits[1:], estimates, estimates[1:], strict=False):
            assert split.holds == pytest.approx(parent)
            assert split.estimates == pytest.approx([kid] * 3)
        bets = [turn.expect_move(Bet).bet for turn in t.turns if turn.has_move(Bet)]
        assert bets == [1, 1, 1]
        # rewards = 1/2 + 4 (b0 - 1/2) + 16 (b1 - 2^-1/3) + 64 (1 - 2^-1/9): b0, b1 in {0, 1}
        rest = t.verdict.rewards["prover"] - 0.5 - 64 * (1 - estimates[2])
        options = {
            4 * (b0 - estimates[0]) + 16 * (b1 - estimates[1]) for b0 in (0, 1) for b1 in (0, 1)
        }
        assert min(abs(rest - o) for o in options) < 1e-9


# -- the simulator against the closed forms and the engine --------------------------------


@pytest.mark.parametrize(
    "c",
    [
        pe_cell(0.1, 2, 2, search=0),
        pe_cell(0.0, 3, 4, search=1),
        pe_cell(0.05, 3, 3, search=1, aggregate="majority"),
        pe_cell(0.0, 4, 8, search=2),  # b = 8 outgrows lambda = 4: the estimator shades
        pe_cell(0.0, 4, 8, search=2, reward_growth=16.0),  # ... not against lambda = 16
        pe_cell(0.2, 2, 5, aggregate="majority"),
    ],
    ids=str,
)
def test_simulated_rewards_and_shading_match_the_closed_forms(c: SweepCell) -> None:
    r = simulate_cell(c, 3000, 7)
    assert r.shade == pe.best_shade_theory(c)
    liars = r.n - r.claimant_honest
    assert r.payoff_honest / r.claimant_honest == pytest.approx(
        pe.honest_payoff_theory(c, r.shade), rel=1e-9, abs=1e-12
    )
    assert r.payoff_liar / liars == pytest.approx(pe.liar_payoff_theory(c), abs=1e-12)
    theory = theory_accuracy(c)
    assert theory is not None and abs(r.accuracy - theory) < 4 * math.sqrt(0.25 / r.n)


def test_shading_appears_exactly_when_branching_outgrows_reward_growth() -> None:
    assert pe.best_shade_theory(pe_cell(0.0, 4, 8, search=1)) > 0
    assert pe.best_shade_theory(pe_cell(0.0, 4, 8, search=1, reward_growth=16.0)) == 0
    assert pe.best_shade_theory(pe_cell(0.0, 4, 8, aggregate="majority")) == 0
    assert theory_accuracy(pe_cell(0.0, 4, 8, search=1)) == 0.75  # cut to 1/2: a tie
    assert pe.best_shade_theory(pe_cell(0.0, 4, 2)) == 0


def test_obfuscation_defeats_recursive_debate_but_not_the_estimator() -> None:
    """One flaw among 4, one check per level: recursive debate follows it w.p. (1+1)/4 a
    level; the calibrated estimator's verdict needs no flaw found."""
    for d in (1, 2, 3, 4):
        rec = SweepCell(
            protocol="recursive", error_model="random", epsilon=0.0, depth=d, branching=4, search=1
        )
        r = simulate_cell(rec, 4000, d)
        assert abs(r.accuracy - (1 + 0.5**d) / 2) < 4 * math.sqrt(0.25 / 4000)
        assert simulate_cell(pe_cell(0.0, d, 4, search=1), 4000, d).accuracy == 1.0


def test_an_estimator_blind_to_the_provers_checks_pays_the_liar_by_hand() -> None:
    """b = 4, d = 1, one check each, eps = 0, lambda = 4: the liar earns 16 * 2/3 when she
    found the flaw and he did not (prob 3/16), 16/3 on half of the draws where neither found
    it and they checked different children (prob 3/8): 2 + 1 = 3 in all."""
    c = pe_cell(0.0, 1, 4, search=1, estimator="own")
    r = simulate_cell(c, 40000, 2)
    liars = r.n - r.claimant_honest
    assert abs(r.payoff_liar / liars - 3.0) < 0.15
    assert r.payoff_honest / r.claimant_honest == 1.0  # honesty pays only the root's 1
    shared = simulate_cell(c.model_copy(update={"estimator": "shares"}), 4000, 2)
    assert shared.payoff_liar == 0.0


def test_engine_rewards_agree_with_the_simulator() -> None:
    c = pe_cell(0.0, 1, 4, search=1, estimator="own")
    transcripts = asyncio.run(run_many(engine_jobs(c, 3000, 11), concurrency=64))
    liars = [
        t.verdict.rewards["prover"]
        for t in transcripts
        if t.verdict is not None
        and next(s for s in t.setup.seats if s.name == "prover").position
        != t.setup.correct_position
    ]
    mean, se = statistics.mean(liars), statistics.stdev(liars) / math.sqrt(len(liars))
    assert abs(mean - 3.0) < 4 * se + 0.05


def test_the_engine_estimator_states_the_judged_values() -> None:
    c = pe_cell(0.1, 2, 3, search=1)
    true, false = c.rules.judged_values()
    for t in asyncio.run(run_many(engine_jobs(c, 30, 4), concurrency=8)):
        root = t.turns[0].expect_move(Estimates).estimates[0]
        prover = next(s for s in t.setup.seats if s.name == "prover")
        honest = prover.position == t.setup.correct_position
        assert root == pytest.approx(true[2] if honest else false[2])
        assert t.score == (1.0 if honest == (true[2] > 0.5) or not honest else 0.0)
        tree = Tree(t.setup.question)
        assert len(tree.leaves) == 9


# -- cells, grid, preset ---------------------------------------------------------------


def test_cells_keys_and_the_grid() -> None:
    plain = SweepCell(protocol="recursive", error_model="random", epsilon=0.1, depth=2)
    key = json.loads(cell_key(plain))
    assert not {"aggregate", "reward_growth", "estimator"} & set(key)
    assert (
        json.loads(cell_key(plain.model_copy(update={"aggregate": "majority"})))["aggregate"]
        == "majority"
    )
    config = SweepConfig(
        protocols=["consultancy", "recursive", "prover-estimator"],
        error_models=["random", "position"],
        epsilons=[0.1],
        depths=[2],
        aggregate=["all", "majority"],
        reward_growth=[4.0, 8.0],
        estimator=["shares", "own"],
    )
    cells = [
        (c.protocol, c.error_model, c.aggregate, c.reward_growth, c.estimator)
        for c in config.cells()
    ]
    assert len(cells) == len(set(cells))
    assert ("consultancy", "random", "majority", 4.0, "shares") not in cells
    assert ("prover-estimator", "position", "all", 4.0, "shares") not in cells
    assert {c for c in cells if c[0] == "recursive"} == {
        ("recursive", m, a, 4.0, "shares")
        for m in ("random", "position")
        for a in ("all", "majority")
    }
    assert len([c for c in cells if c[0] == "prover-estimator"]) == 8
    with pytest.raises(ValueError, match="belong to prover-estimator"):
        SweepCell(protocol="recursive", error_model="random", epsilon=0, depth=1, reward_growth=2)
    with pytest.raises(ValueError, match="needs error_model 'random'"):
        pe_cell(0.1, 1, 2).model_copy(update={"error_model": "position"}).model_validate(
            pe_cell(0.1, 1, 2).model_dump() | {"error_model": "position"}
        )
    with pytest.raises(ConfigError, match="aggregate"):
        parse_sweep_config(
            {"protocols": ["recursive"], "error_models": ["random"], "epsilons": [0.1]}
            | {"depths": [1], "aggregate": ["sum"]}
        )
    with pytest.raises(ValueError, match="no systematic"):
        SweepCell(
            protocol="recursive",
            error_model="systematic",
            epsilon=0.1,
            depth=1,
            aggregate="majority",
        )
    with pytest.raises(ValueError, match="only the simulator plays them"):
        engine_jobs(pe_cell(0.1, 1, 3, aggregate="majority"), 1, 0)


def test_find_chance_keeps_the_one_flaw_form_and_a_majority_is_always_found() -> None:
    for b in (2, 3, 5, 8):
        for s in (0, 1, 2, 7, None):
            c = SweepCell(
                protocol="recursive",
                error_model="random",
                epsilon=0,
                depth=1,
                branching=b,
                search=s,
            )
            assert c.find_chance == (1.0 if s is None else min(1.0, (s + 1) / b))
            assert c.model_copy(update={"aggregate": "majority"}).find_chance == 1.0


def test_the_preset_runs_quick_with_its_section_and_plots(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "eval", "--preset", "prover-estimator", "--quick", "--out", str(out)
    )
    assert code == 0, err
    header = (out / "results.csv").read_text().splitlines()[0].split(",")
    assert {"payoff_honest", "payoff_liar", "shade", "prefers_truth", "aggregate"} <= set(header)
    rows = json.loads((out / "results.json").read_text())
    own = [r for r in rows if r["protocol"] == "prover-estimator" and r["estimator"] == "own"]
    assert any(r["prefers_truth"] is False for r in own)  # a blind estimator pays the liar
    shares = [r for r in rows if r["protocol"] == "prover-estimator" and r["estimator"] == "shares"]
    assert all(r["payoff_liar"] == pytest.approx(r["payoff_liar_theory"]) for r in shares)
    report = (out / "report.md").read_text()
    assert "## Prover-estimator debate and obfuscated arguments" in report
    for name in ("prover_estimator", "prover_estimator_rewards"):
        assert (out / "plots" / f"{name}.png").exists() and (out / "plots" / f"{name}.svg").exists()
    transcripts = (out / "transcripts.jsonl").read_text().splitlines()
    assert any('"prover-estimator"' in line for line in transcripts)


def test_axes_that_no_protocol_takes_are_refused_in_one_line() -> None:
    base = {"epsilons": [0.1], "depths": [1]}
    cases = [
        ({"protocols": ["prover-estimator"], "error_models": ["systematic"]}, "list error model"),
        ({"protocols": ["recursive"], "error_models": ["random"], "reward_growth": [8]}, "axes of"),
        ({"protocols": ["recursive"], "error_models": ["random"], "estimator": ["own"]}, "axes of"),
        (
            {"protocols": ["naive"], "error_models": ["random"], "aggregate": ["majority"]},
            "majority",
        ),
    ]
    for extra, message in cases:
        with pytest.raises(ConfigError, match=message) as caught:
            parse_sweep_config(base | extra)
        assert "\n" not in str(caught.value)


def test_each_domains_players_refuse_the_other_protocols_seats_in_one_line() -> None:
    q = treesum_questions(1, 0, 2, 1)[0]
    judge = TreeSumJudge()
    from debate.domains.treesum import TreeSumDebater
    from protocols import RecursiveDebate

    wrong = asyncio.run(run_debate(q, RecursiveDebate(depth=1), ProverEstimatorPlayer(), judge))
    assert wrong.error is not None and "not seat 'claimant' of 'recursive'" in wrong.error
    other = asyncio.run(run_debate(q, ProverEstimatorDebate(depth=1), TreeSumDebater(), judge))
    assert other.error is not None and "kind 'prover-estimator-sim'" in other.error


def test_debate_show_renders_the_rewards() -> None:
    from rich.console import Console

    from transcripts.render import render_transcript

    t = _play(ProverEstimatorPlayer(search=1), 3)
    console = Console(record=True, width=200)
    console.print(render_transcript(t))
    text = console.export_text()
    assert t.verdict is not None
    assert f"rewards prover={t.verdict.rewards['prover']:+.4g}" in text
    assert "Bet " in text and "together they hold" in text


def test_a_stochastic_oracle_judge_checks_one_leaf_per_debate_both_ways() -> None:
    c = pe_cell(0.2, 2, 2, queries=5)
    sim = simulate_cell(c, 1000, 1)
    assert sim.judge_queries == 5 * 1000
    transcripts = asyncio.run(run_many(engine_jobs(c, 20, 1), concurrency=8))
    assert all(t.verdict is not None and t.verdict.oracle_queries == 5 for t in transcripts)
    true, _ = c.rules.judged_values()
    assert true[0] == pytest.approx(1 - c.check_error)  # the majority's error, not eps
