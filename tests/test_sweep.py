"""The judge-error x depth sweep: simulator rules, closed forms, configs, resume and outputs."""

from __future__ import annotations

import csv
import itertools
import json
import math
import random
from pathlib import Path

import numpy as np
import pytest

from debate.errors import ConfigError
from evals.config import EvalConfig
from evals.experiments import load_run_config
from evals.metrics import wilson_interval, wilson_score_interval
from evals.sweep.cells import SweepCell
from evals.sweep.grid import SweepConfig, parse_sweep_config
from evals.sweep.report import COLUMNS, sweep_rows
from evals.sweep.runner import CELLS, CellRecord, cell_key, load_records, run_sweep
from evals.sweep.simulate import simulate_cell
from evals.sweep.theory import theory_accuracy
from tests.test_cli_errors import assert_one_line_error, debate

REQUIRED = [*COLUMNS, "theory"]


def cell(**kw: object) -> SweepCell:
    base = {"protocol": "recursive", "error_model": "random", "epsilon": 0.0, "depth": 2}
    return SweepCell.model_validate({**base, **kw})


def within(successes: int, n: int, expected: float, sds: float = 4.0) -> bool:
    se = math.sqrt(expected * (1 - expected) / n)
    return abs(successes / n - expected) <= sds * se + 1e-12


# --- the simulator's rules -------------------------------------------------------------------


@pytest.mark.parametrize("branching", [2, 3])
def test_perfect_judge_with_full_search_is_always_right(branching: int) -> None:
    for depth in range(1, 9 if branching == 2 else 6):
        for protocol in ("recursive", "recursive-every-level"):
            c = cell(protocol=protocol, epsilon=0.0, depth=depth, branching=branching)
            result = simulate_cell(c, 2000, seed=depth)
            assert result.correct == result.n, c


@pytest.mark.parametrize(("branching", "depth"), [(2, 1), (2, 3), (3, 2)])
def test_lying_consultant_is_caught_with_probability_q_to_the_d(branching: int, depth: int) -> None:
    c = cell(protocol="consultancy", epsilon=0.0, depth=depth, branching=branching)
    r = simulate_cell(c, 20000, seed=1)
    assert r.correct_honest == r.claimant_honest  # an honest consultant always wins
    liars = r.n - r.claimant_honest
    assert within(r.correct - r.correct_honest, liars, (1 / branching) ** depth)


@pytest.mark.parametrize(
    ("kw", "expected"),
    [
        ({"epsilon": 0.2, "depth": 5}, 0.8),
        ({"error_model": "persuasion", "epsilon": 0.4, "depth": 4}, 0.8),
        ({"error_model": "position", "epsilon": 0.4, "depth": 4}, 0.8),
        ({"protocol": "recursive-every-level", "epsilon": 0.1, "depth": 3}, 0.9**4),
        ({"error_model": "systematic", "epsilon": 0.1, "depth": 2}, 0.9**4),
        ({"protocol": "consultancy", "error_model": "persuasion", "epsilon": 1.0}, 0.5),
        ({"protocol": "naive", "judge_budget": 8, "depth": 3, "epsilon": 0.25}, 0.75),
        (
            {
                "protocol": "naive",
                "error_model": "systematic",
                "depth": 1,
                "judge_budget": 2,
                "epsilon": 1,
            },
            0,
        ),
    ],
)
def test_error_model_rates(kw: dict[str, object], expected: float) -> None:
    r = simulate_cell(cell(**kw), 10000, seed=3)
    assert r.ties == 0
    low, high = wilson_interval(r.correct, r.n)
    assert within(r.correct, r.n, expected), (r.accuracy, low, high)


def test_naive_judge_with_one_leaf_is_near_chance_on_big_trees() -> None:
    r = simulate_cell(cell(protocol="naive", epsilon=0.0, depth=8), 20000, seed=0)
    assert abs(r.accuracy - 0.5) < 0.03
    assert r.claimant_honest == 0  # no claimant in the naive protocol


def exact_tie_rate_one_leaf_of_two() -> float:
    """P(tie) for the naive judge reading 1 of N = 2 leaves: its estimate 2*v_i is halfway
    between T = v_i + v_j and T + delta iff v_i - v_j = delta/2, for delta in +-1..9."""
    values = np.concatenate(
        [v.ravel() for v in _kinds(*np.meshgrid(np.arange(1, 100), np.arange(1, 100)))]
    )
    shifted = values - values.min()
    p = np.bincount(shifted) / values.size
    diff = np.correlate(p, p, mode="full")  # P(v_i - v_j = m) at index m + len(p) - 1
    zero = len(p) - 1
    return float(sum(diff[zero + m] for m in (1, 2, 3, 4)) / 9)  # 4 even |delta| of 18, x2


