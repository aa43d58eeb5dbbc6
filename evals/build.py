"""Turn an ``EvalConfig`` into live debaters, judges and a list of debate jobs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from debate.best_of_n import BestOfNDebater
from debate.debaters import ModelDebater
from debate.domains.evidence import EvidenceDebater
from debate.engine import DebateJob
from debate.errors import ConfigError
from debate.imports import import_target
from debate.models import Backend, FunctionBackend, Model
from debate.prompts import PromptSet
from debate.protocol import Protocol, build_protocol
from debate.roles import Debater, Judge
from debate.seeds import derive_seed
from debate.types import Question
from evals.config import (
    AnthropicBackendSpec,
    AnyBackend,
    AnyDebater,
    AnyJudge,
    EvalConfig,
    HumanJudgeSpec,
    LocalBackendSpec,
    ModelDebaterSpec,
    ModelJudgeSpec,
    ModelRoleSpec,
    OpenAIBackendSpec,
    SimulatedJudgeSpec,
)
from judges.model_judge import ModelJudge
from judges.simulated import SimulatedJudge
from transcripts.evidence import EvidencePolicy


def build_backend(spec: AnyBackend) -> Backend:
    """The backend a spec names; provider SDKs are imported only for their own kind."""
    if isinstance(spec, OpenAIBackendSpec):
        from debate.models.openai_backend import OpenAIBackend

        return OpenAIBackend(
            base_url=spec.base_url,
            api_key_env=spec.api_key_env,
            max_connections=spec.max_connections,
            logprobs=spec.logprobs,
            max_tokens_param=spec.max_tokens_param,
        )
    if isinstance(spec, AnthropicBackendSpec):
        from debate.models.anthropic_backend import AnthropicBackend

        return AnthropicBackend(
            base_url=spec.base_url,
            api_key_env=spec.api_key_env,
            max_connections=spec.max_connections,
            sampling_in_body=spec.sampling_in_body,
        )
    if isinstance(spec, LocalBackendSpec):
        from debate.models.local import LocalBackend, LocalModelSettings

        # One loaded model and batch worker per settings, shared by every role using it.
        return LocalBackend(LocalModelSettings(**spec.model_dump(exclude={"kind"})))
    fn = import_target(spec.target)
    if not callable(fn):
        raise ConfigError(f"backend target {spec.target!r} is not callable")
    return FunctionBackend(fn, name=spec.target)


def build_model(spec: ModelRoleSpec) -> Model:
    return Model(build_backend(spec.backend), spec.model, name=spec.name)


def build_debater(
    spec: AnyDebater, prompts: PromptSet, evidence: EvidencePolicy | None = None
) -> Debater:
    if isinstance(spec, ModelDebaterSpec) and spec.best_of > 1:
        model = build_model(spec)
        ranker = build_model(spec.preference) if spec.preference else model
        base = ModelDebater(model, prompts)
        return BestOfNDebater(base, spec.best_of, ModelJudge(ranker, prompts), evidence)
    if isinstance(spec, ModelRoleSpec):
        return ModelDebater(build_model(spec), prompts)
    return EvidenceDebater()


def judge_name(spec: AnyJudge) -> str:
    if isinstance(spec, HumanJudgeSpec):
        return f"human:{spec.id}"
    if isinstance(spec, ModelRoleSpec):
        return spec.name or spec.model.model
    return spec.name


def build_judge(spec: AnyJudge, prompts: PromptSet) -> Judge:
    if isinstance(spec, SimulatedJudgeSpec):
        return SimulatedJudge(spec.errors, weight=spec.weight, name=spec.name)
    if isinstance(spec, HumanJudgeSpec):
        # A person needs the terminal to themselves, one debate at a time, watching it run.
        raise ConfigError(f"judge human:{spec.id} judges with `debate judge --live`, not here")
    if isinstance(spec, ModelJudgeSpec):
        return ModelJudge(
            build_model(spec),
            prompts,
            probabilities=spec.probabilities,
            max_reasks=spec.max_reasks,
        )
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
    judges: Mapping[str, Judge] | None = None,
) -> list[DebateJob]:
    """Every protocol x judge cell over every question (x both answer orders).

    ``judges`` gives ready-made judges by name, used instead of building them from the
    config (a human judge whose screen the caller also uses to watch the debates).
    """
    from evals.presets import prompts_file  # lazy: presets import the sweep configs

    prompts = PromptSet.from_toml(prompts_file(config.prompts)) if config.prompts else PromptSet()
    debater = build_debater(config.debater, prompts, config.evidence)
    given = dict(judges or {})
    built = {
        judge_name(j): given.get(judge_name(j)) or build_judge(j, prompts) for j in config.judges
    }
    swaps: list[bool | None] = [False, True] if config.position_swap == "both" else [None]
    jobs: list[DebateJob] = []
    for cell, protocol, judge_spec in eval_cells(config, make_protocol):
        cell_id = _cell_id(cell)
        for question in questions:
            for swap in swaps:
                # The answer order is hashed, not spelled out: judges are handed the id.
                order = hashlib.sha256(f"{cell_id}|{question.id}|{swap}".encode()).hexdigest()
                debate_id = f"{cell_id}:{question.id}:{order[:8]}"
                jobs.append(
                    DebateJob(
                        debate_id=debate_id,
                        question=question,
                        protocol=protocol,
                        debaters=debater,
                        judge=built[judge_name(judge_spec)],
                        seed=derive_seed(config.seed, debate_id),
                        swap=swap,
                        cell=cell,
                        evidence=config.evidence,
                    )
                )
    if config.order == "question":  # stable: cells keep their order within a question
        rank = {question.id: i for i, question in enumerate(questions)}
        jobs.sort(key=lambda job: rank[job.question.id])
    return jobs
