"""BIG-bench multiple-choice tasks as debate questions.

- ``minute_mysteries_qa``: a short crime story ending in a question ("Who stole the
  ring?"). The story becomes the hidden ``context``: debaters read it, the judge does not,
  and quotes from it are checked (the QuALITY setting of Khan et al. 2024).
- ``logical_deduction``: a few sentences fixing the order of 3, 5 or 7 objects and one
  statement per option. A short-context task: by default the judge sees the puzzle too.

Each question keeps ``options`` answers (two by default): the correct one and incorrect ones
chosen by a seeded draw per question, so every protocol and judge of an eval debates the same
set.
All options stay in ``metadata["all_options"]``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from debate.errors import DataError
from debate.registry import register
from debate.seeds import rng_for
from debate.types import Question
from evals.config import DatasetSpec, data_file

if TYPE_CHECKING:
    from debate.components import Components


class MinuteMysteriesDataset(DatasetSpec):
    """BIG-bench minute_mysteries_qa: the story is hidden from the judge."""

    kind: Literal["minute-mysteries"] = "minute-mysteries"
    path: str = Field(
        default="bigbench/minute_mysteries_qa/multiplechoice.json",
        description="BIG-bench task.json; relative paths resolve against the data dir",
    )
    limit: int | None = Field(default=None, ge=1, description="use only the first N questions")
    seed: int = Field(default=0, description="picks the incorrect answers debated per question")
    options: int = Field(
        default=2, ge=2, le=26, description="answers kept per question: the correct one first"
    )


class LogicalDeductionDataset(DatasetSpec):
    """BIG-bench logical_deduction: short ordering puzzles."""

    kind: Literal["logical-deduction"] = "logical-deduction"
    objects: Literal[3, 5, 7] = Field(default=3, description="puzzle size (the task's subtask)")
    path: str | None = Field(
        default=None,
        description="task.json; default bigbench/logical_deduction/<n>_objects.json in data dir",
    )
    passage: Literal["shown", "hidden"] = Field(
        default="shown", description="'hidden': the judge sees the answers but not the puzzle"
    )
    limit: int | None = Field(default=None, ge=1, description="use only the first N questions")
    seed: int = Field(default=0, description="picks the incorrect answers debated per question")
    options: int = Field(
        default=2, ge=2, le=26, description="answers kept per question: the correct one first"
    )


_LAST_QUESTION = re.compile(
    r"^(?P<story>.*[.!?”\"'’…)])\s+(?P<question>[A-Z][^.!?”\"…]*\?)\s*$", re.DOTALL
)
_OBJECTS = {3: "three", 5: "five", 7: "seven"}


def read_examples(path: Path) -> list[dict[str, Any]]:
    """The ``examples`` of a BIG-bench task.json, each with one correct target."""
    if not path.is_file():
        raise DataError(f"data file not found: {path}")
    try:
        task = json.loads(path.read_text())
    except (ValueError, UnicodeDecodeError) as exc:
        raise DataError(f"{path} is not valid JSON: {str(exc).splitlines()[0]}") from None
    examples = task.get("examples") if isinstance(task, dict) else None
    if not isinstance(examples, list) or not examples:
        raise DataError(f"{path} is not a BIG-bench task: no 'examples' list")
    for number, example in enumerate(examples):
        scores = example.get("target_scores") if isinstance(example, dict) else None
        if not isinstance(scores, dict) or not isinstance(example.get("input"), str):
            raise DataError(f"{path}: example {number} lacks 'input' or 'target_scores'")
        if sorted(scores.values()) != [0] * (len(scores) - 1) + [1] or len(scores) < 2:
            raise DataError(f"{path}: example {number} does not have exactly one correct answer")
    return examples


def debated_options(
    scores: dict[str, int], seed: int, question_id: str, count: int = 2
) -> list[str]:
    """The correct answer first, then ``count - 1`` incorrect ones drawn from the question's
    own stream (for two, the same draw as ever: one ``choice``)."""
    correct = next(option for option, score in scores.items() if score == 1)
    wrong = sorted(option for option, score in scores.items() if score != 1)
    rng = rng_for(seed, "distractor", question_id)
    if count == 2:
        return [correct, rng.choice(wrong)]
    if count - 1 > len(wrong):
        raise DataError(
            f"question {question_id!r} has {len(wrong) + 1} options; options = {count} asks "
            "for more"
        )
    return [correct, *rng.sample(wrong, count - 1)]


def split_mystery(text: str) -> tuple[str, str]:
    """(story, question): the question is the story's last sentence."""
    match = _LAST_QUESTION.match(text.strip())
    if match is None:
        raise ValueError("no closing question found")
    return match.group("story").strip(), match.group("question").strip()


def minute_mysteries(
    spec: MinuteMysteriesDataset, data_root: Path | str | None = None
) -> list[Question]:
    path = data_file(spec.path, data_root)
    questions = []
    for index, example in enumerate(read_examples(path)):
        question_id = f"mm-{index:03d}"
        try:
            story, question = split_mystery(example["input"])
        except ValueError:
            raise DataError(f"{path}: example {index} does not end with a question") from None
        questions.append(
            Question(
                id=question_id,
                text=question,
                options=debated_options(
                    example["target_scores"], spec.seed, question_id, spec.options
                ),
                correct_index=0,
                context=story,
                metadata={
                    "source": "bigbench/minute_mysteries_qa",
                    "index": index,
                    "all_options": sorted(example["target_scores"]),
                },
            )
        )
        if spec.limit is not None and len(questions) >= spec.limit:
            break
    return questions


def logical_deduction(
    spec: LogicalDeductionDataset, data_root: Path | str | None = None
) -> list[Question]:
    default = f"bigbench/logical_deduction/{_OBJECTS[spec.objects]}_objects.json"
    path = data_file(spec.path or default, data_root)
    questions = []
    for index, example in enumerate(read_examples(path)):
        question_id = f"ld{spec.objects}-{index:03d}"
        puzzle = example["input"].strip()
        hidden = spec.passage == "hidden"
        questions.append(
            Question(
                id=question_id,
                text=(
                    "Which statement about the arrangement is true?"
                    if hidden
                    else f"{puzzle}\nWhich statement is true?"
                ),
                options=debated_options(
                    example["target_scores"], spec.seed, question_id, spec.options
                ),
                correct_index=0,
                context=puzzle if hidden else None,
                metadata={
                    "source": f"bigbench/logical_deduction/{_OBJECTS[spec.objects]}_objects",
                    "index": index,
                    "all_options": sorted(example["target_scores"]),
                },
            )
        )
        if spec.limit is not None and len(questions) >= spec.limit:
            break
    return questions


@register("dataset", "minute-mysteries", MinuteMysteriesDataset)
def _minute_mysteries(spec: MinuteMysteriesDataset, components: Components) -> list[Question]:
    return minute_mysteries(spec, components.data_root)


@register("dataset", "logical-deduction", LogicalDeductionDataset)
def _logical_deduction(spec: LogicalDeductionDataset, components: Components) -> list[Question]:
    return logical_deduction(spec, components.data_root)
