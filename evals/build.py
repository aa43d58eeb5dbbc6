"""Turn an ``EvalConfig`` into live debaters, judges and a list of debate jobs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from debate.batch import DebateJob
from debate.best_of_n import BestOfNDebater
from debate.debaters import ModelDebater
from debate.domains.evidence import EvidenceDebater
from debate.errors import ConfigError
from debate.imports import import_target
from debate.models import Backend, FunctionBackend, Model
from debate.positions import answer_orders, order_label
from debate.prompts import PromptSet
from debate.protocol import Protocol, build_protocol
from debate.quotes import EvidencePolicy
from debate.roles import Debater, Judge, QuestioningJudge
from debate.seeds import derive_seed
from debate.types import Question
from evals.config import (
    AnthropicBackendSpec,
    AnyBackend,
    AnyDebater,
    AnyJudge,
    CustomRoleSpec,
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
            extra_body=spec.extra_body,
        )
    if isinstance(spec, AnthropicBackendSpec):
        from debate.models.anthropic_backend import AnthropicBackend

        return AnthropicBackend(
            base_url=spec.base_url,
            api_key_env=spec.api_key_env,
            max_connections=spec.max_connections,
            sampling_in_body=spec.sampling_in_body,
            extra_body=spec.extra_body,
        )
    if isinstance(spec, LocalBackendSpec):
        from debate.models.local import LocalBackend, LocalModelSettings

        # One loaded model and batch worker per settings, shared by every role using it.
        return LocalBackend(LocalModelSettings(**spec.model_dump(exclude={"kind"})))
    fn = import_target(spec.target)
    if not callable(fn):
        raise ConfigError(f"backend target {spec.target!r} is not callable")
    return FunctionBackend(fn, name=spec.target, logprobs=spec.logprobs)


def build_model(spec: ModelRoleSpec) -> Model:
    return Model(build_backend(spec.backend), spec.model, name=spec.name)


def build_custom(spec: CustomRoleSpec, role: type[Debater] | type[Judge]) -> Any:
    """A user's role class by import path, built as ``Class(**settings)`` and checked to
    have the role's methods; any failure is one line naming the class."""
    target = import_target(spec.kind)
    what = role.__name__.lower()
    if not callable(target):
        raise ConfigError(f"{what} kind {spec.kind!r} is not a class or factory")
    try:
        built = target(**spec.settings)
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        reason = " ".join(str(exc).split())
        raise ConfigError(f"cannot build {what} {spec.kind!r}: {reason}") from None
    if not isinstance(built, role):
        raise ConfigError(
            f"{what} kind {spec.kind!r} built a {type(built).__name__}, which lacks the "
            f"{what} methods (async __call__(view) and describe())"
        )
    return built


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
    if isinstance(spec, CustomRoleSpec):
        debater: Debater = build_custom(spec, Debater)
        return debater
    return EvidenceDebater()


def judge_name(spec: AnyJudge) -> str:
    if isinstance(spec, HumanJudgeSpec):
        return f"human:{spec.id}"
    if isinstance(spec, ModelRoleSpec):
        return spec.name or spec.model.model
    if isinstance(spec, CustomRoleSpec):
        return spec.name or spec.kind
    return spec.name


def build_judge(spec: AnyJudge, prompts: PromptSet) -> Judge:
    if isinstance(spec, SimulatedJudgeSpec):
        return SimulatedJudge(spec.errors, weight=spec.weight, name=spec.name)
    if isinstance(spec, HumanJudgeSpec):
        # A person needs the terminal to themselves, one debate at a time, watching it run.
        raise ConfigError(f"judge human:{spec.id} judges with `debate judge --live`, not here")
    if isinstance(spec, CustomRoleSpec):
        judge: Judge = build_custom(spec, Judge)
        return judge
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


def _check_role(role: object, question: Question) -> None:
    check = getattr(role, "check_question", None)  # optional: roles tied to one domain
    if callable(check):
        check(question)


def check_compatible(
    cells: list[tuple[dict[str, Any], Protocol, AnyJudge]],
    questions: list[Question],
    debater: Debater,
    judges: Mapping[str, Judge],
) -> None:
    """Every compatibility rule, checked once when a run is built (before anything is
    written): the judge kind each protocol needs, answer counts against each question's
    options, and the domain each protocol and role plays (``check_question``). Each rule
    runs once per protocol, judge or cell it concerns, not once per combination."""
    for _, protocol, judge_spec in cells:
        judge = judges[judge_name(judge_spec)]
        if protocol.needs_questioning_judge() and not isinstance(judge, QuestioningJudge):
            raise ConfigError(
                f"protocol {protocol.name!r} needs a judge that asks questions (a model or "
                f"human judge); judge {judge_name(judge_spec)!r} "
                f"({type(judge).__name__}) cannot"
            )
    protocols = {id(protocol): protocol for _, protocol, _ in cells}.values()
    debated = any(protocol.has_debaters() for protocol in protocols)
    for question in questions:
        for protocol in protocols:
            protocol.check_question(question)
        if debated:
            _check_role(debater, question)
        for judge in judges.values():
            _check_role(judge, question)


def build_jobs(
    config: EvalConfig,
    questions: list[Question],
    make_protocol: Callable[[str, dict[str, Any]], Protocol] = build_protocol,
    judges: Mapping[str, Judge] | None = None,
) -> list[DebateJob]:
    """Every protocol x judge cell over every question, in each answer order of
    ``config.position_swap`` (the orders of a question show the same answers).

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
    cells = eval_cells(config, make_protocol)
    check_compatible(cells, questions, debater, built)
    jobs: list[DebateJob] = []
    for cell, protocol, judge_spec in cells:
        cell_id = _cell_id(cell)
        for question in questions:
            balanced = (
                None
                if config.position_swap == "random"
                else answer_orders(question, protocol.n_answers, config.seed, config.position_swap)
            )
            n_orders = 1 if balanced is None else len(balanced)
            for index in range(n_orders):
                tag = order_label(config.position_swap, index, n_orders)
                # The answer order is hashed, not spelled out: judges are handed the id.
                order = hashlib.sha256(f"{cell_id}|{question.id}|{tag}".encode()).hexdigest()
                debate_id = f"{cell_id}:{question.id}:{order[:8]}"
                seed = derive_seed(config.seed, debate_id)
                shown = (
                    balanced[index]
                    if balanced is not None
                    else answer_orders(question, protocol.n_answers, config.seed, "random", seed)[0]
                )
                jobs.append(
                    DebateJob(
                        debate_id=debate_id,
                        question=question,
                        protocol=protocol,
                        debaters=debater,
                        judge=built[judge_name(judge_spec)],
                        seed=seed,
                        shown=tuple(shown),
                        cell=cell,
                        evidence=config.evidence,
                    )
                )
    if config.order == "question":  # stable: cells keep their order within a question
        rank = {question.id: i for i, question in enumerate(questions)}
        jobs.sort(key=lambda job: rank[job.question.id])
    return jobs
