"""Datasets of the debate literature, read from their published files or Hugging Face.

- ``quality``: QuALITY (Pang et al. 2022), long stories with four-option questions: the
  hidden-passage task of Michael et al. 2023 and Khan et al. 2024. The article becomes the
  question's hidden ``context`` (debaters read and quote it, the judge never sees it), as
  for the BIG-bench mysteries.
- ``gpqa``: GPQA (Rein et al. 2023), expert questions with one correct and three incorrect
  answers. The file lists the correct answer first, so the options are shuffled, seeded per
  record: every eval with the same seed debates the same order.
- ``boolq``: BoolQ (Clark et al. 2019), yes/no questions about a Wikipedia passage, which
  is hidden like QuALITY's article.

Each kind reads a local file (``path``) or, with ``hf``, a Hugging Face dataset through the
optional ``datasets`` package (``pip install 'debate-lab[hf]'``, imported only then); both
feed the same row conversion, so a copy with the published field names loads the same.
Bad input is one ``DataError`` line naming the file (or dataset) and the line or row.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import Field, model_validator

from debate.errors import DataError
from debate.registry import register
from debate.seeds import rng_for
from debate.types import Question
from evals.config import DatasetSpec, data_file

if TYPE_CHECKING:
    from debate.components import Components

Row = tuple[int, str, Any]
"""(line or row number, where: ``file:line`` or ``dataset (split) row n``, the record)."""

GPQA_COLUMNS = (
    "Question",
    "Correct Answer",
    "Incorrect Answer 1",
    "Incorrect Answer 2",
    "Incorrect Answer 3",
    "Record ID",
)
"""The GPQA columns a question needs; the files' many other columns are ignored."""


class LiteratureDataset(DatasetSpec):
    """A published dataset: a local file (``path``) or a Hugging Face one (``hf``)."""

    path: str | None = Field(
        default=None, description="file path; relative paths resolve against the data dir"
    )
    hf: str | None = Field(default=None, description="Hugging Face dataset name, instead of path")
    hf_config: str | None = Field(default=None, description="the Hugging Face config (subset)")
    split: str = Field(default="train", description="the Hugging Face split (with hf only)")
    limit: int | None = Field(default=None, ge=1, description="use only the first N questions")

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if (self.path is None) == (self.hf is None):
            raise ValueError("give exactly one of path (a file) and hf (a Hugging Face dataset)")
        return self


class QualityDataset(LiteratureDataset):
    """QuALITY: each article's questions, the article hidden from the judge."""

    kind: Literal["quality"] = "quality"
    split: str = Field(default="validation", description="the Hugging Face split (with hf only)")
    hard_only: bool = Field(default=False, description="keep only questions marked difficult")


class GpqaDataset(LiteratureDataset):
    """GPQA: four options in a seeded order per record."""

    kind: Literal["gpqa"] = "gpqa"
    seed: int = Field(default=0, description="orders each record's options")


class BoolqDataset(LiteratureDataset):
    """BoolQ: yes/no questions, the passage hidden from the judge."""

    kind: Literal["boolq"] = "boolq"
    split: str = Field(default="validation", description="the Hugging Face split (with hf only)")


