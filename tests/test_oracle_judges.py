"""Stochastic-oracle judges (doubly-efficient debate): a check asked m times of an oracle
that errs w.p. v, the majority deciding; the judge's cost is the queries it asks."""

from __future__ import annotations

import asyncio
import hashlib
import json
import math
from pathlib import Path

import pytest

from debate.batch import run_many
from debate.domains.treesum import (
    TreeSumDebater,
    oracle_check_error,
    oracle_hoeffding_bound,
    treesum_questions,
)
from debate.engine import run_debate
from debate.jobs import DebateJob
from debate.types import Transcript
from evals.sweep.cells import LATER_DEFAULTS, SweepCell
from evals.sweep.engine_jobs import engine_jobs
from evals.sweep.grid import SweepConfig
from evals.sweep.runner import cell_key
from evals.sweep.simulate import simulate_cell
from evals.sweep.theory import oracle_bound, theory_accuracy
from judges.treesum import TreeSumJudge
from protocols import NaiveJudge, RecursiveDebate, RecursiveEveryLevel
from tests.cli_helpers import run_cli


def test_the_majoritys_error_by_hand() -> None:
    assert oracle_check_error(0.3, 1) == 0.3  # one query: the oracle's own error, exactly
    assert oracle_check_error(0.3, 2) == pytest.approx(0.09 + 0.21)  # a tie is a coin: 1/2
    assert oracle_check_error(0.3, 3) == pytest.approx(3 * 0.09 * 0.7 + 0.027)
    assert oracle_check_error(0.5, 7) == pytest.approx(0.5)  # a coin stays a coin
    assert oracle_check_error(0.0, 9) == 0.0
    for v in (0.05, 0.2, 0.4):
        errors = [oracle_check_error(v, m) for m in (1, 3, 5, 9, 25)]
        assert errors == sorted(errors, reverse=True)  # odd m: more queries, fewer errors
        for m in (1, 2, 5, 25, 101):
            assert oracle_check_error(v, m) <= oracle_hoeffding_bound(v, m) + 1e-12


def cell(protocol: str, eps: float, depth: int, queries: int, **kw: object) -> SweepCell:
    return SweepCell.model_validate(
        {"protocol": protocol, "error_model": "random", "epsilon": eps, "depth": depth}
        | {"queries": queries, **kw}
    )


@pytest.mark.parametrize("depth", [1, 3, 6])
@pytest.mark.parametrize("queries", [3, 9])
def test_recursive_debate_costs_m_queries_at_any_depth_and_meets_the_bound(
    depth: int, queries: int
) -> None:
    c = cell("recursive", 0.3, depth, queries)
    r = simulate_cell(c, 20_000, seed=depth * 100 + queries)
    assert r.judge_queries == queries * r.n  # one leaf checked, whatever the depth
    theory = theory_accuracy(c)
    assert theory == pytest.approx(1 - oracle_check_error(0.3, queries))
    bound = oracle_bound(c)
    assert bound is not None and theory >= bound
    assert abs(r.accuracy - theory) < 4 * math.sqrt(theory * (1 - theory) / r.n)


def test_judging_every_level_costs_more_with_depth_and_compounds() -> None:
    costs = []
    for depth in (1, 3, 6):
        c = cell("recursive-every-level", 0.3, depth, 5)
        r = simulate_cell(c, 20_000, seed=depth)
        theory = theory_accuracy(c)
        assert theory == pytest.approx((1 - oracle_check_error(0.3, 5)) ** (depth + 1))
        assert abs(r.accuracy - theory) < 4 * math.sqrt(theory * (1 - theory) / r.n)
        costs.append(r.judge_queries / r.n)
        assert 5 < costs[-1] <= 5 * (depth + 1)  # stops at the first failed check
    assert costs == sorted(costs)
    assert oracle_bound(cell("recursive-every-level", 0.3, 2, 5)) is None
    assert oracle_bound(cell("recursive", 0.3, 2, 5, branching=4, search=1)) is None


