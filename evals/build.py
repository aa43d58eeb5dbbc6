"""Turn an ``EvalConfig`` into live debaters, judges and a list of debate jobs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

from debate.debaters import ModelDebater
from debate.domains.evidence import EvidenceDebater
from debate.engine import DebateJob
from debate.errors import ConfigError
from debate.imports import import_target
from debate.models import FunctionBackend, Model
from debate.prompts import PromptSet
from debate.protocol import Protocol, build_protocol
from debate.roles import Debater, Judge
from debate.seeds import derive_seed
from debate.types import Question
from evals.config import AnyDebater, AnyJudge, EvalConfig, ModelRoleSpec, SimulatedJudgeSpec
from judges.model_judge import ModelJudge
from judges.simulated import SimulatedJudge


def build_model(spec: ModelRoleSpec) -> Model:
    fn = import_target(spec.backend.target)
    if not callable(fn):
        raise ConfigError(f"backend target {spec.backend.target!r} is not callable")
    backend = FunctionBackend(fn, name=spec.backend.target)
    return Model(backend, spec.model, name=spec.name)


def build_debater(spec: AnyDebater, prompts: PromptSet) -> Debater:
    if isinstance(spec, ModelRoleSpec):
        return ModelDebater(build_model(spec), prompts)
    return EvidenceDebater()


def judge_name(spec: AnyJudge) -> str:
    if isinstance(spec, ModelRoleSpec):
        return spec.name or spec.model.model
    return spec.name


def build_judge(spec: AnyJudge, prompts: PromptSet) -> Judge:
    if isinstance(spec, SimulatedJudgeSpec):
        return SimulatedJudge(spec.errors, weight=spec.weight, name=spec.name)
    return ModelJudge(build_model(spec), prompts)


def _cell_id(cell: dict[str, Any]) -> str:
    blob = json.dumps(cell, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def eval_cells(
    config: EvalConfig,
    make_protocol: Callable[[str, dict[str, Any]], Protocol] = build_protocol,
) -> list[tuple[dict[str, Any], Protocol, AnyJudge]]:
    """The protocol x judge cells of an eval, in config order, each with its parameters."""
    cells: list[tuple[dict[str, Any], Protocol, AnyJudge]] = []
    seen: set[str] = set()
    for spec in config.protocols:
        protocol = make_protocol(spec.name, spec.settings)
        for judge_spec in config.judges:
            cell = {
                "protocol": protocol.name,
                "judge": judge_name(judge_spec),
                **protocol.settings(),
            }
            if _cell_id(cell) in seen:
                raise ConfigError(f"cell {cell} is listed twice (repeat protocols or judges)")
            seen.add(_cell_id(cell))
            cells.append((cell, protocol, judge_spec))
    return cells


def build_jobs(
    config: EvalConfig,
    questions: list[Question],
    make_protocol: Callable[[str, dict[str, Any]], Protocol] = build_protocol,
) -> list[DebateJob]:
    """Every protocol x judge cell over every question (x both answer orders)."""
    prompts = PromptSet.from_toml(config.prompts) if config.prompts else PromptSet()
    debater = build_debater(config.debater, prompts)
    judges = {judge_name(j): build_judge(j, prompts) for j in config.judges}
    swaps: list[bool | None] = [False, True] if config.position_swap == "both" else [None]
    jobs: list[DebateJob] = []
    for cell, protocol, judge_spec in eval_cells(config, make_protocol):
        cell_id = _cell_id(cell)
        for question in questions:
            for swap in swaps:
                debate_id = f"{cell_id}:{question.id}:{'' if swap is None else int(swap)}"
                jobs.append(
                    DebateJob(
                        debate_id=debate_id,
                        question=question,
                        protocol=protocol,
                        debaters=debater,
                        judge=judges[judge_name(judge_spec)],
                        seed=derive_seed(config.seed, debate_id),
                        swap=swap,
                        cell=cell,
                        evidence=config.evidence,
                    )
                )
    return jobs
