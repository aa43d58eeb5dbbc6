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
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from rich.table import Table

from debate.components import Components
from debate.errors import ConfigError
from debate.models import GenerateRequest, GenerateResponse, ModelConfig
from debate.models.backend_specs import DRY_TARGET
from debate.registry import Spec
from debate.runner import InProcessExecutor, pending_jobs, run_jobs
from debate.types import Transcript, Usage
from evals.build import build_jobs
from evals.config import DebateRunConfig
from evals.datasets import load_questions
from transcripts.store import JsonlStore

CHARS_PER_TOKEN = 4
C = TypeVar("C", bound=DebateRunConfig)
__all__ = ["DRY_TARGET", "dry_reply", "plan_eval", "plan_table", "require_prices"]


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


def _specs(value: object) -> Iterator[Spec]:
    """Every spec inside a config, depth first (a model debater's preference ranker too)."""
    if isinstance(value, Spec):
        yield value
        for name in type(value).model_fields:
            yield from _specs(getattr(value, name))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _specs(item)
    elif isinstance(value, dict):
        for item in value.values():
            yield from _specs(item)


def model_specs(config: DebateRunConfig) -> list[Any]:
    """Every model role of an eval (debaters, best-of-N rankers, judges): the specs that
    name a ``model`` (a ``ModelConfig``)."""
    return [s for s in _specs(config) if isinstance(getattr(s, "model", None), ModelConfig)]


def require_prices(config: DebateRunConfig) -> None:
    """``--max-cost`` cannot stop a run whose cost it cannot measure: every model needs a price."""
    for spec in model_specs(config):
        if spec.model.resolved_price() is None:
            raise ConfigError(
                f"--max-cost needs a price for every model; none is known for "
                f"{spec.model.model!r}: set its model.price = {{ input_per_mtok = ..., "
                "output_per_mtok = ... }"
            )


def _planned(value: Any) -> Any:
    """``value`` with every spec that says how (``planned()``) replaced for a dry run, at
    any depth (a tournament's players hold their debaters); unchanged parts stay the same
    objects."""
    if isinstance(value, list):
        items = [_planned(item) for item in value]
        return value if all(a is b for a, b in zip(items, value, strict=True)) else items
    if isinstance(value, dict):
        found = {key: _planned(item) for key, item in value.items()}
        return value if all(found[k] is value[k] for k in value) else found
    if not isinstance(value, Spec):
        return value
    planned = getattr(value, "planned", None)
    if callable(planned):
        return value.model_copy(update=planned())
    inner = {name: _planned(getattr(value, name)) for name in type(value).model_fields}
    changed = {name: v for name, v in inner.items() if v is not getattr(value, name)}
    return value.model_copy(update=changed) if changed else value


def planning_config(config: C) -> C:
    """The same run with every model backend replaced by ``dry_reply`` and no cache."""
    planned: C = _planned(config)
    return planned


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
    config: DebateRunConfig,
    run_dir: Path | None = None,
    data_root: Path | None = None,
    *,
    retry_failed: bool = False,
) -> Plan:
    """The calls, tokens and estimated cost of running ``config`` (into ``run_dir``, whose
    stored debates are left out as ``--resume`` would; with ``retry_failed`` the failed ones
    are planned again, as ``--retry-failed`` would run them)."""
    questions = load_questions(config.dataset, data_root, config.limit)
    components = Components(data_root=data_root)
    jobs = build_jobs(planning_config(config), questions, components)
    store = JsonlStore(run_dir / "transcripts.jsonl") if run_dir else None
    pending = pending_jobs(jobs, store, retry_failed)
    executor = InProcessExecutor(256, components)
    transcripts = asyncio.run(run_jobs(pending, executor=executor, components=components))
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
