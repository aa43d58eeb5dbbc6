"""Turn a run config (an eval, a tournament) into data jobs, checking every compatibility
rule first.

Roles are built once here (by ``Components``) to check them against the questions before
anything is written; the same components can then run the jobs in process, so nothing is
built twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from debate.components import Components, RoleContext
from debate.errors import ConfigError
from debate.jobs import DebateJob, ProtocolSpec, SeatSpecs
from debate.positions import answer_orders, order_label
from debate.prompts import PromptSet
from debate.protocol import Protocol
from debate.registry import Spec, label
from debate.roles import Judge, QuestioningJudge
from debate.seeds import derive_seed
from debate.types import Question
from evals.config import DebateRunConfig


@dataclass(frozen=True)
class EvalCell:
    """One protocol x judge cell: its parameters (results group by them), the protocol
    built from its spec (to check and plan), and the specs the jobs carry."""

    params: dict[str, Any]
    protocol: Protocol
    protocol_spec: ProtocolSpec
    judge: Spec
    seats: SeatSpecs


def role_context(config: Any) -> RoleContext:
    """The prompts and quote policy every role of a run is built with (an eval's or a
    rejudge run's ``prompts`` and ``evidence``)."""
    from evals.presets import prompts_file  # lazy: presets import the sweep configs

    prompts = PromptSet.from_toml(prompts_file(config.prompts)) if config.prompts else None
    return RoleContext(prompts=prompts, evidence=config.evidence)


def _cell_id(cell: dict[str, Any]) -> str:
    blob = json.dumps(cell, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:12]


def eval_cells(config: DebateRunConfig) -> list[EvalCell]:
    """The protocol x judge x lineup cells of a run, in config order, each with its
    parameters (a lineup's labels, such as a tournament's honest and lying players, come
    after the judge)."""
    cells: list[EvalCell] = []
    seen: set[str] = set()
    for spec in config.protocols:
        protocol = spec.build()
        lineups = config.lineups(protocol)
        for judge_spec in config.judges:
            for lineup in lineups:
                cell = {
                    "protocol": protocol.name,
                    "judge": label(judge_spec),
                    **lineup.labels,
                    **protocol.settings(),
                }
                if _cell_id(cell) in seen:
                    raise ConfigError(f"cell {cell} is listed twice (repeat protocols or judges)")
                seen.add(_cell_id(cell))
                cells.append(EvalCell(cell, protocol, spec, judge_spec, lineup.seats))
    return cells


def _check_role(role: object, question: Question) -> None:
    check = getattr(role, "check_question", None)  # optional: roles tied to one domain
    if callable(check):
        check(question)


def check_compatible(
    cells: list[EvalCell],
    questions: list[Question],
    debaters: list[object],
    judges: Mapping[str, Judge],
) -> None:
    """Every compatibility rule, checked once when a run is built (before anything is
    written): the judge kind each protocol needs, answer counts against each question's
    options, and the domain each protocol and role plays (``check_question``). Each rule
    runs once per protocol, judge or cell it concerns, not once per combination."""
    for cell in cells:
        protocol, judge_spec = cell.protocol, cell.judge
        judge = judges[label(judge_spec)]
        if protocol.needs_questioning_judge() and not isinstance(judge, QuestioningJudge):
            raise ConfigError(
                f"protocol {protocol.name!r} needs a judge that asks questions (a model or "
                f"human judge); judge {label(judge_spec)!r} "
                f"({type(judge).__name__}) cannot"
            )
    protocols = {id(cell.protocol): cell.protocol for cell in cells}.values()
    debated = any(protocol.has_debaters() for protocol in protocols)
    for question in questions:
        for protocol in protocols:
            protocol.check_question(question)
        if debated:
            for debater in debaters:
                _check_role(debater, question)
        for judge in judges.values():
            _check_role(judge, question)


def build_jobs(
    config: DebateRunConfig,
    questions: list[Question],
    components: Components | None = None,
) -> list[DebateJob]:
    """Every protocol x judge cell over every question, in each answer order of
    ``config.position_swap`` (the orders of a question show the same answers), as data.

    The roles are built by ``components`` (default: a throwaway set) to check them first;
    pass the components that will run the jobs so they are built once (and so that a
    ready-made judge given to them, a human watching the debates, is the one checked).
    """
    context = role_context(config)
    components = components or Components()
    debaters = [components.build("debater", spec, context) for spec in config.debater_specs()]
    built = {label(j): components.build("judge", j, context) for j in config.judges}
    cells = eval_cells(config)
    check_compatible(cells, questions, debaters, built)
    jobs: list[DebateJob] = []
    for each in cells:
        cell, protocol = each.params, each.protocol
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
                        protocol=each.protocol_spec,
                        debaters=each.seats,
                        judge=each.judge,
                        seed=seed,
                        shown=tuple(shown),
                        cell=cell,
                        context=context,
                    )
                )
    if config.order == "question":  # stable: cells keep their order within a question
        rank = {question.id: i for i, question in enumerate(questions)}
        jobs.sort(key=lambda job: rank[job.question.id])
    return jobs
