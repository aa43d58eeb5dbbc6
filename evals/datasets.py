"""Datasets: question sources named in eval configs, by registered kind.

Built-in kinds: ``evidence`` and ``treesum`` (generated known-truth questions), ``jsonl``
(one Question a line), and the BIG-bench tasks in ``evals.bigbench``; a plug-in or
``module:function`` (called with the spec's ``settings``, returning questions) adds more.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from debate.components import Components
from debate.domains.evidence import EvidenceSettings, evidence_questions
from debate.domains.treesum import MAX_LEAVES, treesum_questions
from debate.errors import DataError, validation_message
from debate.registry import Spec, register
from debate.types import Question
from evals.config import DatasetSpec, data_dir


class EvidenceDataset(DatasetSpec):
    """Generated known-truth questions (see ``debate.domains.evidence``)."""

    kind: Literal["evidence"] = "evidence"
    n: int = Field(default=200, ge=1, le=1_000_000, description="number of questions")
    seed: int = Field(default=0, description="generator seed")
    settings: EvidenceSettings = EvidenceSettings()

    def limited(self, n: int) -> DatasetSpec:
        return self.model_copy(update={"n": min(self.n, n)})


@register("dataset", "evidence", EvidenceDataset)
def _evidence(spec: EvidenceDataset, components: Components) -> list[Question]:
    return evidence_questions(spec.n, spec.seed, spec.settings)


class TreeSumDataset(DatasetSpec):
    """Generated tree-sum claims (``debate.domains.treesum``): the recursive protocols'
    known-truth domain, with ``branching**depth`` leaves a question."""

    kind: Literal["treesum"] = "treesum"
    n: int = Field(default=100, ge=1, le=1_000_000, description="number of questions")
    seed: int = Field(default=0, description="generator seed")
    branching: int = Field(default=2, ge=2, le=64, description="sub-claims per claim")
    depth: int = Field(default=4, ge=1, le=20, description="levels of decomposition")

    def limited(self, n: int) -> DatasetSpec:
        return self.model_copy(update={"n": min(self.n, n)})


@register("dataset", "treesum", TreeSumDataset)
def _treesum(spec: TreeSumDataset, components: Components) -> list[Question]:
    if spec.branching**spec.depth > MAX_LEAVES:
        raise DataError(
            f"dataset treesum: branching**depth = {spec.branching}**{spec.depth} leaves is "
            f"over the {MAX_LEAVES} a tree-sum claim may have"
        )
    return treesum_questions(spec.n, spec.seed, spec.branching, spec.depth)


class JsonlDataset(DatasetSpec):
    """Questions from a JSONL file, one ``Question`` object a line."""

    kind: Literal["jsonl"] = "jsonl"
    path: str = Field(description="file path; relative paths resolve against the data dir")
    limit: int | None = Field(default=None, ge=1, description="use only the first N questions")


@register("dataset", "jsonl", JsonlDataset)
def _jsonl(spec: JsonlDataset, components: Components) -> list[Question]:
    return load_jsonl_questions(spec, components.data_root)


def load_questions(
    spec: Spec, data_root: Path | str | None = None, limit: int | None = None
) -> list[Question]:
    """The questions of a dataset spec (the first ``limit``); ids must be unique (they key
    debates and resume)."""
    kind = getattr(spec, "kind", "dataset")
    root = Path(data_root) if data_root is not None else None
    loaded: Any = Components(data_root=root).make("dataset", spec)
    questions = _as_questions(loaded, kind)[:limit]
    seen: dict[str, int] = {}
    for number, question in enumerate(questions, start=1):
        if question.id in seen:
            raise DataError(
                f"dataset {kind}: question id {question.id!r} appears twice "
                f"(questions {seen[question.id]} and {number}); ids must be unique"
            )
        seen[question.id] = number
    if not questions:
        raise DataError(f"dataset {kind} holds no questions")
    return questions


def _as_questions(loaded: Any, kind: str) -> list[Question]:
    """A user's dataset may give Question objects or plain mappings of their fields."""
    if not isinstance(loaded, Iterable) or isinstance(loaded, str | bytes | dict):
        raise DataError(f"dataset {kind} gave {type(loaded).__name__}, not a list of questions")
    questions: list[Question] = []
    for number, item in enumerate(loaded, start=1):
        try:
            questions.append(item if isinstance(item, Question) else Question.model_validate(item))
        except ValidationError as exc:
            raise DataError(
                f"dataset {kind}, question {number}: {validation_message(exc)}"
            ) from None
    return questions


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
