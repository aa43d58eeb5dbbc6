"""Paired differences between protocols on the same questions (``paired.csv`` and a report
section): e.g. debate minus consultancy under one judge, with a 95% interval.

Two cells judged by the same judge saw the same questions, so the right comparison pairs
them question by question: each question's score in a cell is its mean over the answer
orders played (the order is nuisance, not signal), and the difference of the two cells is
the mean of the per-question differences, with a t interval on them (``n - 1`` degrees of
freedom; a question missing from either cell is left out). The baseline is consultancy
where the run has it (the literature's comparison), else the naive judge; every other cell
with the same judge is compared to it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from debate.types import Transcript
from evals.results import group_key

BASELINES = ("consultancy", "naive")


@dataclass(frozen=True)
class PairedDifference:
    judge: str
    cell: dict[str, Any]
    baseline: dict[str, Any]
    questions: int
    difference: float
    ci_low: float
    ci_high: float

    def row(self) -> dict[str, Any]:
        label = {k: v for k, v in self.cell.items() if k != "judge"}
        base = {k: v for k, v in self.baseline.items() if k != "judge"}
        return {
            "judge": self.judge,
            "cell": json.dumps(label, sort_keys=True),
            "baseline": json.dumps(base, sort_keys=True),
            "questions": self.questions,
            "difference": self.difference,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
        }


def mean_difference_interval(differences: Sequence[float]) -> tuple[float, float, float]:
    """Mean of paired differences and its 95% t interval (nan bounds for fewer than 2)."""
    n = len(differences)
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = sum(differences) / n
    if n < 2:
        return mean, math.nan, math.nan
    from scipy.stats import t

    sd = math.sqrt(sum((d - mean) ** 2 for d in differences) / (n - 1))
    half = float(t.ppf(0.975, n - 1)) * sd / math.sqrt(n)
    return mean, mean - half, mean + half


def _question_scores(transcripts: Sequence[Transcript]) -> dict[str, float]:
    """Each question's score, averaged over the answer orders played."""
    by_question: dict[str, list[float]] = {}
    for t in transcripts:
        by_question.setdefault(t.setup.question.id, []).append(t.score)
    return {q: sum(s) / len(s) for q, s in by_question.items()}


def paired_differences(transcripts: Sequence[Transcript]) -> list[PairedDifference]:
    """Every cell against its judge's baseline cell (see the module docstring)."""
    cells: dict[str, tuple[dict[str, Any], list[Transcript]]] = {}
    for t in transcripts:
        cells.setdefault(group_key(t.cell), (dict(t.cell), []))[1].append(t)
    by_judge: dict[str, list[tuple[dict[str, Any], list[Transcript]]]] = {}
    for cell, ts in cells.values():
        by_judge.setdefault(str(cell.get("judge", "")), []).append((cell, ts))
    out: list[PairedDifference] = []
    for judge, group in by_judge.items():
        baseline = next(
            (c for name in BASELINES for c in group if c[0].get("protocol") == name), None
        )
        if baseline is None:
            continue
        base_scores = _question_scores(baseline[1])
        for cell, ts in group:
            if cell is baseline[0]:
                continue
            scores = _question_scores(ts)
            shared = sorted(set(scores) & set(base_scores))
            diff, low, high = mean_difference_interval([scores[q] - base_scores[q] for q in shared])
            out.append(PairedDifference(judge, cell, baseline[0], len(shared), diff, low, high))
    return out


def paired_section(differences: Sequence[PairedDifference]) -> str:
    """Markdown: the paired differences table, or nothing when there is no baseline."""
    from evals.report import md_escape

    if not differences:
        return ""

    def fmt(x: float) -> str:
        return "n/a" if math.isnan(x) else f"{x:+.3f}"

    lines = [
        "## Paired differences on the same questions",
        "",
        "Each cell minus its judge's baseline (consultancy where the run has it, else the "
        "naive judge), question by question: a question's score is its mean over the answer "
        "orders, the difference the mean over the questions both cells ran, with a 95% t "
        "interval (`paired.csv`).",
        "",
        "| judge | cell | baseline | questions | difference | 95% CI |",
        "|---|---|---|---:|---:|---:|",
    ]

    def label(cell: dict[str, Any]) -> str:
        return md_escape(", ".join(f"{k}={v}" for k, v in cell.items() if k != "judge"))

    for d in differences:
        lines.append(
            f"| {md_escape(d.judge)} | {label(d.cell)} | {label(d.baseline)} "
            f"| {d.questions} | {fmt(d.difference)} | [{fmt(d.ci_low)}, {fmt(d.ci_high)}] |"
        )
    return "\n".join(lines)
