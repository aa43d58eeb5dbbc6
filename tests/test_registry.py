"""Components by registry: built-in kinds, kinds named by import path, plug-in entry points,
and no dispatch on spec types anywhere else."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from debate import registry
from debate.components import Components
from debate.errors import ConfigError
from debate.registry import CustomSpec, Spec, kinds, parse_spec, register
from debate.types import AgentInfo, JudgeView, Verdict
from evals.config import parse_config

ROOT = Path(__file__).resolve().parents[1]


class FirstSpec(Spec):
    kind: Literal["test-first"] = "test-first"
    confidence: float = 0.9

    def label(self) -> str:
        return f"first-{self.confidence}"


class FirstJudge:
    def __init__(self, confidence: float) -> None:
        self.confidence = confidence

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="test-first", name="first")

    async def __call__(self, view: JudgeView) -> Verdict:
        rest = (1 - self.confidence) / (len(view.answers) - 1)
        return Verdict(probabilities=[self.confidence] + [rest] * (len(view.answers) - 1))


@register("judge", "test-first", FirstSpec)
def first_judge(spec: FirstSpec, components: Components) -> FirstJudge:
    return FirstJudge(spec.confidence)


def test_every_group_lists_its_built_in_kinds() -> None:
    assert {"python", "openai", "anthropic", "local"} <= set(kinds("backend"))
    assert {"simulated", "model", "treesum"} <= set(kinds("debater"))
    assert {"simulated", "model", "human", "treesum", "test-first"} <= set(kinds("judge"))
    assert {"evidence", "jsonl", "minute-mysteries", "logical-deduction"} <= set(kinds("dataset"))
    assert {"eval", "sweep", "irving-mnist", "rejudge"} <= set(kinds("experiment"))


@pytest.mark.parametrize(
    ("group", "value", "needle"),
    [
        ("judge", {"kind": "nope"}, "unknown judge kind 'nope'; known: "),
        ("backend", {"kind": "nope"}, "'openai'"),
        ("dataset", {"kind": "nope"}, "'evidence'"),
        ("judge", {}, "kind is missing"),
        ("judge", ["simulated"], "a judge is a table of settings"),
        ("experiment", {"type": "nope"}, "unknown experiment kind 'nope'"),
    ],
)
def test_unknown_and_malformed_kinds_are_one_clear_line(
    group: registry.Group, value: Any, needle: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(needle)):
        parse_spec(group, value)


def test_a_registered_kind_is_named_by_kind_or_by_the_path_of_its_factory() -> None:
    by_kind = parse_spec("judge", {"kind": "test-first", "confidence": 0.7})
    assert isinstance(by_kind, FirstSpec) and by_kind.confidence == 0.7
    by_path = parse_spec("judge", {"kind": "tests.test_registry:first_judge", "confidence": 0.7})
    assert isinstance(by_path, FirstSpec)  # its own spec validates the settings
    plain = parse_spec(
        "judge", {"kind": "tests.test_registry:FirstJudge", "settings": {"confidence": 0.6}}
    )
    assert isinstance(plain, CustomSpec)
    judge = Components().build("judge", plain)
    assert isinstance(judge, FirstJudge) and judge.confidence == 0.6
    with pytest.raises(ValueError, match="confidence"):
        parse_spec("judge", {"kind": "test-first", "confidence": "high"})


def test_an_eval_config_names_a_registered_judge_and_labels_its_cell(tmp_path: Path) -> None:
    from evals.runner import run_eval

    config = parse_config(
        {
            "dataset": {"kind": "evidence", "n": 4},
            "protocols": [{"name": "naive"}],
            "judges": [{"kind": "test-first", "confidence": 0.8}],
        }
    )
    outcome = run_eval(config, tmp_path / "run")
    assert [r.cell["judge"] for r in outcome.results] == ["first-0.8"]
    assert outcome.results[0].n == 8 and outcome.results[0].accuracy == 0.5  # balanced orders


def test_a_kind_taken_by_another_factory_is_refused() -> None:
    with pytest.raises(ValueError, match="already registered"):

        @register("judge", "test-first", FirstSpec)
        def other(spec: FirstSpec, components: Components) -> FirstJudge:
            return FirstJudge(0.5)


def test_a_factory_building_the_wrong_thing_is_one_line() -> None:
    class NotAJudgeSpec(Spec):
        kind: Literal["test-not-a-judge"] = "test-not-a-judge"

    @register("judge", "test-not-a-judge", NotAJudgeSpec)
    def not_a_judge(spec: NotAJudgeSpec, components: Components) -> object:
        return object()

    with pytest.raises(ConfigError, match="lacks the judge methods"):
        Components().build("judge", NotAJudgeSpec())


class _Point:
    def __init__(self, name: str, value: str, fail: bool = False) -> None:
        self.name, self.value, self.fail = name, value, fail

    def load(self) -> Any:
        if self.fail:
            raise ImportError("no module named broken_plugin")
        return None  # loads, but registers nothing


def test_plug_in_entry_points_that_fail_or_register_nothing_are_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    points = [_Point("broken", "broken_plugin", fail=True), _Point("silent", "silent_plugin")]
    monkeypatch.setattr(registry, "entry_points", lambda group: points)
    with pytest.raises(ConfigError, match="plug-in 'broken_plugin' for judge kind 'broken' failed"):
        registry.component("judge", "broken")
    with pytest.raises(ConfigError, match="does not register judge kind 'silent'"):
        registry.component("judge", "silent")
    assert {"broken", "silent"} <= set(kinds("judge"))  # installed kinds are listed


SPEC_DISPATCH = re.compile(r"isinstance\([^)]*,\s*\(?\s*[\w.]*(Spec|Dataset)\b")


def test_no_dispatch_on_spec_types_outside_the_registry() -> None:
    """Only the registry decides what a spec builds: no ``isinstance(x, SomethingSpec)``."""
    found = []
    for package in ("debate", "judges", "protocols", "transcripts", "evals"):
        for path in (ROOT / package).rglob("*.py"):
            for number, line in enumerate(path.read_text().splitlines(), start=1):
                if SPEC_DISPATCH.search(line) and "isinstance(value, Spec)" not in line:
                    found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not found, found


def test_run_configs_parse_by_type_and_keep_every_field_in_json() -> None:
    from evals.experiments import parse_run_config

    config = parse_run_config(
        {
            "protocols": [{"name": "naive"}],
            "judges": [{"kind": "test-first", "confidence": 0.75}],
            "debater": {"kind": "simulated"},
        }
    )
    assert type(config).__name__ == "EvalConfig"
    dumped = config.model_dump(mode="json")
    assert dumped["judges"] == [{"kind": "test-first", "confidence": 0.75}]
    assert isinstance(config, BaseModel) and type(config).model_validate(dumped) == config


FOLDER_JUDGE = """
from typing import Literal
from debate.registry import Spec, register
from tests.test_registry import FirstJudge


class BesideSpec(Spec):
    kind: Literal["test-beside"] = "test-beside"

    def label(self) -> str:
        return "beside"


@register("judge", "test-beside", BesideSpec)
def beside(spec, components):
    return FirstJudge(0.6)
"""


def test_modules_beside_the_config_are_importable_from_any_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from tests.cli_helpers import run_cli

    folder = tmp_path / "configs"
    folder.mkdir()
    (folder / "beside_judges.py").write_text(FOLDER_JUDGE)
    (folder / "c.toml").write_text(
        'plugins = ["beside_judges"]\n[dataset]\nkind = "evidence"\nn = 3\n'
        '[[protocols]]\nname = "naive"\n[[judges]]\nkind = "test-beside"\n'
    )
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    monkeypatch.setattr("sys.path", list(__import__("sys").path))
    try:
        code, out, err = run_cli(capsys, "run", "--config", str(folder / "c.toml"), "--out", "o")
        assert code == 0, err
        assert "beside" in out
    finally:
        registry.unregister("judge", "test-beside")
        __import__("sys").modules.pop("beside_judges", None)
