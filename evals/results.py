"""Per-cell aggregation of transcripts, and the results files a run leaves behind.

A cell is one combination of eval parameters (protocol, judge, rounds, ...). Every debate
counts in its cell: failures are scored wrong rather than dropped, because silently dropping
them would flatter whichever setting fails most.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from debate.types import Transcript
from evals.metrics import brier_score, wilson_interval

METRIC_COLUMNS = (
    "n",
    "accuracy",
    "ci_low",
    "ci_high",
    "correct",
    "parse_failures",
    "errors",
    "mean_p_correct",
    "brier",
    "cost_usd",
)
"""Metric columns of a results row, in order, after the cell parameters."""


class CellResult(BaseModel):
    """Aggregate metrics of all debates in one eval cell."""

    cell: dict[str, Any]
    n: int
    correct: int
    accuracy: float
    ci_low: float
    ci_high: float
    parse_failures: int
    errors: int
    mean_p_correct: float | None
    brier: float | None
    cost_usd: float

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


def _group_key(cell: dict[str, Any]) -> str:
    # Canonical text key: cell values may be unhashable (lists) and key order is irrelevant.
    return json.dumps(cell, sort_keys=True, default=repr)


def _cell_result(cell: dict[str, Any], transcripts: list[Transcript]) -> CellResult:
    n = len(transcripts)
    # Defensive: an error or an unparsed verdict is wrong even if `correct` says otherwise.
    correct = sum(
        1
        for t in transcripts
        if t.correct and t.error is None and t.verdict is not None and t.verdict.parsed
    )
    parse_failures = sum(1 for t in transcripts if t.verdict is not None and not t.verdict.parsed)
    errors = sum(1 for t in transcripts if t.error is not None)
    probs = [t.p_correct for t in transcripts if t.p_correct is not None]
    low, high = wilson_interval(correct, n)
    return CellResult(
        cell=cell,
        n=n,
        correct=correct,
        accuracy=correct / n if n else math.nan,
        ci_low=low,
        ci_high=high,
        parse_failures=parse_failures,
        errors=errors,
        mean_p_correct=sum(probs) / len(probs) if probs else None,
        brier=brier_score(probs) if probs else None,
        cost_usd=sum(t.usage.cost_usd for t in transcripts),
    )


def summarize(
    transcripts: Iterable[Transcript], by: Sequence[str] | None = None
) -> list[CellResult]:
    """Aggregate transcripts into one result per cell, in first-seen order.

    With ``by`` the cell is the given keys of each transcript's ``cell`` (a missing key
    groups as None); without it, the whole ``cell`` dict.
    """
    groups: dict[str, tuple[dict[str, Any], list[Transcript]]] = {}
    for t in transcripts:
        cell = dict(t.cell) if by is None else {k: t.cell.get(k) for k in by}
        groups.setdefault(_group_key(cell), (cell, []))[1].append(t)
    return [_cell_result(cell, ts) for cell, ts in groups.values()]


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