def _kinds(x: np.ndarray, y: np.ndarray) -> list[np.ndarray]:
    return [x + y, x - y, x * y, x % y]


@pytest.mark.parametrize("model", ["random", "position", "systematic"])
def test_naive_ties_are_counted_apart_and_score_half(model: str) -> None:
    """An estimate exactly halfway scores 1/2 whatever the errors do (as ``Verdict.score``
    scores the engine judge's 50/50 verdict), at the exact tie rate."""
    r = simulate_cell(cell(protocol="naive", error_model=model, epsilon=1.0, depth=1), 400_000, 5)
    assert within(r.ties, r.n, exact_tie_rate_one_leaf_of_two())
    assert r.accuracy == (r.correct + r.ties / 2) / r.n
    # Certain inversion (random, systematic) or certain bias to the first answer (position)
    # decides every non-tie, never a tie.
    decided = r.n - r.ties
    expected = {"random": 0.49, "systematic": 0.49, "position": 0.5}[model]
    assert abs(r.correct / decided - expected) < 0.01, r
    assert r.overridden == (decided if model == "position" else 0)


def test_simulation_is_deterministic_in_the_seed() -> None:
    c = cell(protocol="recursive-every-level", error_model="random", epsilon=0.2, depth=5)
    assert simulate_cell(c, 3000, 7) == simulate_cell(c, 3000, 7)
    assert simulate_cell(c, 3000, 7) != simulate_cell(c, 3000, 8)


# --- a plain one-debate-at-a-time reference, straight from the doc ----------------------------


def reference_debate(c: SweepCell, rng: random.Random) -> bool:
    """One debate by the doc's rules with an explicit blind mask: slow, obviously right."""
    b, d, eps = c.branching, c.depth, c.epsilon
    if c.protocol == "naive":
        leaves = [rng.randint(1, 99) for _ in range(2 * c.leaves)]
        kinds = [rng.randrange(4) for _ in range(c.leaves)]
        values = [
            (x + y, x - y, x * y, x % y)[k]
            for k, x, y in zip(kinds, leaves[::2], leaves[1::2], strict=True)
        ]
        total, delta = sum(values), rng.choice([v for v in range(-9, 10) if v])
        sample = rng.sample(values, min(c.judge_budget, c.leaves))
        estimate = c.leaves * sum(sample) / len(sample)
        to_true, to_wrong = abs(estimate - total), abs(estimate - total - delta)
        right = rng.random() < 0.5 if to_true == to_wrong else to_true < to_wrong
        if c.error_model in ("random", "systematic") and rng.random() < eps:
            right = not right
        honest = False
    else:
        blind = [c.error_model == "systematic" and rng.random() < eps for _ in range(c.leaves)]
        honest = rng.random() < 0.5
        claim_true, lo, size, early = honest, 0, c.leaves, None
        for _ in range(d):
            level_check = c.protocol == "recursive-every-level" and c.error_model == "random"
            if level_check and rng.random() < eps:
                early = not claim_true  # the side right at this level loses
                break
            size //= b
            kids = [lo + j * size for j in range(b)]
            blind_kids = [j for j in range(b) if any(blind[kids[j] : kids[j] + size])]
            steer = rng.choice(blind_kids) if blind_kids and c.aware else rng.randrange(b)
            if c.protocol == "consultancy":
                pick = rng.randrange(b)
            elif claim_true or c.search is None:
                pick = steer
            else:
                order = rng.sample(range(b), b)
                examined, rest = order[: c.search], order[c.search :]
                pick = steer if steer in examined or not rest else rng.choice(rest)
            claim_true = claim_true or pick != steer
            lo = kids[pick]
        if early is None:
            wrong = rng.random() < eps if c.error_model == "random" else blind[lo]
            early = claim_true != wrong
        right = early == honest
    if c.error_model == "position" and rng.random() < eps:
        return rng.random() < 0.5
    if c.error_model == "persuasion" and c.protocol != "naive" and rng.random() < eps:
        return honest if c.protocol == "consultancy" else not honest
    return right