def _text(path: Path) -> str:
    """The file as text; a non-UTF-8 byte is named by its line (a BOM is allowed)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise DataError(f"{path}:{line}: not valid UTF-8") from None


def jsonl_rows(path: Path) -> Iterator[Row]:
    """The JSON objects of a JSON Lines file, blank lines skipped."""
    # Lines end at "\n" only: JSON text may hold a raw U+2028, which splitlines() splits at.
    for number, line in enumerate(_text(path).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except ValueError as exc:
            raise DataError(f"{path}:{number}: not valid JSON: {exc}") from None
        if not isinstance(record, dict):
            raise DataError(f"{path}:{number}: a {type(record).__name__}, not a JSON object")
        yield number, f"{path}:{number}", record


def csv_rows(path: Path, columns: tuple[str, ...]) -> Iterator[Row]:
    """The rows of a CSV file with a header holding ``columns`` (others are ignored)."""
    reader = csv.DictReader(io.StringIO(_text(path), newline=""))
    try:
        header = reader.fieldnames or []
        missing = [name for name in columns if name not in header]
        if missing:
            raise DataError(f"{path}: no column {', '.join(map(repr, missing))} in the header")
        start = reader.line_num + 1
        for number, row in enumerate(reader, start=1):
            yield start, f"{path}:{start} (row {number})", row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise DataError(f"{path}:{reader.line_num}: not valid CSV: {exc}") from None


def hf_rows(spec: LiteratureDataset) -> Iterator[Row]:
    """The records of Hugging Face dataset ``spec.hf`` (``datasets`` imported only here)."""
    try:
        import datasets
    except ImportError:
        raise DataError(
            f"dataset {spec.hf!r} needs the datasets package: pip install datasets "
            "(or 'debate-lab[hf]')"
        ) from None
    try:
        records = datasets.load_dataset(spec.hf, spec.hf_config, split=spec.split)
    except Exception as exc:  # offline, unknown name, gated: one line naming it
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"Hugging Face dataset {spec.hf!r}: {reason}") from None
    for number, record in enumerate(records, start=1):
        yield number, f"{spec.hf} ({spec.split}) row {number}", record


def _field(record: Any, name: str, kind: type, where: str) -> Any:
    """``record[name]``, which must be a ``kind`` (a bool is no int, an empty text no text)."""
    value = record.get(name) if isinstance(record, dict) else None
    if value is None:
        raise DataError(f"{where}: no {name!r}")
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is not bool):
        raise DataError(f"{where}: {name!r} is a {type(value).__name__}, not a {kind.__name__}")
    if isinstance(value, str) and not value.strip():
        raise DataError(f"{where}: {name!r} is empty")
    return value


def quality_row(record: dict[str, Any], where: str) -> list[Question]:
    """The questions of one QuALITY record: an article with its ``questions`` (the published
    files), or one question with its article's fields beside it (``tasksource/QuALITY``)."""
    article = _field(record, "article", str, where)
    entries = _field(record, "questions", list, where) if "questions" in record else [record]
    questions = []
    for number, entry in enumerate(entries, start=1):
        qid = entry.get("question_unique_id") if isinstance(entry, dict) else None
        qid = str(qid or f"{record.get('set_unique_id', 'quality')}_{number}")
        at = f"{where}, question {qid}"
        text = _field(entry, "question", str, at)
        options = _field(entry, "options", list, at)
        if len(options) < 2 or not all(isinstance(o, str) for o in options):
            raise DataError(f"{at}: 'options' is not a list of two or more texts")
        if entry.get("gold_label") is None:
            raise DataError(f"{at}: no 'gold_label' (the test split has no answers)")
        gold = _field(entry, "gold_label", int, at)
        if not 1 <= gold <= len(options):
            raise DataError(f"{at}: gold_label {gold} is not in 1..{len(options)}")
        questions.append(
            Question(
                id=qid,
                text=text.strip(),
                options=options,
                correct_index=gold - 1,
                context=article,
                metadata={
                    "source": "quality",
                    "article_id": record.get("article_id"),
                    "set_unique_id": record.get("set_unique_id"),
                    "title": record.get("title"),
                    "author": record.get("author"),
                    "difficult": bool(entry.get("difficult")),
                    "writer_label": entry.get("writer_label"),
                },
            )
        )
    return questions


