"""Reasoning-gym tasks (procedurally generated, offline) as multiple-choice questions.

``reasoning_gym`` generates a task's questions with their answers from a seed, nothing
downloaded. A debate shows answers to choose from, so each question gets ``options - 1``
distractors: the answers of other questions of the same task (drawn with the seed, never
equal to the correct one), which look like answers to the task and are wrong. Optional
extra ``reasoning`` (``pip install 'debate-lab[reasoning]'``), imported only when used.
"""

from __future__ import annotations

import random
from typing import Any, Literal

from pydantic import Field

from debate.components import Components
from debate.errors import DataError
from debate.registry import register
from debate.types import Question
from evals.config import DatasetSpec

POOL = 4
"""Questions generated per question asked for: the distractors' source."""


class ReasoningGymDataset(DatasetSpec):
    """``n`` questions of reasoning-gym task ``task``, each with ``options`` answers shown."""

    kind: Literal["reasoning-gym"] = "reasoning-gym"
    task: str = Field(description="a reasoning_gym dataset name, e.g. 'basic_arithmetic'")
    n: int = Field(default=100, ge=1, le=100_000, description="number of questions")
    seed: int = Field(default=0, description="generator and distractor seed")
    options: int = Field(default=2, ge=2, le=8, description="answers per question")
    settings: dict[str, Any] = Field(default_factory=dict, description="the task's own settings")

    def limited(self, n: int) -> DatasetSpec:
        return self.model_copy(update={"n": min(self.n, n)})


def _generate(spec: ReasoningGymDataset, size: int) -> list[dict[str, Any]]:
    try:
        import reasoning_gym
    except ImportError:
        raise DataError(
            "dataset reasoning-gym needs the reasoning-gym package: "
            "pip install 'debate-lab[reasoning]'"
        ) from None
    try:
        generated = reasoning_gym.create_dataset(
            spec.task, size=size, seed=spec.seed, **spec.settings
        )
    except Exception as exc:  # an unknown task or setting: one line naming it
        reason = " ".join(str(exc).split()) or type(exc).__name__
        raise DataError(f"dataset reasoning-gym, task {spec.task!r}: {reason}") from None
    return [dict(item) for item in generated]


@register("dataset", "reasoning-gym", ReasoningGymDataset)
def reasoning_gym_questions(spec: ReasoningGymDataset, components: Components) -> list[Question]:
    items = _generate(spec, spec.n * POOL)
    answers = list(dict.fromkeys(str(item["answer"]) for item in items))
    rng = random.Random(spec.seed)
    questions = []
    for i, item in enumerate(items[: spec.n]):
        correct = str(item["answer"])
        others = [a for a in answers if a != correct]
        if len(others) < spec.options - 1:
            raise DataError(
                f"dataset reasoning-gym, task {spec.task!r}: too few distinct answers for "
                f"{spec.options} options"
            )
        options = [correct, *rng.sample(others, spec.options - 1)]
        rng.shuffle(options)
        questions.append(
            Question(
                id=f"rg-{spec.task}-{spec.seed}-{i}",
                text=str(item["question"]),
                options=options,
                correct_index=options.index(correct),
                metadata={"task": spec.task, "source_index": i},
            )
        )
    return questions
