"""Reasoning-gym tasks as multiple-choice questions: generated offline from a seed, the
task's own answer among the options, distractors drawn from the task's other answers."""

from __future__ import annotations

import builtins
from typing import Any

import pytest

from debate.errors import DataError
from evals.datasets import load_questions
from evals.reasoning_gym import ReasoningGymDataset


@pytest.mark.parametrize("options", [2, 4])
def test_questions_carry_the_tasks_answer_and_distinct_distractors(options: int) -> None:
    import reasoning_gym

    spec = ReasoningGymDataset(task="basic_arithmetic", n=20, seed=3, options=options)
    questions = load_questions(spec)
    source = list(reasoning_gym.create_dataset("basic_arithmetic", size=20 * 4, seed=3))
    assert len(questions) == 20
    for q, item in zip(questions, source, strict=False):
        assert q.text == item["question"]
        assert q.options[q.correct_index] == str(item["answer"])
        assert len(set(q.options)) == options == len(q.options)
    assert questions == load_questions(spec)  # seeded
    positions = {q.correct_index for q in questions}
    assert len(positions) > 1  # the correct answer is not always shown first


def test_bad_tasks_and_a_missing_package_are_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(DataError, match="no_such_task"):
        load_questions(ReasoningGymDataset(task="no_such_task", n=2))
    real = builtins.__import__

    def refuse(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "reasoning_gym":
            raise ImportError(name)
        return real(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", refuse)
    with pytest.raises(DataError, match=r"pip install 'debate-lab\[reasoning\]'"):
        load_questions(ReasoningGymDataset(task="basic_arithmetic", n=2))