def gpqa_row(record: dict[str, Any], where: str, seed: int) -> Question:
    """One GPQA record: the correct answer and three incorrect ones, in a seeded order."""
    text, correct, *wrong, record_id = (
        _field(record, name, str, where).strip() for name in GPQA_COLUMNS
    )
    answers = [correct, *wrong]
    if len(set(answers)) < len(answers):
        raise DataError(f"{where}: record {record_id}: two of its answers are the same")
    order = list(range(len(answers)))
    rng_for(seed, "gpqa-options", record_id).shuffle(order)
    return Question(
        id=record_id,
        text=text,
        options=[answers[i] for i in order],
        correct_index=order.index(0),
        metadata={
            "source": "gpqa",
            "domain": record.get("High-level domain"),
            "subdomain": record.get("Subdomain"),
        },
    )


def boolq_row(record: dict[str, Any], where: str, number: int) -> Question:
    """One BoolQ record: a yes/no question about its hidden passage."""
    text = _field(record, "question", str, where)
    answer = _field(record, "answer", bool, where)
    passage = _field(record, "passage", str, where)
    key = record.get("id", record.get("idx"))
    return Question(
        id=key if isinstance(key, str) else f"boolq-{number if key is None else key}",
        text=text.strip(),
        options=["yes", "no"],
        correct_index=0 if answer else 1,
        context=passage,
        metadata={"source": "boolq", "title": record.get("title")},
    )


def _rows(
    spec: LiteratureDataset, data_root: Path | str | None, csv_columns: tuple[str, ...] = ()
) -> tuple[str, Iterator[Row]]:
    """(source name, its records): the file named by ``path`` (CSV when ``csv_columns`` are
    asked for, else JSON Lines), else the ``hf`` dataset."""
    if spec.path is None:
        return repr(spec.hf), hf_rows(spec)
    path = data_file(spec.path, data_root)
    return str(path), csv_rows(path, csv_columns) if csv_columns else jsonl_rows(path)


def _gathered(spec: LiteratureDataset, source: str, questions: list[Question]) -> list[Question]:
    if not questions:
        raise DataError(f"{source} holds no questions")
    return questions[: spec.limit]


def _collect(
    spec: LiteratureDataset,
    data_root: Path | str | None,
    convert: Callable[[int, str, dict[str, Any]], list[Question]],
    csv_columns: tuple[str, ...] = (),
) -> tuple[str, list[Question]]:
    """(source name, questions): each record converted, until ``spec.limit`` are kept."""
    source, rows = _rows(spec, data_root, csv_columns)
    questions: list[Question] = []
    for number, where, record in rows:
        questions += convert(number, where, record)
        if spec.limit is not None and len(questions) >= spec.limit:
            break
    return source, questions


def quality_questions(spec: QualityDataset, data_root: Path | str | None = None) -> list[Question]:
    def kept(number: int, where: str, record: dict[str, Any]) -> list[Question]:
        found = quality_row(record, where)
        return [q for q in found if q.metadata["difficult"] or not spec.hard_only]

    source, questions = _collect(spec, data_root, kept)
    if not questions and spec.hard_only:
        raise DataError(f"{source} holds no questions marked difficult (hard_only = true)")
    return _gathered(spec, source, questions)


def gpqa_questions(spec: GpqaDataset, data_root: Path | str | None = None) -> list[Question]:
    source, questions = _collect(
        spec, data_root, lambda _, where, record: [gpqa_row(record, where, spec.seed)], GPQA_COLUMNS
    )
    return _gathered(spec, source, questions)


def boolq_questions(spec: BoolqDataset, data_root: Path | str | None = None) -> list[Question]:
    source, questions = _collect(
        spec, data_root, lambda number, where, record: [boolq_row(record, where, number)]
    )
    return _gathered(spec, source, questions)


@register("dataset", "quality", QualityDataset)
def _quality(spec: QualityDataset, components: Components) -> list[Question]:
    return quality_questions(spec, components.data_root)


@register("dataset", "gpqa", GpqaDataset)
def _gpqa(spec: GpqaDataset, components: Components) -> list[Question]:
    return gpqa_questions(spec, components.data_root)


@register("dataset", "boolq", BoolqDataset)
def _boolq(spec: BoolqDataset, components: Components) -> list[Question]:
    return boolq_questions(spec, components.data_root)
