"""Datasets: question sources named in eval configs."""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from debate.domains.evidence import evidence_questions
from debate.errors import DataError, validation_message
from debate.types import Question
from evals.config import (
    AnyDataset,
    EvidenceDataset,
    JsonlDataset,
    LogicalDeductionDataset,
    MinuteMysteriesDataset,
    data_dir,
)


def load_questions(spec: AnyDataset, data_root: Path | str | None = None) -> list[Question]:
    """The questions of a dataset spec; ids must be unique (they key debates and resume)."""
    questions = _load(spec, data_root)
    seen: dict[str, int] = {}
    for number, question in enumerate(questions, start=1):
        if question.id in seen:
            raise DataError(
                f"dataset {spec.kind}: question id {question.id!r} appears twice "
                f"(questions {seen[question.id]} and {number}); ids must be unique"
            )
        seen[question.id] = number
    return questions


def _load(spec: AnyDataset, data_root: Path | str | None) -> list[Question]:
    if isinstance(spec, EvidenceDataset):
        return evidence_questions(spec.n, spec.seed, spec.settings)
    if isinstance(spec, MinuteMysteriesDataset | LogicalDeductionDataset):
        from evals import bigbench

        if isinstance(spec, MinuteMysteriesDataset):
            return bigbench.minute_mysteries(spec, data_root)
        return bigbench.logical_deduction(spec, data_root)
    return load_jsonl_questions(spec, data_root)


def load_jsonl_questions(spec: JsonlDataset, data_root: Path | str | None = None) -> list[Question]:
    path = Path(spec.path)
    if not path.is_absolute():
        path = data_dir(data_root) / path
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    questions: list[Question] = []
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise DataError(
                    f"{path}:{number}: not valid UTF-8 (byte {exc.start + 1} of the line)"
                ) from None
            if not line.strip():
                continue
            try:
                questions.append(Question.model_validate_json(line))
            except ValidationError as exc:
                raise DataError(f"{path}:{number}: {validation_message(exc)}") from None
            if spec.limit is not None and len(questions) >= spec.limit:
                break
    if not questions:
        raise DataError(f"{path} holds no questions")
    return questions
