"""Planning and paying for model runs: ``--dry-run`` estimates, price checks, clean-up.

A dry run does not guess the schedule: it runs the very debates the eval would run (only
those not yet stored), with every model backend replaced by ``dry_reply``, an offline
stand-in whose replies are as long as ``max_tokens`` allows and always parse. So the planned
calls are exact (judge questions, best-of-N candidates and preference calls included; judge
re-asks excluded, since a dry reply always parses), input tokens are estimated at four
characters a token, and output tokens are the cap: the cost is an upper-bound estimate.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.table import Table

from debate.batch import DebateJob, run_many
from debate.errors import ConfigError
from debate.models import GenerateRequest, GenerateResponse, Model
from debate.types import Transcript, Usage
from evals.build import build_jobs
from evals.config import (
    EvalConfig,
    FunctionBackendSpec,
    ModelDebaterSpec,
    ModelJudgeSpec,
    ModelRoleSpec,
    OpenAIBackendSpec,
)
from evals.datasets import load_questions
from transcripts.store import JsonlStore

CHARS_PER_TOKEN = 4
DRY_TARGET = "evals.plan:dry_reply"
T = TypeVar("T")


def dry_reply(request: GenerateRequest) -> GenerateResponse:
    """A reply of ``max_tokens`` tokens that every role can use (and every judge parses)."""
    cap = request.sampling.max_tokens
    verdict = "Probabilities: A=0.5, B=0.5"
    text = " ".join(["word"] * max(0, cap - 12) + [verdict]) if cap > 12 else "A"
    prompt_chars = sum(len(m.content) for m in request.messages)
    extra: dict[str, Any] = {}
    if request.extra.get("logprobs"):
        top = [{"token": "A", "logprob": -0.69}, {"token": "B", "logprob": -0.69}]
        extra["logprobs"] = [{"token": "A", "logprob": -0.69, "top_logprobs": top}]
    usage = Usage(input_tokens=-(-prompt_chars // CHARS_PER_TOKEN), output_tokens=cap, calls=1)
    return GenerateResponse(text=text, usage=usage, finish_reason="length", extra=extra)


def model_specs(config: EvalConfig) -> list[ModelRoleSpec]:
    """Every model role of an eval: the debater, its best-of-N ranker, the model judges."""
    specs: list[object] = [config.debater, *config.judges]
    if isinstance(config.debater, ModelDebaterSpec) and config.debater.preference is not None:
        specs.append(config.debater.preference)
    return [spec for spec in specs if isinstance(spec, ModelRoleSpec)]


def require_prices(config: EvalConfig) -> None:
    """``--max-cost`` cannot stop a run whose cost it cannot measure: every model needs a price."""
    for spec in model_specs(config):
        if spec.model.resolved_price() is None:
            raise ConfigError(
                f"--max-cost needs a price for every model; none is known for "
                f"{spec.model.model!r}: set its model.price = {{ input_per_mtok = ..., "
                "output_per_mtok = ... }"
            )


def _dry(spec: ModelRoleSpec) -> dict[str, Any]:
    update: dict[str, Any] = {  # the name stays: it is part of the cells and debate ids
        "backend": FunctionBackendSpec(target=DRY_TARGET, logprobs=True),
        "model": spec.model.model_copy(update={"cache_dir": None}),
    }
    if isinstance(spec, ModelJudgeSpec) and spec.probabilities == "auto":
        logprobs = isinstance(spec.backend, OpenAIBackendSpec) and spec.backend.logprobs
        update["probabilities"] = "logprobs" if logprobs else "stated"
    if isinstance(spec, ModelDebaterSpec) and spec.preference is not None:
        update["preference"] = spec.preference.model_copy(update=_dry(spec.preference))
    return update


def planning_config(config: EvalConfig) -> EvalConfig:
    """The same eval with every model backend replaced by ``dry_reply`` and no cache."""
    debater = config.debater
    if isinstance(debater, ModelRoleSpec):
        debater = debater.model_copy(update=_dry(debater))
    judges = [
        j.model_copy(update=_dry(j)) if isinstance(j, ModelRoleSpec) else j for j in config.judges
    ]
    return config.model_copy(update={"debater": debater, "judges": judges})


@dataclass
class PlanRow:
    role: str
    name: str
    model: str
    usage: Usage = field(default_factory=Usage)
    priced: bool = True


@dataclass
class Plan:
    debates: int
    stored: int
    rows: list[PlanRow]

    @property
    def usage(self) -> Usage:
        return sum((row.usage for row in self.rows), Usage())


def _tally(transcripts: Iterable[Transcript], prices: dict[str, bool]) -> list[PlanRow]:
    rows: dict[tuple[str, str], PlanRow] = {}

    def add(role: str, name: str, model: str | None, usage: Usage) -> None:
        label = model or name if name == f"function:{model}" else f"{name} ({model})"
        row = rows.setdefault((role, name), PlanRow(role, label, model or "", priced=True))
        row.usage += usage
        row.priced = prices.get(model or "", False)

    for t in transcripts:
        for turn in t.turns:
            agent = t.judge if turn.kind == "judge_question" else t.debaters.get(turn.speaker)
            if agent is not None:
                role = "judge" if turn.kind == "judge_question" else "debater"
                add(role, agent.name, agent.model, turn.usage)
        if t.verdict is not None:
            add("judge", t.judge.name, t.judge.model, t.verdict.usage)
    return list(rows.values())


def plan_eval(
    config: EvalConfig,
    run_dir: Path | None = None,
    data_root: Path | None = None,
    *,
    retry_failed: bool = False,
) -> Plan:
    """The calls, tokens and estimated cost of running ``config`` (into ``run_dir``, whose
    stored debates are left out as ``--resume`` would; with ``retry_failed`` the failed ones
    are planned again, as ``--retry-failed`` would run them)."""
    questions = load_questions(config.dataset, data_root)
    jobs = build_jobs(planning_config(config), questions)
    store = JsonlStore(run_dir / "transcripts.jsonl") if run_dir else None
    stored = store.ids() if store else set()
    if store and retry_failed:
        stored -= store.failed_ids()
    pending = [job for job in jobs if job.debate_id not in stored]
    transcripts = asyncio.run(closing(pending, run_many(pending, concurrency=256)))
    failed = [t for t in transcripts if t.error]
    if failed:
        raise ConfigError(f"dry run of debate {failed[0].debate_id} failed: {failed[0].error}")
    prices = {s.model.model: s.model.resolved_price() is not None for s in model_specs(config)}
    return Plan(
        debates=len(pending), stored=len(jobs) - len(pending), rows=_tally(transcripts, prices)
    )


def plan_table(plan: Plan, title: str) -> Table:
    table = Table(title=f"dry run: {title}")
    for name in (
        "role",
        "model",
        "calls",
        "input tokens (est.)",
        "output tokens (max)",
        "cost USD (est.)",
    ):
        table.add_column(name, justify="left" if name in ("role", "model") else "right")
    for row in plan.rows:
        cost = f"{row.usage.cost_usd:.4f}" if row.priced else "no price"
        table.add_row(
            row.role,
            row.name,
            str(row.usage.calls),
            str(row.usage.input_tokens),
            str(row.usage.output_tokens),
            cost,
        )
    total = plan.usage
    table.add_row(
        "total",
        "",
        str(total.calls),
        str(total.input_tokens),
        str(total.output_tokens),
        f"{total.cost_usd:.4f}",
    )
    return table


def models_of(jobs: Iterable[DebateJob]) -> list[Model]:
    """Every distinct ``Model`` the jobs' debaters and judges hold (to close them)."""
    found: dict[int, Model] = {}

    def visit(role: object, depth: int = 0) -> None:
        if isinstance(role, Model):
            found.setdefault(id(role), role)
        elif depth < 3 and role is not None:
            for attr in ("model", "base", "preference"):
                visit(getattr(role, attr, None), depth + 1)

    for job in jobs:
        debaters = job.debaters.values() if isinstance(job.debaters, dict) else [job.debaters]
        for role in [*debaters, job.judge]:
            visit(role)
    return list(found.values())


async def closing(jobs: list[DebateJob], work: Coroutine[Any, Any, T]) -> T:
    """Await ``work``, then close every model of ``jobs`` on the same event loop (their HTTP
    connections belong to it)."""
    try:
        return await work
    finally:
        for model in models_of(jobs):
            await model.aclose()
