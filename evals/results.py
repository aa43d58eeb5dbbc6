"""Per-cell aggregation of transcripts, and the results files a run leaves behind.

A cell is one combination of eval parameters (protocol, judge, rounds, ...). Every debate
counts in its cell, in every metric, under one rule (``Transcript.score``/``p_scored``): a
failed debate or an unparsed verdict is wrong (score 0, probability 0 on the correct answer)
rather than dropped, because dropping them would flatter whichever setting fails most; a
tie among k answers scores 1/k. Intervals are clustered by question, since the answer orders
of one question are not independent samples. Each cell also names its model judge's backend
and the share of its verdicts that parsed (``evals.parse_rates``).
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from debate.types import Transcript
from evals.metrics import (
    brier_score,
    clustered_interval,
    expected_calibration_error,
    position_consistency,
)
from evals.parse_rates import cell_backends, verdicts_given

METRIC_COLUMNS = (
    "n",
    "accuracy",
    "ci_low",
    "ci_high",
    "correct",
    "ties",
    "parsed_first_try",
    "parse_failures",
    "verdicts",
    "parse_rate",
    "errors",
    "mean_p_correct",
    "brier",
    "ece",
    "position_consistency",
    "cost_usd",
    "judge_backend",
    "judge_queries",
)
"""Metric columns of a results row, in order, after the cell parameters."""


class CellResult(BaseModel):
    """Aggregate metrics of all debates in one eval cell."""

    cell: dict[str, Any]
    n: int
    correct: int
    """Debates decided for the correct answer (ties not included)."""
    accuracy: float
    """Mean score: correct debates plus 1/k for each k-way tie that includes the truth."""
    ci_low: float
    ci_high: float
    parse_failures: int
    errors: int
    mean_p_correct: float | None
    brier: float | None
    cost_usd: float
    ece: float | None = None
    """Expected calibration error (10 bins) of the confidence in the chosen answer: a
    failed debate or unparsed verdict counts as confidence 0 on a wrong answer."""
    ties: int = 0
    parsed_first_try: int = 0
    """Verdicts that parsed without a re-ask (a judge that needs re-asks is fragile)."""
    questions: int = 0
    position_consistency: float | None = None
    """Share of questions run in several answer orders whose orders all picked the same
    answer (None: no question was run in two orders)."""
    verdicts: int = 0
    """Verdicts given, parsed or not (a failed debate gives none)."""
    parse_rate: float | None = None
    """Share of the verdicts that parsed (None: no verdict)."""
    judge_backend: str = ""
    """The model judge's backend, model, probability method and answer constraint
    (``evals.parse_rates.judge_backend``); "" for simulated and human judges."""
    judge_queries: float | None = None
    """Mean oracle queries the judge made per debate (a stochastic-oracle judge's cost;
    None when no debate's judge asked an oracle)."""

    def row(self) -> dict[str, Any]:
        """Flat row: cell parameters first, then metrics.

        A cell key that clashes with a metric name is written as ``cell.<key>`` so that
        neither value is lost.
        """
        out: dict[str, Any] = {}
        for key, value in self.cell.items():
            out[f"cell.{key}" if key in METRIC_COLUMNS else key] = value
        for key in METRIC_COLUMNS:
            out[key] = getattr(self, key)
        return out


def group_key(cell: dict[str, Any]) -> str:
    # Canonical text key: cell values may be unhashable (lists) and key order is irrelevant.
    return json.dumps(cell, sort_keys=True, default=repr)


def _picked_options(t: Transcript) -> frozenset[int] | None:
    """The options the verdict favours, by option index (one, or those tied on top), so the
    verdicts of two answer orders compare; None for a failed debate or unparsed verdict."""
    if not t.usable or t.verdict is None:
        return None
    if t.verdict.tied:
        return frozenset(t.setup.shown[p] for p in t.verdict.tied)
    decision = t.verdict.decision
    return None if decision is None else frozenset({t.setup.shown[decision]})


def _cell_result(cell: dict[str, Any], transcripts: list[Transcript]) -> CellResult:
    n = len(transcripts)
    scores = [t.score for t in transcripts]
    clusters = [t.setup.question.id for t in transcripts]
    picks: dict[str, list[frozenset[int] | None]] = {}
    for t in transcripts:
        picks.setdefault(t.setup.question.id, []).append(_picked_options(t))
    probs = [t.p_scored for t in transcripts]
    low, high = clustered_interval(scores, clusters)
    parsed, verdicts = verdicts_given(transcripts)
    return CellResult(
        cell=cell,
        n=n,
        correct=sum(1 for t in transcripts if t.score == 1.0),
        accuracy=sum(scores) / n if n else math.nan,
        ci_low=low,
        ci_high=high,
        parse_failures=verdicts - parsed,
        errors=sum(1 for t in transcripts if t.error is not None),
        mean_p_correct=sum(probs) / n if n else None,
        brier=brier_score(probs) if n else None,
        cost_usd=sum(t.usage.cost_usd for t in transcripts),
        ece=_ece(transcripts) if n else None,
        ties=sum(1 for t in transcripts if t.tie),
        parsed_first_try=sum(
            1
            for t in transcripts
            if t.verdict is not None and t.verdict.parsed and not t.verdict.reasks
        ),
        questions=len(picks),
        position_consistency=position_consistency(list(picks.values())),
        verdicts=verdicts,
        parse_rate=parsed / verdicts if verdicts else None,
        judge_backend=cell_backends(transcripts),
        judge_queries=_judge_queries(transcripts),
    )


def _ece(transcripts: list[Transcript]) -> float:
    confidences = [
        max(t.verdict.probabilities) if t.usable and t.verdict is not None else 0.0
        for t in transcripts
    ]
    return expected_calibration_error(confidences, [t.score for t in transcripts])


def _judge_queries(transcripts: list[Transcript]) -> float | None:
    """Mean oracle queries per debate, a failed debate's as 0 (it asked none that counted)."""
    asked = [t.verdict.oracle_queries if t.verdict else 0 for t in transcripts]
    return sum(asked) / len(asked) if any(asked) else None


def summarize(
    transcripts: Iterable[Transcript], by: Sequence[str] | None = None
) -> list[CellResult]:
    """Aggregate transcripts into one result per cell, in first-seen order.

    With ``by`` the cell is the given keys of each transcript's ``cell`` (a missing key
    groups as None); without it, the whole ``cell`` dict. Within a cell the debates are
    taken in id order, so every figure, to the last bit of a float sum, is the same however
    the debates were scheduled (in process, in worker processes, resumed).
    """
    groups: dict[str, tuple[dict[str, Any], list[Transcript]]] = {}
    for t in transcripts:
        cell = dict(t.cell) if by is None else {k: t.cell.get(k) for k in by}
        groups.setdefault(group_key(cell), (cell, []))[1].append(t)
    return [
        _cell_result(cell, sorted(ts, key=lambda t: t.debate_id)) for cell, ts in groups.values()
    ]


def atomic_write(path: Path, text: str) -> None:
    # Temp file in the same directory so os.replace is atomic: readers never see half a file.
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def csv_text(rows: Sequence[Mapping[str, Any]]) -> str:
    """Rows of one shape as CSV text, the first row's keys the header ("" for no rows)."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return out.getvalue()


def write_results(run_dir: Path, results: Sequence[CellResult]) -> None:
    """Write ``results.csv`` and ``results.json`` into ``run_dir`` (created if missing).

    The CSV header is the union of row keys in first-seen order, so cells with different
    parameters share one file; absent values are left empty.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    rows = [r.row() for r in results]
    header: dict[str, None] = {}
    for row in rows:
        header.update(dict.fromkeys(row))

    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=list(header), restval="")
    writer.writeheader()
    writer.writerows(rows)
    atomic_write(run_dir / "results.csv", buf.getvalue())
    atomic_write(run_dir / "results.json", json.dumps(rows, indent=2, default=str) + "\n")


def load_results(run_dir: Path) -> list[dict[str, Any]]:
    """Read back the rows written by :func:`write_results`."""
    rows: list[dict[str, Any]] = json.loads(
        (Path(run_dir) / "results.json").read_text(encoding="utf-8")
    )
    return rows
