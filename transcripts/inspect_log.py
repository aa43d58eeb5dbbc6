"""A run's debates as an inspect_ai eval log (``debate export RUN --format inspect OUT``).

inspect_ai's log format is what many evaluation researchers read and browse (``inspect
view``); writing it lets them inspect debates with the tools they have. The mapping:

- the run is one eval (task ``debate-lab/<run name>``), its config kept in the eval's
  metadata; ``model`` names the judge's model (``debate-lab/<name>`` for a simulated judge;
  ``debate-lab/several-judges`` when the run has more, all listed in the metadata);
- a debate is a sample (id = debate id): ``input`` the question with its shown answers,
  ``choices`` the shown answers, ``target`` the correct answer's letter;
- each turn is a message: debaters' turns are assistant messages (``metadata`` names the
  speaker, its position, round and turn kind), a judge's questions are user messages, and the
  verdict is the last assistant message and the sample's ``output``;
- the score ``verdict`` is the debate's score (1 correct, 1/k a tie, 0 wrong or failed) with
  the chosen letter as ``answer`` and every answer's probability in its metadata; a failed
  debate carries its error;
- token usage per role (``role_usage``) and per model (``model_usage``), summed in the stats.

inspect_ai is an optional extra (``pip install 'debate-lab[inspect]'``), imported only here.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from debate.errors import ConfigError, DataError
from debate.types import LETTERS, AgentInfo, Transcript
from debate.values import Usage
from transcripts.store import JsonlStore


def _inspect() -> Any:
    try:
        import inspect_ai.log as log
    except ImportError:
        raise ConfigError(
            "exporting an inspect log needs inspect_ai: pip install 'debate-lab[inspect]'"
        ) from None
    return log


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat()


def _model_name(agent: AgentInfo) -> str:
    return agent.model or f"debate-lab/{agent.name or agent.kind}"


def _usage(usage: Usage) -> Any:
    from inspect_ai.model import ModelUsage

    return ModelUsage(
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        total_tokens=usage.input_tokens + usage.output_tokens,
    )


def _prompt(t: Transcript) -> str:
    shown = [f"{LETTERS[i]}) {t.setup.answer_text(i)}" for i in range(len(t.setup.shown))]
    return "\n".join([t.setup.question.text, *shown])


def _role_usage(t: Transcript) -> dict[str, Usage]:
    roles: dict[str, Usage] = {}
    for turn in t.turns:
        roles[turn.speaker] = roles.get(turn.speaker, Usage()) + turn.usage
    if t.verdict is not None:
        roles["judge"] = roles.get("judge", Usage()) + t.verdict.usage
    return roles


def _model_usage(t: Transcript, roles: dict[str, Usage]) -> dict[str, Usage]:
    """``roles``' usage summed by the model each role ran (its role name if unknown)."""
    models: dict[str, Usage] = {}
    for role, usage in roles.items():
        agent = t.judge if role == "judge" else t.debaters.get(role)
        name = _model_name(agent) if agent is not None else role
        models[name] = models.get(name, Usage()) + usage
    return models


def _sample(t: Transcript, models: dict[str, Usage], roles: dict[str, Usage]) -> Any:
    from inspect_ai.log import EvalSample
    from inspect_ai.model import (
        ChatMessageAssistant,
        ChatMessageUser,
        ModelOutput,
    )
    from inspect_ai.scorer import Score

    messages: list[Any] = [ChatMessageUser(content=_prompt(t), source="input")]
    for turn in t.turns:
        meta: dict[str, Any] = {"speaker": turn.speaker, "position": turn.position}
        meta |= {"round": turn.round}
        meta |= {"kind": turn.kind, "data": turn.data}
        if turn.kind == "judge_question":
            messages.append(ChatMessageUser(content=turn.text, metadata=meta))
        else:
            agent = t.debaters.get(turn.speaker)
            model = _model_name(agent) if agent is not None else None
            messages.append(ChatMessageAssistant(content=turn.text, model=model, metadata=meta))
    judge_model = _model_name(t.judge)
    verdict = t.verdict if t.usable else None
    chosen = None if verdict is None or t.tie else verdict.decision
    answer = LETTERS[chosen] if chosen is not None else None
    said = verdict.raw if verdict is not None and verdict.raw else (answer or "")
    if verdict is not None:
        messages.append(
            ChatMessageAssistant(content=said, model=judge_model, metadata={"speaker": "judge"})
        )
    probabilities = (
        {LETTERS[i]: p for i, p in enumerate(verdict.probabilities)} if verdict is not None else {}
    )
    error = None
    if t.error is not None:
        from inspect_ai.log import EvalError

        error = EvalError(message=t.error, traceback="", traceback_ansi="")
    return EvalSample(
        id=t.debate_id,
        epoch=1,
        input=_prompt(t),
        choices=[t.setup.answer_text(i) for i in range(len(t.setup.shown))],
        target=LETTERS[t.setup.correct_position],
        messages=messages,
        output=ModelOutput.from_content(model=judge_model, content=said),
        scores={
            "verdict": Score(
                value=t.score,
                answer=answer,
                explanation=t.error,
                metadata={"probabilities": probabilities, "p_correct": t.p_scored},
            )
        },
        metadata={
            "question_id": t.setup.question.id,
            "protocol": t.protocol,
            "protocol_settings": t.protocol_settings,
            "cell": t.cell,
            "seats": [seat.model_dump(mode="json") for seat in t.setup.seats],
            "judge": t.judge.model_dump(mode="json"),
            "rewards": t.verdict.rewards if t.verdict is not None else {},
        },
        model_usage={name: _usage(u) for name, u in models.items()},
        role_usage={role: _usage(u) for role, u in roles.items()},
        started_at=_iso(t.started_at),
        completed_at=_iso(t.finished_at),
        total_time=t.finished_at - t.started_at,
        error=error,
    )


