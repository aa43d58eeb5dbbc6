"""The sparse-pixel debate as registered kinds (judge ``pixel``, debater ``pixel-search``,
dataset ``mnist-digits``): a config names them like any other, one trained judge serves
every role of its recipe, and a tournament of search players runs as ordinary debates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from debate.components import Components
from debate.errors import DataError
from evals.datasets import load_questions
from evals.experiments import parse_run_config
from judges.pixels.specs import MnistDigitsDataset, PixelJudgeSpec, PixelSearchSpec
from tests.cli_helpers import run_cli
from tests.mnist_helpers import MNIST, TINY_RECIPE, judge_dir, tiny_judge
from transcripts.store import load_transcripts

DATA = MNIST.parent


def judge_spec() -> dict[str, Any]:
    tiny_judge(6)  # trained once per test session, into judge_dir()
    return {
        "kind": "pixel",
        "name": "tiny",
        "recipe": {"pixels": 6, **TINY_RECIPE},
        "judge_dir": str(judge_dir()),
        "device": "cpu",
    }


def player(name: str, **search: Any) -> dict[str, Any]:
    return {"name": name, "debater": {"kind": "pixel-search", "judge": judge_spec(), **search}}


def test_digits_dataset_draws_its_lies_and_refuses_missing_images() -> None:
    spec = MnistDigitsDataset(images=4, lies=2, seed=3)
    questions = load_questions(spec, DATA)
    assert len(questions) == 8
    for q in questions:
        assert q.options[0] == str(q.metadata["label"]) and q.options[1] != q.options[0]
    assert questions == load_questions(spec, DATA)  # seeded
    open_questions = load_questions(MnistDigitsDataset(images=3, precommit=False), DATA)
    assert [q.options[1].startswith("not") for q in open_questions] == [True] * 3
    with pytest.raises(DataError, match="beyond"):
        load_questions(MnistDigitsDataset(images=5, start=9_998), DATA)


def test_one_trained_judge_serves_every_role_of_its_recipe() -> None:
    components = Components(data_root=DATA)
    judge = components.build("judge", PixelJudgeSpec.model_validate(judge_spec()))
    a = components.build(
        "debater", PixelSearchSpec.model_validate({"judge": judge_spec(), "rollouts": 3})
    )
    b = components.build(
        "debater", PixelSearchSpec.model_validate({"judge": judge_spec(), "search": "greedy"})
    )
    assert a.judge.__self__ is b.judge.__self__ is judge.evaluator  # one evaluator, one cache
    assert PixelSearchSpec(search="greedy").label() == "greedy"
    assert PixelSearchSpec(rollouts=30).label() == "mcts-30"


def test_quick_shortens_the_judges_training_but_not_its_name() -> None:
    spec = PixelJudgeSpec()
    assert spec.quick().recipe.steps == 150 < spec.recipe.steps
    assert spec.quick().label() == spec.label() == "pixel-6"
    config = parse_run_config(
        {
            "type": "tournament",
            "dataset": {"kind": "mnist-digits", "images": 50, "precommit": False},
            "protocols": [{"name": "pixel-debate", "settings": {"precommit": False}}],
            "players": [
                {"name": n, "debater": {"kind": "pixel-search", "rollouts": r}}
                for n, r in (("a", 3), ("b", 10))
            ],
            "judges": [{"kind": "pixel"}],
            "quick_questions": 4,
        }
    ).quick()
    assert config.dataset.images == 4
    assert config.judges[0].recipe.steps == 150
    assert all(p.debater.judge.recipe.steps == 150 for p in config.players)


def test_a_tournament_of_search_players(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {
        "type": "tournament",
        "dataset": {"kind": "mnist-digits", "images": 3, "precommit": False},
        "protocols": [{"name": "pixel-debate", "settings": {"precommit": False}}],
        "players": [player("greedy", search="greedy"), player("mcts-3", rollouts=3)],
        "judges": [judge_spec()],
        "position_swap": "random",
        "bootstrap": 10,
    }
    config = tmp_path / "t.json"
    config.write_text(json.dumps(data))
    out = tmp_path / "run"
    code, stdout, err = run_cli(
        capsys, "run", "--config", str(config), "--out", str(out), "--data-dir", str(DATA)
    )
    assert code == 0, err
    assert "(Elo)" in stdout and "mcts-3" in stdout
    transcripts = load_transcripts(out / "transcripts.jsonl")
    assert len(transcripts) == 4 * 3  # pairings x images
    for t in transcripts:
        assert t.usable
        for seat in t.setup.seats:
            honest = t.setup.shown[seat.position] == t.setup.question.correct_index
            expected = t.cell["honest"] if honest else t.cell["liar"]
            assert t.debaters[seat.name].name == ("greedy" if expected == "greedy" else "mcts")
    assert (out / "ratings.csv").read_text().count("\n") == 1 + 2


def test_a_long_training_is_never_silent(monkeypatch: pytest.MonkeyPatch) -> None:
    import judges.pixels.training as training

    clock = iter([0.0, 10.0, 20.0, 31.0, 40.0, 75.0, 80.0])
    monkeypatch.setattr(training.time, "perf_counter", lambda: next(clock))
    lines: list[str] = []
    progress = training.logged_progress(lines.append, every_s=30.0)
    for step in (1, 2, 3, 4, 5):  # of 1000 batches: never a 5% step
        progress(step, 1000, None)
    assert lines == ["  3/1000 batches, 31 s", "  5/1000 batches, 75 s"]
    progress(50, 1000, 0.5)  # the 5% step, with a held-out accuracy
    assert lines[-1] == "  50/1000 batches, 80 s, held-out accuracy 0.500"