@pytest.mark.parametrize(
    "kw",
    [
        {"protocol": "consultancy", "error_model": "systematic", "epsilon": 0.2, "depth": 3},
        {"error_model": "systematic", "epsilon": 0.1, "depth": 3, "branching": 3, "search": 1},
        {"error_model": "systematic", "epsilon": 0.1, "depth": 3, "aware": False},
        {"protocol": "recursive-every-level", "epsilon": 0.1, "branching": 3, "search": 1},
        {
            "protocol": "recursive-every-level",
            "error_model": "systematic",
            "epsilon": 0.05,
            "depth": 3,
            "branching": 3,
            "search": 0,
        },
        {"error_model": "persuasion", "epsilon": 0.3, "depth": 3, "branching": 4, "search": 1},
        {"protocol": "naive", "epsilon": 0.1, "depth": 3, "judge_budget": 3},
        {"protocol": "naive", "error_model": "position", "epsilon": 0.3, "branching": 3},
        {"protocol": "consultancy", "error_model": "position", "epsilon": 0.3, "branching": 3},
    ],
    ids=lambda kw: "-".join(f"{v}" for v in kw.values()),
)
def test_vectorised_matches_reference(kw: dict[str, object]) -> None:
    c = cell(**kw)
    rng, n_ref = random.Random(11), 3000
    ref = sum(reference_debate(c, rng) for _ in range(n_ref)) / n_ref
    r = simulate_cell(c, 20000, seed=11)
    pooled = (ref * n_ref + r.correct) / (n_ref + r.n)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n_ref + 1 / r.n))
    assert abs(ref - r.accuracy) <= 4 * se + 1e-9, (ref, r.accuracy)


# --- closed forms -----------------------------------------------------------------------------


def test_theory_lies_in_the_confidence_interval_of_the_simulation() -> None:
    grid = itertools.product(
        ["consultancy", "recursive", "recursive-every-level"],
        ["random", "systematic", "persuasion", "position"],
        [0.0, 0.1, 0.3],
        [1, 2, 4, 6],
        [2, 3],
        [None, 1],
    )
    inside = total = 0
    for i, (protocol, model, eps, depth, b, search) in enumerate(grid):
        c = SweepCell(
            protocol=protocol,
            error_model=model,
            epsilon=eps,
            depth=depth,
            branching=b,
            search=search,
        )
        theory = theory_accuracy(c)
        if theory is None:
            continue
        r = simulate_cell(c, 4000, seed=i)
        low, high = wilson_interval(r.correct, r.n)
        total += 1
        inside += low <= theory <= high
        assert within(r.correct, r.n, theory), (c, r.accuracy, theory)
    assert total > 250
    assert inside >= 0.9 * total, (inside, total)


def test_naive_theory_once_the_budget_reads_every_leaf() -> None:
    """Budget >= N: the estimate is the total (distinct leaves), only the errors remain."""
    grid = itertools.product(
        ["random", "systematic", "persuasion", "position"], [0.0, 0.2], [1, 2, 3], [0, 1, 5]
    )
    for i, (model, eps, depth, extra) in enumerate(grid):
        c = cell(protocol="naive", error_model=model, epsilon=eps, depth=depth)
        c = c.model_copy(update={"judge_budget": c.leaves + extra})
        theory = theory_accuracy(c)
        assert theory is not None
        r = simulate_cell(c, 4000, seed=i)
        assert r.ties == 0 and within(r.correct, r.n, theory), (c, r.accuracy, theory)
    assert theory_accuracy(cell(protocol="naive", judge_budget=4, depth=2, epsilon=0.2)) == 0.8
    assert theory_accuracy(cell(protocol="naive", judge_budget=3, depth=2, epsilon=0.2)) is None


def test_theory_is_none_where_the_doc_has_no_closed_form() -> None:
    none = [
        cell(protocol="naive"),
        cell(protocol="consultancy", error_model="systematic", epsilon=0.1),
        cell(protocol="recursive-every-level", epsilon=0.1, branching=3, search=1),
        cell(error_model="systematic", epsilon=0.1, aware=False),
        cell(error_model="systematic", epsilon=0.1, branching=3, search=0),
        cell(error_model="persuasion", epsilon=0.1, branching=3, search=0),
    ]
    assert [theory_accuracy(c) for c in none] == [None] * len(none)
    assert theory_accuracy(cell(epsilon=0.2, depth=7)) == pytest.approx(0.8)
    assert theory_accuracy(
        cell(protocol="recursive-every-level", epsilon=0.1, depth=3)
    ) == pytest.approx(0.9**4)


