"""The vectorised simulator and the engine (protocol, debaters and judge classes) play the
same game: in every cell their accuracies agree, and both agree with theory where it exists."""

from __future__ import annotations

import asyncio
import math

import pytest

from debate.engine import run_many
from evals.metrics import wilson_interval
from evals.sweep.cells import SweepCell
from evals.sweep.engine_jobs import engine_jobs
from evals.sweep.simulate import simulate_cell
from evals.sweep.theory import theory_accuracy

CELLS = [
    SweepCell(protocol="recursive", error_model="random", epsilon=0.2, depth=4),
    SweepCell(protocol="recursive-every-level", error_model="random", epsilon=0.1, depth=3),
    SweepCell(protocol="consultancy", error_model="random", epsilon=0.0, depth=2),
    SweepCell(protocol="recursive", error_model="systematic", epsilon=0.05, depth=3),
    SweepCell(protocol="consultancy", error_model="systematic", epsilon=0.1, depth=2),
    SweepCell(protocol="recursive", error_model="persuasion", epsilon=0.3, depth=3),
    SweepCell(protocol="consultancy", error_model="persuasion", epsilon=0.3, depth=2),
    SweepCell(protocol="recursive", error_model="position", epsilon=0.4, depth=2),
    SweepCell(
        protocol="recursive", error_model="random", epsilon=0.0, depth=3, branching=4, search=1
    ),
    SweepCell(protocol="naive", error_model="random", epsilon=0.1, depth=1),
]
ENGINE_N = 500


@pytest.mark.parametrize("cell", CELLS, ids=lambda c: f"{c.protocol}-{c.error_model}-{c.depth}")
def test_engine_and_simulator_agree(cell: SweepCell) -> None:
    transcripts = asyncio.run(run_many(engine_jobs(cell, ENGINE_N, seed=21), concurrency=32))
    assert all(t.error is None for t in transcripts)
    engine = sum(t.correct for t in transcripts) / ENGINE_N
    sim = simulate_cell(cell, 20_000, seed=22)
    simulated = sim.correct / sim.n
    se = math.sqrt(max(simulated * (1 - simulated), 0.01) / ENGINE_N)
    assert abs(engine - simulated) <= 4 * se, f"engine {engine:.3f} vs simulator {simulated:.3f}"
    theory = theory_accuracy(cell)
    if theory is not None:
        low, high = wilson_interval(sum(t.correct for t in transcripts), ENGINE_N, 0.999)
        assert low <= theory <= high, f"engine [{low:.3f}, {high:.3f}] vs theory {theory:.3f}"
