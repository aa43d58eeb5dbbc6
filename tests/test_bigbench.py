"""BIG-bench loaders: hidden stories, debated pairs, user paths and bad files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from debate.errors import DataError
from debate.types import AgentInfo, JudgeView, Verdict
from evals.bigbench import (
    LogicalDeductionDataset,
    MinuteMysteriesDataset,
    debated_options,
    split_mystery,
)
from evals.datasets import load_questions

SHARED = Path(__file__).resolve().parents[1] / ".." / "shared" / "data"
needs_shared = pytest.mark.skipif(
    not (SHARED / "bigbench").is_dir(), reason="shared BIG-bench data not present"
)


def write_task(path: Path, examples: list[dict[str, object]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"name": "t", "examples": examples}))
    return path


STORY = (
    "Mr. Hale found the vase broken at noon. “It was not me,” said Ann. Bob had mud on "
    "his boots, though it had not rained. Cy was asleep. Who broke the vase?"
)


def test_mystery_story_is_hidden_context_and_question_is_its_last_sentence(
    tmp_path: Path,
) -> None:
    scores = {"Ann": 0, "Bob": 1, "Cy": 0}
    write_task(tmp_path / "mm.json", [{"input": STORY, "target_scores": scores}])
    spec = MinuteMysteriesDataset(path="mm.json", seed=4)
    [question] = load_questions(spec, tmp_path)
    assert question.text == "Who broke the vase?"
    assert question.context is not None and question.context.endswith("Cy was asleep.")
    assert "Who broke" not in question.context
    assert question.options[question.correct_index] == "Bob"
    assert len(question.options) == 2 and question.options[1] in {"Ann", "Cy"}
    assert question.metadata["all_options"] == ["Ann", "Bob", "Cy"]


def test_the_debated_pair_is_seeded_per_question() -> None:
    scores = {f"suspect {i}": int(i == 3) for i in range(6)}
    pairs = {tuple(debated_options(scores, 0, f"q{i}")) for i in range(30)}
    assert all(pair[0] == "suspect 3" for pair in pairs)
    assert len({pair[1] for pair in pairs}) > 1  # distractors vary across questions...
    assert debated_options(scores, 0, "q1") == debated_options(scores, 0, "q1")  # ...reproducibly
    assert {tuple(debated_options(scores, s, "q1")) for s in range(20)} != {
        tuple(debated_options(scores, 0, "q1"))
    }


def test_split_mystery_handles_closing_quotes_and_ellipses() -> None:
    assert split_mystery("He smiled. ''I know who did it.'' Who is the thief?") == (
        "He smiled. ''I know who did it.''",
        "Who is the thief?",
    )
    assert split_mystery("The answer is clear. … Who shot Mom?")[1] == "Who shot Mom?"
    with pytest.raises(ValueError):
        split_mystery("A story with no question at the end.")


def test_bad_files_are_one_line_data_errors(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="data file not found"):
        load_questions(MinuteMysteriesDataset(path="missing.json"), tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(DataError, match="not valid JSON"):
        load_questions(MinuteMysteriesDataset(path="bad.json"), tmp_path)
    write_task(tmp_path / "two.json", [{"input": STORY, "target_scores": {"A": 1, "B": 1}}])
    with pytest.raises(DataError, match="exactly one correct answer"):
        load_questions(MinuteMysteriesDataset(path="two.json"), tmp_path)
    no_question = {"input": "No question.", "target_scores": {"A": 1, "B": 0}}
    write_task(tmp_path / "noq.json", [no_question])
    with pytest.raises(DataError, match="example 0 does not end with a question"):
        load_questions(MinuteMysteriesDataset(path="noq.json"), tmp_path)


def test_data_dir_comes_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_task(
        tmp_path / "bigbench" / "logical_deduction" / "five_objects.json",
        [{"input": "Five books stand on a shelf.", "target_scores": {"x": 1, "y": 0}}],
    )
    monkeypatch.setenv("DEBATE_DATA_DIR", str(tmp_path))
    [question] = load_questions(LogicalDeductionDataset(objects=5))
    assert question.id == "ld5-000" and question.context is None
    assert question.text.startswith("Five books stand on a shelf.")


@needs_shared
def test_minute_mysteries_from_the_shared_data() -> None:
    questions = load_questions(MinuteMysteriesDataset(), SHARED)
    assert len(questions) == 203
    assert len({q.id for q in questions}) == 203
    assert all(q.text.endswith("?") and len(q.text) < 120 for q in questions)
    assert all(q.context and len(q.context) > 2000 for q in questions)
    assert all(q.options[0] != q.options[1] for q in questions)
    assert len(load_questions(MinuteMysteriesDataset(limit=7), SHARED)) == 7


@needs_shared
def test_logical_deduction_shown_or_hidden() -> None:
    shown = load_questions(LogicalDeductionDataset(objects=3, limit=3), SHARED)
    hidden = load_questions(LogicalDeductionDataset(objects=7, passage="hidden", limit=3), SHARED)
    assert shown[0].context is None and "On a shelf" in shown[0].text
    assert hidden[0].context is not None and hidden[0].context not in hidden[0].text
    assert len(load_questions(LogicalDeductionDataset(objects=5), SHARED)) == 500


@needs_shared
@pytest.mark.parametrize("count", [3, 4])
def test_bigbench_questions_keep_any_number_of_options(count: int) -> None:
    two = load_questions(MinuteMysteriesDataset(limit=20), SHARED)
    more = load_questions(MinuteMysteriesDataset(limit=20, options=count), SHARED)
    for a, b in zip(two, more, strict=True):
        assert len(b.options) == count and len(set(b.options)) == count
        assert b.correct_index == 0 and b.options[0] == a.options[0]  # the correct one
        assert set(b.options) <= set(b.metadata["all_options"])
    again = load_questions(MinuteMysteriesDataset(limit=20, options=count), SHARED)
    assert [q.options for q in again] == [q.options for q in more]  # seeded, reproducible


@needs_shared
def test_more_options_than_a_question_has_is_one_line() -> None:
    with pytest.raises(DataError, match="has 3 options; options = 4 asks for more"):
        load_questions(LogicalDeductionDataset(objects=3, options=4, limit=1), SHARED)


def test_a_four_option_bigbench_eval_runs_three_debaters(tmp_path: Path) -> None:
    """Three debaters on questions keeping four of their options (BIG-bench data offline)."""
    if not (SHARED / "bigbench").is_dir():
        pytest.skip("shared data not here")
    from evals.config import parse_config
    from evals.runner import run_eval

    config = parse_config(
        {
            "dataset": {"kind": "logical-deduction", "objects": 5, "options": 4, "limit": 4},
            "protocols": [{"name": "naive", "settings": {"answers": 3}}],
            "judges": [{"kind": "tests.test_bigbench:FirstOfThree"}],
        }
    )
    outcome = run_eval(config, tmp_path / "run", data_root=SHARED)
    assert outcome.failed == 0 and outcome.ran == 4 * 3  # three rotations of three answers
    assert outcome.results[0].accuracy == pytest.approx(1 / 3)  # always A: right once in three


class FirstOfThree:
    """Always backs the first shown answer."""

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="first", name="first")

    async def __call__(self, view: JudgeView) -> Verdict:
        return Verdict(probabilities=[1.0] + [0.0] * (len(view.answers) - 1))