# --- configs ----------------------------------------------------------------------------------

GRID = {"protocols": ["recursive"], "error_models": ["random"], "epsilons": [0.1], "depths": [2]}


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"colour": "blue"}, ["unknown parameter 'colour'"]),
        ({"epsilons": []}, ["epsilons", "empty range"]),
        ({"depths": []}, ["depths", "empty range"]),
        ({"epsilons": [0.1, 1.5]}, ["epsilon 1.5", "[0, 1]"]),
        ({"epsilons": [-0.2]}, ["epsilon -0.2"]),
        ({"depths": [0]}, ["depth 0"]),
        ({"protocols": ["debate"]}, ["protocols.0"]),
    ],
)
def test_bad_grid_is_one_config_error_line(change: dict[str, object], needles: list[str]) -> None:
    with pytest.raises(ConfigError) as info:
        parse_sweep_config({**GRID, **change}, "sweep.toml")
    message = str(info.value)
    assert "\n" not in message and message.startswith("sweep.toml: ")
    for needle in needles:
        assert needle in message


def test_cells_are_the_full_product_in_order() -> None:
    config = SweepConfig.model_validate(
        {**GRID, "protocols": ["naive", "recursive"], "epsilons": [0, 0.5], "branching": [2, 3]}
    )
    cells = config.cells()
    assert len(cells) == 2 * 1 * 2 * 1 * 2
    assert [(c.protocol, c.epsilon, c.branching) for c in cells[:3]] == [
        ("naive", 0, 2),
        ("naive", 0, 3),
        ("naive", 0.5, 2),
    ]
    quick = config.model_copy(update={"quick_depths": [1]}).quick()
    assert quick.debates_per_cell == 200 and quick.depths == [1]