def inspect_log(transcripts: Sequence[Transcript], name: str, config: dict[str, Any]) -> Any:
    """The eval log of ``transcripts`` (one run, called ``name``, run with ``config``)."""
    log = _inspect()
    from importlib.metadata import version

    if not transcripts:
        raise DataError(f"run {name!r} holds no debates to export")
    roles = [_role_usage(t) for t in transcripts]
    models = [_model_usage(t, r) for t, r in zip(transcripts, roles, strict=True)]
    samples = [_sample(*args) for args in zip(transcripts, models, roles, strict=True)]
    scores = [t.score for t in transcripts]
    mean = sum(scores) / len(scores)
    var = sum((s - mean) ** 2 for s in scores) / max(len(scores) - 1, 1)
    metrics = {
        "accuracy": log.EvalMetric(name="accuracy", value=mean),
        "stderr": log.EvalMetric(name="stderr", value=(var / len(scores)) ** 0.5),
    }
    total: dict[str, Usage] = {}
    for per_model in models:
        for key, usage in per_model.items():
            total[key] = total.get(key, Usage()) + usage
    failed = sum(t.error is not None for t in transcripts)
    started = min(t.started_at for t in transcripts)
    judges = sorted({_model_name(t.judge) for t in transcripts})
    spec = log.EvalSpec(
        created=_iso(started),
        task=f"debate-lab/{name}",
        dataset=log.EvalDataset(
            name=str(config.get("dataset", {}).get("kind", "questions")),
            samples=len({t.setup.question.id for t in transcripts}),
        ),
        model=judges[0] if len(judges) == 1 else "debate-lab/several-judges",
        config=log.EvalConfig(),
        packages={"debate-lab": version("debate-lab")},
        metadata={"config": config, "judges": judges},
    )
    return log.EvalLog(
        status="success",
        eval=spec,
        results=log.EvalResults(
            total_samples=len(samples),
            completed_samples=len(samples) - failed,
            scores=[
                log.EvalScore(
                    name="verdict",
                    scorer="debate-lab/verdict",
                    scored_samples=len(samples),
                    metrics=metrics,
                )
            ],
        ),
        stats=log.EvalStats(
            started_at=_iso(started),
            completed_at=_iso(max(t.finished_at for t in transcripts)),
            model_usage={key: _usage(u) for key, u in total.items()},
        ),
        samples=samples,
    )


def export_inspect(run_dir: Path, out: Path, *, force: bool = False) -> tuple[Path, int]:
    """Write ``run_dir``'s debates to ``out`` (``.eval``, inspect's own format, or
    ``.json``); returns the path and the number of debates. An existing ``out`` is replaced
    only with ``force``, and then only once the new log is whole (written beside it, then
    renamed), so an export never destroys a log it did not finish."""
    log = _inspect()
    if out.suffix not in (".eval", ".json"):
        raise ConfigError(f"inspect logs end in .eval or .json, not {out.name!r}")
    if out.exists() and not force:
        raise ConfigError(f"{out} exists: pass --force to replace it")
    path = run_dir / "transcripts.jsonl"
    if not path.exists():
        raise DataError(f"no such transcripts file: {path}")
    transcripts = JsonlStore(path).load().transcripts
    config_path = run_dir / "config.json"
    config = json.loads(config_path.read_text(encoding="utf-8")) if config_path.exists() else {}
    eval_log = inspect_log(transcripts, str(config.get("name") or run_dir.name), config)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.stem}.partial{out.suffix}")
    try:
        log.write_eval_log(
            eval_log, str(partial), format="eval" if out.suffix == ".eval" else "json"
        )
        partial.replace(out)
    finally:
        partial.unlink(missing_ok=True)
    return out, len(transcripts)
