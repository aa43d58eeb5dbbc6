"""QuALITY, GPQA and BoolQ loaders: records in the published formats, hidden passages,
seeded GPQA option order, one-line errors for bad files, and Hugging Face through a fake
``datasets`` module (the real one is optional and needs the network)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tomllib
import types
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from debate.debaters import ModelDebater
from debate.engine import run_debate
from debate.errors import ConfigError, DataError
from debate.models import GenerateRequest, Model, ModelConfig, ScriptedBackend
from debate.protocol import build_protocol
from debate.registry import kinds
from debate.types import AgentInfo, JudgeView, Question, Verdict
from evals.config import parse_config
from evals.datasets import load_questions
from evals.literature import BoolqDataset, GpqaDataset, QualityDataset
from judges import ModelJudge

ARTICLE = (
    "THE LAST SIGNAL\nBy Ann Example\n\nThe beacon on Tethys had been silent for nine years "
    "when Mara heard it blink again. She logged it at 0400, told no one, and went back to sleep."
)


def quality_article(**changes: Any) -> dict[str, Any]:
    """One line of QuALITY.v1.0.1.htmlstripped.dev: an article and its questions."""
    questions: list[dict[str, Any]] = [
        {
            "question": "When did Mara log the signal?",
            "question_unique_id": "52995_I3M5VUMM_1",
            "options": ["At noon", "At 0400", "At midnight", "She never logged it"],
            "gold_label": 2,
            "writer_label": 2,
            "validation": [{"untimed_annotator_id": "0", "untimed_answer": 2}],
            "speed_validation": [{"speed_annotator_id": "1", "speed_answer": 2}],
            "difficult": 0,
        },
        {
            "question": "Why did Mara tell no one?",
            "question_unique_id": "52995_I3M5VUMM_2",
            "options": ["She was tired", "It was secret", "Orders", "The story does not say"],
            "gold_label": 4,
            "writer_label": 4,
            "difficult": 1,
        },
        {
            "question": "How long had the beacon been silent?",
            "question_unique_id": "52995_I3M5VUMM_3",
            "options": ["Nine years", "Nine days", "Ninety years", "A year"],
            "gold_label": 1,
            "writer_label": 1,
            "difficult": 0,
        },
    ]
    record = {
        "article_id": "52995",
        "set_unique_id": "52995_I3M5VUMM",
        "batch_num": "22",
        "writer_id": "1024",
        "source": "Gutenberg",
        "title": "The Last Signal",
        "year": 1962,
        "author": "Ann Example",
        "topic": "Science fiction",
        "article": ARTICLE,
        "url": "http://www.gutenberg.org/ebooks/52995",
        "license": "This eBook is for the use of anyone anywhere ...",
        "questions": questions,
    }
    return record | changes


def write_jsonl(path: Path, records: list[Any]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return path


GPQA_HEADER = [
    "Pre-Revision Question",
    "Pre-Revision Correct Answer",
    "Pre-Revision Incorrect Answer 1",
    "Pre-Revision Incorrect Answer 2",
    "Pre-Revision Incorrect Answer 3",
    "Pre-Revision Explanation",
    "Self-reported question-writing time (minutes)",
    "Question",
    "Correct Answer",
    "Incorrect Answer 1",
    "Incorrect Answer 2",
    "Incorrect Answer 3",
    "Explanation",
    "Revision Comments (from Question Writer)",
    "Subdomain",
    "Writer's Difficulty Estimate",
    "Extra Revised Question",
    "Record ID",
    "High-level domain",
    "Question Writer",
    "Feedback_EV_1",
]
TRICKY = 'Which, if any, of "A, B" holds?\nAssume, as usual, the "standard" model.'


def gpqa_row(number: int, **changes: str) -> dict[str, str]:
    row = dict.fromkeys(GPQA_HEADER, 'ignored, "really"\nignored')
    row |= {
        "Question": TRICKY if number == 0 else f"Question number {number}?",
        "Correct Answer": f" right {number}\n",
        "Incorrect Answer 1": f"wrong {number}a",
        "Incorrect Answer 2": f"wrong {number}b",
        "Incorrect Answer 3": f"wrong {number}c",
        "Record ID": f"rec{number:04d}",
        "High-level domain": "Physics",
        "Subdomain": "Quantum Mechanics",
    }
    return row | changes


def write_gpqa(path: Path, rows: list[dict[str, str]], header: list[str] = GPQA_HEADER) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


PASSAGE = "Persian is spoken in Iran; Dari, a variety of Persian, is spoken in Afghanistan."
BOOLQ = [
    {
        "question": "do iran and afghanistan speak the same language",
        "title": "Persian language",
        "answer": True,
        "passage": PASSAGE,
    },
    {
        "question": "is the moon made of cheese",
        "title": "Moon",
        "answer": False,
        "passage": "The Moon is rocky.",
    },
]


# --- QuALITY -----------------------------------------------------------------------------


def test_quality_questions_carry_the_article_as_hidden_context(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "QuALITY.v1.0.1.htmlstripped.dev", [quality_article()])
    questions = load_questions(QualityDataset(path="QuALITY.v1.0.1.htmlstripped.dev"), tmp_path)
    assert [q.id for q in questions] == [f"52995_I3M5VUMM_{i}" for i in (1, 2, 3)]
    first = questions[0]
    assert first.text == "When did Mara log the signal?"
    assert first.options == ["At noon", "At 0400", "At midnight", "She never logged it"]
    assert first.options[first.correct_index] == "At 0400"  # gold_label is 1-based
    assert [q.correct_index for q in questions] == [1, 3, 0]
    assert all(q.context == ARTICLE for q in questions)
    assert all(ARTICLE not in q.text and "Mara heard" not in q.text for q in questions)
    assert first.metadata["title"] == "The Last Signal"
    assert [q.metadata["difficult"] for q in questions] == [False, True, False]


def test_quality_hard_only_limit_and_fallback_ids(tmp_path: Path) -> None:
    second = quality_article(set_unique_id="7_X", article="Another story.")
    for question in second["questions"]:
        del question["question_unique_id"]
    write_jsonl(tmp_path / "q.jsonl", [quality_article(), second])
    hard = load_questions(QualityDataset(path="q.jsonl", hard_only=True), tmp_path)
    assert [q.id for q in hard] == ["52995_I3M5VUMM_2", "7_X_2"]  # numbered from 1
    assert [q.id for q in load_questions(QualityDataset(path="q.jsonl", limit=2), tmp_path)] == [
        "52995_I3M5VUMM_1",
        "52995_I3M5VUMM_2",
    ]
    everything = load_questions(QualityDataset(path="q.jsonl"), tmp_path)
    assert [q.id for q in everything][3:] == ["7_X_1", "7_X_2", "7_X_3"]
    easy = quality_article()
    easy["questions"] = [q for q in easy["questions"] if not q["difficult"]]
    write_jsonl(tmp_path / "easy.jsonl", [easy])
    with pytest.raises(DataError, match="no questions marked difficult"):
        load_questions(QualityDataset(path="easy.jsonl", hard_only=True), tmp_path)


# --- the judge never sees the passage --------------------------------------------------


def text_of(request: GenerateRequest) -> str:
    return "\n".join(m.content for m in request.messages)


@pytest.mark.parametrize("kind", ["quality", "boolq"])
async def test_debaters_read_the_passage_and_the_judge_does_not(tmp_path: Path, kind: str) -> None:
    if kind == "quality":
        write_jsonl(tmp_path / "data", [quality_article()])
        passage, question = ARTICLE, load_questions(QualityDataset(path="data"), tmp_path)[0]
    else:
        write_jsonl(tmp_path / "data", BOOLQ)
        passage, question = PASSAGE, load_questions(BoolqDataset(path="data"), tmp_path)[0]
    debaters = ScriptedBackend(["First speech.", "Second speech."])
    judge = ScriptedBackend(["Debater A is right.\nProbabilities: A=0.8, B=0.2"])
    with debaters, judge:
        await run_debate(
            question,
            build_protocol("debate-sequential", {"rounds": 1}),
            ModelDebater(Model(debaters, ModelConfig(model="test"))),
            ModelJudge(Model(judge, ModelConfig(model="test"))),
            swap=False,
            raise_errors=True,
        )
    assert all(passage in text_of(request) for request in debaters.requests)
    (judged,) = judge.requests
    seen = text_of(judged)
    assert question.text in seen and "First speech." in seen
    assert passage not in seen and passage[:40] not in seen


# --- GPQA --------------------------------------------------------------------------------


def test_gpqa_rows_become_four_shuffled_options(tmp_path: Path) -> None:
    write_gpqa(tmp_path / "gpqa_diamond.csv", [gpqa_row(i) for i in range(12)])
    questions = load_questions(GpqaDataset(path="gpqa_diamond.csv"), tmp_path)
    assert [q.id for q in questions] == [f"rec{i:04d}" for i in range(12)]
    assert questions[0].text == TRICKY  # commas, quotes and a newline survive the CSV
    for i, question in enumerate(questions):
        assert question.options[question.correct_index] == f"right {i}"  # stripped
        assert sorted(question.options) == sorted(
            [f"right {i}", f"wrong {i}a", f"wrong {i}b", f"wrong {i}c"]
        )
        assert question.context is None
        assert question.metadata["domain"] == "Physics"
    assert len({q.correct_index for q in questions}) > 1  # the correct answer moves
    again = load_questions(GpqaDataset(path="gpqa_diamond.csv"), tmp_path)
    assert [q.options for q in again] == [q.options for q in questions]  # deterministic
    other = load_questions(GpqaDataset(path="gpqa_diamond.csv", seed=1), tmp_path)
    assert [q.options for q in other] != [q.options for q in questions]  # seeded
    assert len(load_questions(GpqaDataset(path="gpqa_diamond.csv", limit=5), tmp_path)) == 5


# --- BoolQ -------------------------------------------------------------------------------


def test_boolq_yes_no_with_ids_from_lines_or_idx(tmp_path: Path) -> None:
    lines = [json.dumps(BOOLQ[0]), "", json.dumps(BOOLQ[1]), json.dumps(BOOLQ[1] | {"idx": 7})]
    (tmp_path / "dev.jsonl").write_text("\n".join(lines) + "\n")
    questions = load_questions(BoolqDataset(path="dev.jsonl"), tmp_path)
    assert [q.id for q in questions] == ["boolq-1", "boolq-3", "boolq-7"]
    assert all(q.options == ["yes", "no"] for q in questions)
    assert [q.correct_index for q in questions] == [0, 1, 1]
    assert questions[0].text == BOOLQ[0]["question"] and questions[0].context == PASSAGE
    assert questions[0].metadata["title"] == "Persian language"
    assert len(load_questions(BoolqDataset(path="dev.jsonl", limit=1), tmp_path)) == 1


# --- bad input ---------------------------------------------------------------------------


def one_line_error(spec: Any, root: Path, match: str) -> str:
    with pytest.raises(DataError, match=match) as caught:
        load_questions(spec, root)
    message = str(caught.value)
    assert "\n" not in message and "Traceback" not in message
    return message


def test_bad_quality_files_are_one_line_errors(tmp_path: Path) -> None:
    one_line_error(QualityDataset(path="missing.dev"), tmp_path, "data file not found")
    good = json.dumps(quality_article())
    (tmp_path / "bad.jsonl").write_text(good + "\n{not json\n")
    assert "bad.jsonl:2: not valid JSON" in one_line_error(
        QualityDataset(path="bad.jsonl"), tmp_path, "not valid JSON"
    )
    (tmp_path / "latin1.jsonl").write_bytes(good.encode() + b'\n{"article": "caf\xe9"}\n')
    one_line_error(QualityDataset(path="latin1.jsonl"), tmp_path, r"latin1\.jsonl:2: not valid")
    test_split = quality_article()
    for question in test_split["questions"]:
        del question["gold_label"]
    write_jsonl(tmp_path / "test.jsonl", [test_split])
    message = one_line_error(QualityDataset(path="test.jsonl"), tmp_path, "no 'gold_label'")
    assert "test.jsonl:1, question 52995_I3M5VUMM_1" in message
    out_of_range = quality_article()
    out_of_range["questions"][1]["gold_label"] = 5
    write_jsonl(tmp_path / "range.jsonl", [out_of_range])
    one_line_error(
        QualityDataset(path="range.jsonl"), tmp_path, r"_2: gold_label 5 is not in 1\.\.4"
    )
    write_jsonl(tmp_path / "noarticle.jsonl", [quality_article(article=None)])
    one_line_error(QualityDataset(path="noarticle.jsonl"), tmp_path, r":1: no 'article'")


def test_bad_gpqa_files_are_one_line_errors(tmp_path: Path) -> None:
    one_line_error(GpqaDataset(path="gpqa_main.csv"), tmp_path, "data file not found")
    header = [name for name in GPQA_HEADER if name != "Incorrect Answer 3"]
    write_gpqa(tmp_path / "short.csv", [gpqa_row(1)], header)
    one_line_error(GpqaDataset(path="short.csv"), tmp_path, "no column 'Incorrect Answer 3'")
    write_gpqa(tmp_path / "empty.csv", [gpqa_row(1), gpqa_row(2, **{"Correct Answer": " "})])
    message = one_line_error(GpqaDataset(path="empty.csv"), tmp_path, "'Correct Answer' is empty")
    assert "(row 2)" in message
    write_gpqa(tmp_path / "same.csv", [gpqa_row(1, **{"Incorrect Answer 2": "right 1"})])
    one_line_error(GpqaDataset(path="same.csv"), tmp_path, "two of its answers are the same")
    text = (tmp_path / "empty.csv").read_bytes().replace(b"wrong 2a", b"wr\xf6ng 2a")
    (tmp_path / "latin1.csv").write_bytes(text)
    one_line_error(GpqaDataset(path="latin1.csv"), tmp_path, r"latin1\.csv:\d+: not valid UTF-8")


def test_bad_boolq_files_are_one_line_errors(tmp_path: Path) -> None:
    write_jsonl(tmp_path / "str.jsonl", [BOOLQ[0], BOOLQ[1] | {"answer": "yes"}])
    one_line_error(BoolqDataset(path="str.jsonl"), tmp_path, r"str\.jsonl:2: 'answer' is a str")
    write_jsonl(tmp_path / "list.jsonl", [[1, 2]])
    one_line_error(BoolqDataset(path="list.jsonl"), tmp_path, "not a JSON object")
    (tmp_path / "blank.jsonl").write_text("\n\n")
    one_line_error(BoolqDataset(path="blank.jsonl"), tmp_path, "holds no questions")


def test_exactly_one_of_path_and_hf() -> None:
    for spec in (BoolqDataset, QualityDataset, GpqaDataset):
        with pytest.raises(ValidationError, match="exactly one of path"):
            spec()
        with pytest.raises(ValidationError, match="exactly one of path"):
            spec(path="x", hf="y")
    with pytest.raises(ConfigError, match="exactly one of path") as caught:
        parse_config(
            {
                "dataset": {"kind": "gpqa"},
                "protocols": [{"name": "naive"}],
                "judges": [{"kind": "tests.test_literature_datasets:FirstShown"}],
            }
        )
    assert "\n" not in str(caught.value)


# --- Hugging Face through a fake ``datasets`` module -----------------------------------


@pytest.fixture
def fake_hub(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """A ``datasets`` module whose ``load_dataset`` serves ``hub[name]`` and records calls."""
    hub: dict[str, Any] = {"calls": []}

    def load_dataset(name: str, config: str | None = None, *, split: str) -> list[Any]:
        hub["calls"].append((name, config, split))
        if name not in hub:
            raise FileNotFoundError(f"Dataset '{name}' doesn't exist on the Hub\nor cannot be read")
        return list(hub[name])

    module = types.ModuleType("datasets")
    module.load_dataset = load_dataset  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "datasets", module)
    return hub


def test_hf_datasets_load_through_the_same_rows(fake_hub: dict[str, Any]) -> None:
    flat = {key: value for key, value in quality_article().items() if key != "questions"}
    fake_hub["tasksource/QuALITY"] = [flat | q for q in quality_article()["questions"]]
    fake_hub["nyu/quality-articles"] = [quality_article()]
    fake_hub["Idavidrein/gpqa"] = [gpqa_row(i) for i in range(3)]
    fake_hub["google/boolq"] = [{k: v for k, v in r.items() if k != "title"} for r in BOOLQ]

    flat_questions = load_questions(QualityDataset(hf="tasksource/QuALITY", hard_only=True))
    assert [(q.id, q.context) for q in flat_questions] == [("52995_I3M5VUMM_2", ARTICLE)]
    articles = load_questions(QualityDataset(hf="nyu/quality-articles", split="train"))
    assert [q.correct_index for q in articles] == [1, 3, 0]
    gpqa = load_questions(GpqaDataset(hf="Idavidrein/gpqa", hf_config="gpqa_diamond"))
    assert [q.options[q.correct_index] for q in gpqa] == ["right 0", "right 1", "right 2"]
    assert gpqa[0].text == TRICKY
    boolq = load_questions(BoolqDataset(hf="google/boolq", limit=1))
    assert [(q.id, q.correct_index, q.context) for q in boolq] == [("boolq-1", 0, PASSAGE)]
    assert fake_hub["calls"] == [
        ("tasksource/QuALITY", None, "validation"),
        ("nyu/quality-articles", None, "train"),
        ("Idavidrein/gpqa", "gpqa_diamond", "train"),
        ("google/boolq", None, "validation"),
    ]


def test_hf_problems_are_one_line(
    fake_hub: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    message = one_line_error(BoolqDataset(hf="nobody/nothing"), Path("."), "doesn't exist")
    assert message.startswith("Hugging Face dataset 'nobody/nothing'")
    fake_hub["google/boolq"] = [BOOLQ[0], {"question": "no passage?", "answer": True}]
    one_line_error(
        BoolqDataset(hf="google/boolq"), Path("."), r"\(validation\) row 2: no 'passage'"
    )
    monkeypatch.setitem(sys.modules, "datasets", None)  # not installed: import fails
    one_line_error(BoolqDataset(hf="google/boolq"), Path("."), "pip install datasets")


# --- by name, through the registry and a config ---------------------------------------


class FirstShown:
    """Always backs the first shown answer."""

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="first", name="first")

    async def __call__(self, view: JudgeView) -> Verdict:
        return Verdict(probabilities=[1.0] + [0.0] * (len(view.answers) - 1))


def test_configs_name_the_kinds(tmp_path: Path) -> None:
    assert {"quality", "gpqa", "boolq"} <= set(kinds("dataset"))
    # The registry finds them by itself, not because this file imported evals.literature.
    fresh = "from debate.registry import kinds; print(sorted(kinds('dataset')))"
    root = Path(__file__).resolve().parents[1]
    listed = subprocess.run(
        [sys.executable, "-c", fresh], capture_output=True, text=True, cwd=root, check=False
    )
    assert "'boolq', " in listed.stdout and "'gpqa', " in listed.stdout, listed.stderr
    assert "'quality', " in listed.stdout
    write_jsonl(tmp_path / "boolq.jsonl", BOOLQ)
    write_jsonl(tmp_path / "quality.dev", [quality_article()])
    write_gpqa(tmp_path / "gpqa.csv", [gpqa_row(1)])
    toml = f"""
    dataset = {{ kind = "boolq", path = "{tmp_path / "boolq.jsonl"}" }}
    protocols = [{{ name = "naive" }}]
    judges = [{{ kind = "tests.test_literature_datasets:FirstShown" }}]
    """
    config = parse_config(tomllib.loads(toml))
    assert isinstance(config.dataset, BoolqDataset)
    assert len(load_questions(config.dataset)) == 2
    assert config.quick().dataset == BoolqDataset(path=str(tmp_path / "boolq.jsonl"), limit=20)
    for table, count in [
        ({"kind": "quality", "path": "quality.dev", "hard_only": True}, 1),
        ({"kind": "gpqa", "path": "gpqa.csv", "seed": 3}, 1),
        ({"kind": "boolq", "path": "boolq.jsonl", "limit": 1}, 1),
    ]:
        spec = parse_config({**tomllib.loads(toml), "dataset": table}).dataset
        questions = load_questions(spec, tmp_path)
        assert len(questions) == count and all(isinstance(q, Question) for q in questions)


def test_a_boolq_eval_runs_end_to_end(tmp_path: Path) -> None:
    from evals.runner import run_eval

    write_jsonl(tmp_path / "boolq.jsonl", BOOLQ)
    config = parse_config(
        {
            "dataset": {"kind": "boolq", "path": "boolq.jsonl"},
            "protocols": [{"name": "naive"}],
            "judges": [{"kind": "tests.test_literature_datasets:FirstShown"}],
        }
    )
    outcome = run_eval(config, tmp_path / "run", data_root=tmp_path)
    assert outcome.failed == 0 and outcome.ran == 2 * 2  # both answer orders
    assert outcome.results[0].accuracy == pytest.approx(1 / 2)