def write_toml(path: Path, **settings: object) -> Path:
    lines = ['type = "sweep"', 'name = "tiny"']
    lines += [f"{k} = {json.dumps(v)}" for k, v in settings.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


TINY = {
    "protocols": ["recursive", "consultancy"],
    "error_models": ["random", "systematic"],
    "epsilons": [0, 0.2],
    "depths": [1, 3],
    "debates_per_cell": 300,
    "workers": 1,
}


def test_load_run_config_dispatches_on_type(tmp_path: Path) -> None:
    assert isinstance(load_run_config(write_toml(tmp_path / "s.toml", **TINY)), SweepConfig)
    plain = tmp_path / "e.toml"
    plain.write_text('[[protocols]]\nname = "naive"\n[[judges]]\nkind = "simulated"\n')
    assert isinstance(load_run_config(plain), EvalConfig)  # no type: an eval


@pytest.mark.parametrize(
    ("change", "needles"),
    [
        ({"colour": "blue"}, ["unknown parameter 'colour'"]),
        ({"epsilons": []}, ["epsilons", "empty range"]),
        ({"epsilons": [0.1, 2]}, ["epsilon 2", "outside [0, 1]"]),
    ],
)
def test_bad_grid_via_cli(tmp_path: Path, change: dict[str, object], needles: list[str]) -> None:
    bad = write_toml(tmp_path / "bad.toml", **{**TINY, **change})
    proc = debate("run", "--config", bad, "--out", tmp_path / "run")
    assert_one_line_error(proc, *needles)
    assert not (tmp_path / "run").exists()


# --- runs: resume, outputs, CLI ---------------------------------------------------------------


def tiny_config(**change: object) -> SweepConfig:
    return SweepConfig.model_validate({**TINY, **change})


def test_resume_after_a_torn_write_runs_every_cell_exactly_once(tmp_path: Path) -> None:
    config = tiny_config()
    whole = tmp_path / "whole"
    run_sweep(config, whole, report=False)
    full_lines = (whole / CELLS).read_text().splitlines()
    assert len(full_lines) == len(config.cells())

    run = tmp_path / "killed"
    run_sweep(config, run, report=False)
    half = full_lines[: len(full_lines) // 2]
    torn = full_lines[len(half)][:25]
    (run / CELLS).write_text("\n".join(half) + "\n" + torn)
    with pytest.raises(ConfigError, match="--resume"):
        run_sweep(config, run)
    outcome = run_sweep(config, run, resume=True, report=False)
    assert outcome.ran == len(full_lines) - len(half) and outcome.skipped == len(half)

    records, bad = load_records(run / CELLS)
    assert bad == 1  # the torn line, isolated on its own line and skipped
    keys = [cell_key(r.cell) for r in records]
    assert sorted(keys) == sorted(cell_key(c) for c in config.cells())
    lines = [line for line in (run / CELLS).read_text().splitlines() if line != torn]
    assert len(lines) == len(keys)  # nothing ran twice
    # Seeds come from the cell, not the schedule: the resumed run equals the uninterrupted one.
    assert {json.dumps(json.loads(x) | {"seconds": 0}) for x in lines} == {
        json.dumps(json.loads(x) | {"seconds": 0}) for x in full_lines
    }

    with pytest.raises(ConfigError, match="different config"):
        run_sweep(tiny_config(debates_per_cell=100), run, resume=True)


def test_worker_pool_gives_the_same_results(tmp_path: Path) -> None:
    inline = run_sweep(tiny_config(), tmp_path / "inline", report=False)
    pooled = run_sweep(tiny_config(workers=2), tmp_path / "pool", report=False, pool_after=0)
    assert inline.ran == pooled.ran and inline.pooled == 0 and pooled.pooled > 0

    def counts(run: Path) -> dict[str, int]:
        return {cell_key(r.cell): r.correct for r in load_records(run / CELLS)[0]}

    assert counts(tmp_path / "inline") == counts(tmp_path / "pool")


def check_outputs(run: Path, cells: int) -> None:
    with (run / "results.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0])[: len(REQUIRED)] == REQUIRED
    assert "theory_in_ci" in rows[0] and len(rows) == cells
    data = json.loads((run / "results.json").read_text())
    assert list(data[0])[: len(REQUIRED)] == REQUIRED and len(data) == cells
    assert any(r["theory"] is None for r in data) == any(r["theory"] == "" for r in rows)
    report = (run / "report.md").read_text()
    assert "accuracy (theory)" in report and "plots/accuracy_vs_depth.png" in report
    for name in ("accuracy_vs_depth.png", "heatmap.png"):
        assert (run / "plots" / name).read_bytes()[:4] == b"\x89PNG"


def test_report_scores_a_tie_half_and_shows_ties() -> None:
    c = cell(protocol="naive", epsilon=0.0, depth=1)
    (row,) = sweep_rows(None, [CellRecord(cell=c, n=100, correct=40, ties=3)])
    assert row["accuracy"] == pytest.approx(0.415) and row["ties"] == 3
    assert row["ci_low"] < 0.415 < row["ci_high"]
    from scipy.stats import binomtest

    for k in (0, 41, 100):  # whole counts: exactly scipy's Wilson interval
        ci = binomtest(k, 100).proportion_ci(method="wilson")
        assert wilson_score_interval(k, 100) == pytest.approx((ci.low, ci.high), abs=1e-12)
    low, high = wilson_score_interval(41.5, 100)
    assert wilson_interval(41, 100)[0] < low < wilson_interval(42, 100)[0]
    assert wilson_interval(41, 100)[1] < high < wilson_interval(42, 100)[1]


def test_tiny_sweep_and_report_rebuild_via_cli(tmp_path: Path) -> None:
    run = tmp_path / "run"
    outcome = run_sweep(tiny_config(), run)
    check_outputs(run, cells=16)
    assert json.loads((run / "results.json").read_text()) == outcome.rows
    assert all(r["theory_in_ci"] for r in outcome.rows if r["error_model"] == "random")
    for name in ("results.csv", "results.json", "report.md"):
        (run / name).unlink()
    proc = debate("report", run)
    assert proc.returncode == 0, proc.stderr
    assert "accuracy (theory)" in proc.stdout
    check_outputs(run, cells=16)
    assert json.loads((run / "results.json").read_text()) == outcome.rows


def test_quick_preset_via_cli(tmp_path: Path) -> None:
    run = tmp_path / "quick"
    proc = debate("eval", "--preset", "judge-error-depth", "--quick", "--out", run)
    assert proc.returncode == 0, proc.stderr
    assert "recursive-every-level" in proc.stdout and "wall time" in proc.stdout
    check_outputs(run, cells=4 * 3 * 6 * 8)
    assert json.loads((run / "config.json").read_text())["debates_per_cell"] == 200
