"""A run directory as tidy pandas DataFrames: ``evals.load(run_dir)``.

Researchers analyse results in pandas; these frames are the stored records flattened, one row
per debate, turn, verdict probability and cell, with the columns documented in
``COLUMNS`` (and docs/analysis.md). Nothing is recomputed that the files do not hold, except
two conveniences per debate: ``p_correct`` (the verdict's probability on the correct answer,
0 for a failed debate) and ``brier`` (the two-answer Brier score ``(1 - p_correct)**2`` summed
over the shown answers). pandas is an optional extra (``pip install debate-lab[analysis]``),
imported only here.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from debate.errors import ConfigError, DataError
from debate.types import Transcript
from transcripts.store import JsonlStore

if TYPE_CHECKING:
    import pandas as pd

COLUMNS: dict[str, dict[str, str]] = {
    "debates": {
        "debate_id": "the debate's id (unique in a run)",
        "question_id": "the question's id",
        "protocol": "protocol name",
        "judge": "the judge's label in results (its kind and name when not labelled)",
        "cell.*": "each parameter of the debate's cell (protocol, judge, order, ...)",
        "n_answers": "answers shown",
        "correct_position": "shown position of the correct answer",
        "choice": "position the verdict chose (None: no verdict, or a tie)",
        "score": "1 correct, 1/k a k-way tie, 0 wrong or failed (Transcript.score)",
        "tie": "the verdict's top probability is shared",
        "p_correct": "the verdict's probability on the correct answer (0 if failed)",
        "brier": "sum over shown answers of (probability - correct)**2 (2 if failed)",
        "error": "why the debate failed (None: it did not)",
        "turns": "number of turns",
        "input_tokens": "tokens sent, all roles",
        "output_tokens": "tokens received, all roles",
        "calls": "model calls, all roles",
        "cost_usd": "what the calls cost",
        "seconds": "wall time of the debate",
    },
    "turns": {
        "debate_id": "the debate it belongs to",
        "index": "0-based, in order",
        "round": "round index in the protocol's schedule",
        "kind": "speech, answer, question or judge_question",
        "speaker": "seat name (or 'judge')",
        "position": "shown position the speaker defends (None: open or judge)",
        "text": "what was said, literally",
        "confidence": "a simulated debater's stated confidence (None for models)",
        "input_tokens": "tokens sent for this turn",
        "output_tokens": "tokens received",
        "cost_usd": "what this turn's calls cost",
        "duration_s": "time the turn took",
    },
    "verdicts": {
        "debate_id": "the debate judged",
        "position": "shown position",
        "answer": "the answer's text",
        "probability": "the verdict's probability for it",
        "correct": "it is the correct answer",
        "chosen": "the verdict chose it",
    },
    "cells": {
        "*": "the run's results.csv as written (one row per cell: see the report)",
    },
}


@dataclass(frozen=True)
class RunFrames:
    """The frames of one run directory (empty frames where the run has no such records)."""

    debates: pd.DataFrame
    turns: pd.DataFrame
    verdicts: pd.DataFrame
    cells: pd.DataFrame


def _pandas() -> Any:
    try:
        import pandas
    except ImportError:
        raise ConfigError(
            "evals.load needs pandas: pip install 'debate-lab[analysis]' (or pandas)"
        ) from None
    return pandas


def _debate_row(t: Transcript) -> dict[str, Any]:
    verdict = t.verdict if t.usable else None
    p = t.p_scored
    probs = verdict.probabilities if verdict is not None else []
    brier = (
        sum((q - (i == t.setup.correct_position)) ** 2 for i, q in enumerate(probs))
        if verdict is not None
        else 2.0
    )
    row: dict[str, Any] = {
        "debate_id": t.debate_id,
        "question_id": t.setup.question.id,
        "protocol": t.protocol,
        "judge": t.cell.get("judge", t.judge.name or t.judge.kind),
        **{f"cell.{k}": v for k, v in t.cell.items()},
        "n_answers": len(t.setup.shown),
        "correct_position": t.setup.correct_position,
        "choice": None if verdict is None or t.tie else verdict.decision,
        "score": t.score,
        "tie": t.tie,
        "p_correct": p,
        "brier": brier,
        "error": t.error,
        "turns": len(t.turns),
        "input_tokens": t.usage.input_tokens,
        "output_tokens": t.usage.output_tokens,
        "calls": t.usage.calls,
        "cost_usd": t.usage.cost_usd,
        "seconds": t.finished_at - t.started_at,
    }
    return row


def _turn_rows(t: Transcript) -> list[dict[str, Any]]:
    return [
        {
            "debate_id": t.debate_id,
            "index": turn.index,
            "round": turn.round,
            "kind": turn.kind,
            "speaker": turn.speaker,
            "position": turn.position,
            "text": turn.text,
            "confidence": turn.confidence,
            "input_tokens": turn.usage.input_tokens,
            "output_tokens": turn.usage.output_tokens,
            "cost_usd": turn.usage.cost_usd,
            "duration_s": turn.duration_s,
        }
        for turn in t.turns
    ]


def _verdict_rows(t: Transcript) -> list[dict[str, Any]]:
    if t.verdict is None or not t.usable:
        return []
    chosen = None if t.tie else t.verdict.decision
    return [
        {
            "debate_id": t.debate_id,
            "position": i,
            "answer": t.setup.answer_text(i),
            "probability": q,
            "correct": i == t.setup.correct_position,
            "chosen": i == chosen,
        }
        for i, q in enumerate(t.verdict.probabilities)
    ]


def _frame(pd: Any, rows: list[dict[str, Any]], table: str) -> Any:
    columns = [c for c in COLUMNS[table] if "*" not in c]
    if not rows:
        return pd.DataFrame(columns=columns)
    frame = pd.DataFrame(rows)
    extra = [c for c in frame.columns if c not in columns]
    return frame[[c for c in columns if c in frame.columns] + extra]


def load(run_dir: Path | str) -> RunFrames:
    """The run's debates, turns and verdicts (from ``transcripts.jsonl``; a torn line is
    skipped as everywhere) and its cells (``results.csv``), as DataFrames."""
    pd = _pandas()
    root = Path(run_dir)
    if not root.is_dir():
        raise DataError(f"no such run directory: {root}")
    debates: list[dict[str, Any]] = []
    turns: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    path = root / "transcripts.jsonl"
    if path.exists():
        for t in JsonlStore(path).load().transcripts:
            debates.append(_debate_row(t))
            turns += _turn_rows(t)
            verdicts += _verdict_rows(t)
    results = root / "results.csv"
    cells = pd.read_csv(results) if results.exists() else pd.DataFrame()
    if not debates and cells.empty:
        raise DataError(f"{root} holds neither transcripts.jsonl nor results.csv")
    return RunFrames(
        debates=_frame(pd, debates, "debates"),
        turns=_frame(pd, turns, "turns"),
        verdicts=_frame(pd, verdicts, "verdicts"),
        cells=cells,
    )
