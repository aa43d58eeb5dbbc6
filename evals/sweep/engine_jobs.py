"""Run a sweep cell through the real engine, debate by debate.

The vectorised simulator is what makes sweeps fast; this is the same game played by the
protocol, debater and judge classes, so a sweep can keep full transcripts for inspection and a
test can check that both implementations agree.
"""

from __future__ import annotations

import hashlib
import json

from debate.domains.treesum import treesum_questions
from debate.jobs import DebateJob, ProtocolSpec, SeatSpecs
from debate.protocol import Protocol
from debate.registry import Spec
from debate.seeds import derive_seed
from evals.sweep.cells import SweepCell
from evals.sweep.prover_estimator import best_shade_theory
from judges.errors import ErrorModel, Persuasion, PositionBias, RandomError, SystematicError
from judges.specs import ProverEstimatorSimSpec, TreeSumDebaterSpec, TreeSumJudgeSpec
from protocols import (
    NaiveJudge,
    ProverEstimatorDebate,
    RecursiveConsultancy,
    RecursiveDebate,
    RecursiveEveryLevel,
)


def error_model(cell: SweepCell) -> ErrorModel:
    if cell.error_model == "random":
        return RandomError(epsilon=cell.epsilon)
    if cell.error_model == "systematic":
        return SystematicError(rate=cell.epsilon, on="items")
    if cell.error_model == "persuasion":
        return Persuasion(strength=cell.epsilon, toward="last")
    return PositionBias(strength=cell.epsilon, toward="first")


def cell_protocol(cell: SweepCell) -> Protocol:
    if cell.protocol == "naive":
        return NaiveJudge()
    if cell.protocol == "prover-estimator":
        return ProverEstimatorDebate(
            depth=cell.depth, branching=cell.branching, reward_growth=cell.reward_growth
        )
    kind = {
        "consultancy": RecursiveConsultancy,
        "recursive": RecursiveDebate,
        "recursive-every-level": RecursiveEveryLevel,
    }[cell.protocol]
    return kind(depth=cell.depth, branching=cell.branching)


def engine_jobs(cell: SweepCell, n: int, seed: int) -> list[DebateJob]:
    """``n`` debates of ``cell`` as engine jobs (data), with the cell's parameters as their
    cell: the tree-sum judge and debaters are named by their registered kinds."""
    errors = error_model(cell)
    if cell.queries > 1:  # a stochastic oracle asked ``queries`` times per check
        judge = TreeSumJudgeSpec(
            budget=cell.judge_budget, oracle_error=cell.epsilon, queries=cell.queries
        )
    else:
        judge = TreeSumJudgeSpec(errors=[errors], budget=cell.judge_budget)
    if cell.aggregate != "all":
        raise ValueError(
            f"cell {cell.key_data()} has majority claims, which the engine's tree-sum domain "
            "(sums) cannot pose: only the simulator plays them"
        )
    blind = [errors] if cell.aware and isinstance(errors, SystematicError) else []
    debater: Spec = TreeSumDebaterSpec(search=cell.search, aware_of=blind)
    if cell.protocol == "prover-estimator":
        debater = ProverEstimatorSimSpec(
            search=cell.search,
            judge_error=cell.check_error,
            shade=best_shade_theory(cell),
            estimator=cell.estimator,
        )
    protocol = cell_protocol(cell)
    protocol_spec = ProtocolSpec(name=protocol.name, settings=protocol.model_dump(mode="json"))
    params = cell.key_data()
    questions = treesum_questions(n, seed, cell.branching, cell.depth)
    # The compact JSON pydantic wrote before ``queries`` existed: the same debate ids.
    identity = json.dumps(params, separators=(",", ":"))
    cell_id = hashlib.sha256(identity.encode()).hexdigest()[:12]
    return [
        DebateJob(
            debate_id=f"{q.id}:{cell_id}",
            question=q,
            protocol=protocol_spec,
            debaters=SeatSpecs(default=debater),
            judge=judge,
            seed=derive_seed(seed, q.id),
            cell=params,
        )
        for q in questions
    ]