def run(jobs: list[DebateJob]) -> list[Transcript]:
    return asyncio.run(run_many(jobs, concurrency=64))


def test_the_engine_judge_counts_its_queries() -> None:
    questions = treesum_questions(30, seed=2, branching=2, depth=3)
    judge = TreeSumJudge(oracle_error=0.2, queries=7)
    for i, q in enumerate(questions):
        t = asyncio.run(run_debate(q, RecursiveDebate(depth=3), TreeSumDebater(), judge, seed=i))
        assert t.verdict is not None and t.verdict.oracle_queries == 7
        every = asyncio.run(
            run_debate(q, RecursiveEveryLevel(depth=3), TreeSumDebater(), judge, seed=i)
        )
        assert every.verdict is not None and every.verdict.oracle_queries in (7, 14, 21, 28)
        naive = asyncio.run(run_debate(q, NaiveJudge(), {}, TreeSumJudge(budget=3), seed=i))
        assert naive.verdict is not None and naive.verdict.oracle_queries == 0  # no oracle
        oracle = TreeSumJudge(budget=3, oracle_error=0.1, queries=5)
        asked = asyncio.run(run_debate(q, NaiveJudge(), {}, oracle, seed=i))
        assert asked.verdict is not None
        assert asked.verdict.oracle_queries == (0 if asked.tie else 5)  # its one check


def test_an_oracle_that_never_errs_is_a_perfect_judge_and_one_always_wrong_inverts() -> None:
    for v, expected in ((0.0, 1.0), (1.0, 0.0)):
        c = cell("recursive", v, 2, 3)
        transcripts = run(engine_jobs(c, 40, seed=1))
        assert all(t.score == expected for t in transcripts)


def test_one_query_cells_keep_their_keys_and_debate_ids() -> None:
    """Cells of one query are the sweep's plain random-error cells, under the keys, seeds
    and debate ids they had before the oracle existed."""
    plain = SweepCell(protocol="recursive", error_model="random", epsilon=0.1, depth=2)
    assert "queries" not in json.loads(cell_key(plain))
    old_json = plain.model_dump_json(exclude=set(LATER_DEFAULTS))
    assert json.loads(cell_key(plain)) == json.loads(old_json)
    job = engine_jobs(plain, 1, seed=0)[0]
    assert job.debate_id.endswith(hashlib.sha256(old_json.encode()).hexdigest()[:12])
    assert "queries" not in job.cell
    assert "queries" in json.loads(cell_key(cell("recursive", 0.1, 2, 5)))


def test_the_grid_asks_the_oracle_only_under_the_random_model() -> None:
    config = SweepConfig(
        protocols=["recursive"],
        error_models=["random", "persuasion"],
        epsilons=[0.2],
        depths=[2],
        queries=[1, 5],
    )
    cells = [(c.error_model, c.queries) for c in config.cells()]
    assert cells == [("random", 1), ("random", 5), ("persuasion", 1)]
    with pytest.raises(ValueError, match="needs error_model 'random'"):
        SweepCell(protocol="recursive", error_model="systematic", epsilon=0.1, depth=2, queries=3)


def test_the_oracle_preset_reports_queries_and_the_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    code, _, err = run_cli(
        capsys, "eval", "--preset", "oracle-judges", "--quick", "--out", str(out)
    )
    assert code == 0, err
    rows = (out / "results.csv").read_text().splitlines()
    header = rows[0].split(",")
    assert "judge_queries" in header and "bound" in header and "queries" in header
    data = [dict(zip(header, r.split(","), strict=True)) for r in rows[1:]]
    recursive = [r for r in data if r["protocol"] == "recursive" and r["queries"] == "25"]
    assert {r["judge_queries"] for r in recursive} == {"25.0"}
    assert all(float(r["accuracy"]) >= float(r["bound"]) - 0.05 for r in recursive)
    assert (out / "plots" / "judge_queries_vs_depth.png").exists()
    assert "stochastic-oracle judge" in (out / "report.md").read_text()
