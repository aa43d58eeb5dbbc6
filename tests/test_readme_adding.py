"""The README's "Adding a ..." sections are real: each module and config, written into an
empty directory as a user would save them, runs with ``debate run`` and does what it says."""

from __future__ import annotations

import csv
import json
import re
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import debate.protocol
import debate.registry
from tests.cli_helpers import one_line_error, run_cli

README = Path(__file__).resolve().parents[1] / "README.md"
SECTIONS = ("protocol", "backend", "judge", "dataset")


def block(name: str, lang: str) -> str:
    text = README.read_text(encoding="utf-8")
    match = re.search(rf"<!-- tested: {name} -->\n```{lang}\n(.*?)```", text, re.S)
    assert match, f"README has no tested {lang} block {name!r}"
    return match.group(1)


def forget(modules: set[str]) -> None:
    """Unload ``modules`` and drop what they registered, so no kind outlives its test."""
    for name in modules:
        sys.modules.pop(name, None)
    for kinds in debate.registry._KINDS.values():
        for kind, found in list(kinds.items()):
            if getattr(found.factory, "__module__", None) in modules:
                del kinds[kind]
    for name, cls in list(debate.protocol._REGISTRY.items()):
        if cls.__module__ in modules:
            del debate.protocol._REGISTRY[name]


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An empty working directory; afterwards the plug-in modules, the kinds they
    registered and the directory's place on ``sys.path`` are gone."""
    monkeypatch.chdir(tmp_path)
    saved_path = list(sys.path)
    before = set(sys.modules)
    yield tmp_path
    sys.path[:] = saved_path
    forget({name for name in set(sys.modules) - before if name.startswith("my_")})


def save_section(workdir: Path, section: str) -> tuple[dict[str, Any], str]:
    """Write section's module (named as its config's ``plugins`` line imports it) and its
    config into ``workdir``; the parsed config and the module's source."""
    code = block(f"adding-{section}", "python")
    config_text = block(f"adding-{section}-config", "toml")
    config = tomllib.loads(config_text)
    assert len(config["plugins"]) == 1
    module = config["plugins"][0]
    assert module == f"my_{section}s" and module not in sys.modules
    (workdir / f"{module}.py").write_text(code, encoding="utf-8")
    (workdir / "c.toml").write_text(config_text, encoding="utf-8")
    return config, code


def run_section(
    capsys: pytest.CaptureFixture[str], workdir: Path, section: str
) -> tuple[dict[str, Any], list[dict[str, str]], list[dict[str, Any]]]:
    """Run the section's config: the config, the results rows and the transcripts."""
    config, code = save_section(workdir, section)
    assert 10 <= len(code.strip().splitlines()) <= 40, "the README's examples stay short"
    status, out, err = run_cli(capsys, "run", "--config", "c.toml", "--out", "out")
    assert status == 0, err
    assert "0 failed)" in out
    with (workdir / "out" / "results.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    lines = (workdir / "out" / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()
    transcripts = [json.loads(line) for line in lines if line.strip()]
    assert transcripts and all(t["error"] is None for t in transcripts)
    return config, rows, transcripts


def cell(rows: list[dict[str, str]], protocol: str, judge: str) -> dict[str, str]:
    found = [r for r in rows if r["protocol"] == protocol and r["judge"] == judge]
    assert len(found) == 1, rows
    return found[0]


def test_each_section_says_it_touched_no_project_files() -> None:
    text = README.read_text(encoding="utf-8")
    for section in SECTIONS:
        body = text.split(f"## Adding a {section}\n", 1)[1].split("\n## ", 1)[0]
        assert "Files of the project touched: zero." in " ".join(body.split()), section


def test_adding_a_protocol(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    config, rows, transcripts = run_section(capsys, workdir, "protocol")
    n = 2 * config["dataset"]["n"]  # every question in both answer orders
    row = cell(rows, "openings-then-crossfire", "simulated")
    assert int(row["n"]) == n and row["exchanges"] == "2"
    assert float(row["accuracy"]) > 0.75, "the honest debater should win most debates"
    assert len(transcripts) == n
    speakers = [turn["speaker"] for turn in transcripts[0]["turns"]]
    assert speakers == ["debater_A", "debater_B"] + ["debater_B", "debater_A"] * 2
    assert {t["protocol"] for t in transcripts} == {"openings-then-crossfire"}
    assert {json.dumps(t["protocol_settings"]) for t in transcripts} == {'{"exchanges": 2}'}


def test_adding_a_backend(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    config, rows, transcripts = run_section(capsys, workdir, "backend")
    judge = config["judges"][0]
    row = cell(rows, "debate-sequential", judge["name"])
    assert int(row["n"]) == 2 * config["dataset"]["n"]
    # It always picks A: right in exactly one of each question's two orders.
    assert float(row["accuracy"]) == 0.5
    assert float(row["position_consistency"]) == 0.0
    assert int(row["parse_failures"]) == 0
    for transcript in transcripts:
        assert transcript["judge"]["kind"] == "model"
        assert transcript["judge"]["model"] == judge["model"]["model"]
        backend = transcript["judge"]["settings"]["backend"]
        assert backend == {"kind": "canned", "reply": judge["backend"]["reply"]}
        assert transcript["verdict"]["probabilities"] == [0.7, 0.3]
        assert transcript["verdict"]["raw"] == judge["backend"]["reply"]


def test_adding_a_judge(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    config, rows, transcripts = run_section(capsys, workdir, "judge")
    n = 2 * config["dataset"]["n"]
    assert {r["judge"] for r in rows} == {"perfect", "length-biased"}
    assert int(cell(rows, "debate-sequential", "length-biased")["n"]) == n
    assert int(cell(rows, "debate-sequential", "perfect")["n"]) == n
    mine = [t for t in transcripts if t["cell"]["judge"] == "length-biased"]
    assert len(mine) == n
    bias = config["judges"][1]["bias"]
    for transcript in mine:
        assert transcript["judge"] == {
            "kind": "length-biased",
            "name": "length-biased",
            "model": None,
            "settings": {"bias": bias},
        }
        # It favours the answer whose debater spoke the most words.
        words = [0, 0]
        for turn in transcript["turns"]:
            words[turn["position"]] += len(turn["text"].split())
        probabilities = transcript["verdict"]["probabilities"]
        if words[0] != words[1]:
            wordiest = words.index(max(words))
            assert probabilities[wordiest] == pytest.approx(bias)
        else:
            assert probabilities == [0.5, 0.5]


def test_adding_a_dataset(capsys: pytest.CaptureFixture[str], workdir: Path) -> None:
    config, rows, transcripts = run_section(capsys, workdir, "dataset")
    n_questions = config["dataset"]["n"]
    row = cell(rows, "naive", "calculator")
    assert int(row["n"]) == 2 * n_questions
    assert float(row["accuracy"]) == 1.0, "the calculator checks every correct_index"
    questions = {t["setup"]["question"]["id"]: t["setup"]["question"] for t in transcripts}
    assert sorted(questions) == sorted(f"sum-{i}" for i in range(n_questions))
    for question in questions.values():
        a, b = map(int, re.fullmatch(r"What is (\d+) \+ (\d+)\?", question["text"]).groups())
        assert question["options"][question["correct_index"]] == str(a + b)
        assert len(question["options"]) == 2
    # The built-in python backend records its function (its kind reads "function").
    backends = {json.dumps(t["judge"]["settings"]["backend"]) for t in transcripts}
    assert backends == {json.dumps({"kind": "function", "name": "my_datasets:calculator"})}


def test_the_same_dataset_with_another_seed_gives_other_questions(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    save_section(workdir, "dataset")
    config = (workdir / "c.toml").read_text(encoding="utf-8")
    texts = []
    for seed in (3, 4):
        (workdir / "c.toml").write_text(config.replace("seed = 3", f"seed = {seed}"))
        status, _, err = run_cli(capsys, "run", "--config", "c.toml", "--out", f"out-{seed}")
        assert status == 0, err
        lines = (workdir / f"out-{seed}" / "transcripts.jsonl").read_text().splitlines()
        texts.append({json.loads(line)["setup"]["question"]["text"] for line in lines})
    assert texts[0] != texts[1]


@pytest.mark.parametrize(
    ("section", "table", "unknown", "builtin"),
    [
        ("judge", "[[judges]]", "length-biassed", "'simulated'"),
        ("backend", "backend = ", "caned", "'openai'"),
        ("dataset", "[dataset]", "sum", "'evidence'"),
    ],
)
def test_a_misspelt_kind_is_one_line_listing_the_known_kinds(
    capsys: pytest.CaptureFixture[str],
    workdir: Path,
    section: str,
    table: str,
    unknown: str,
    builtin: str,
) -> None:
    save_section(workdir, section)
    right = {"judge": "length-biased", "backend": "canned", "dataset": "sums"}[section]
    text = (workdir / "c.toml").read_text(encoding="utf-8")
    assert text.count(f'kind = "{right}"') == 1 and table in text
    (workdir / "c.toml").write_text(text.replace(f'kind = "{right}"', f'kind = "{unknown}"'))
    line = one_line_error(capsys, "run", "--config", "c.toml", "--out", "out")
    assert f"unknown {section} kind {unknown!r}; known: " in line
    # The plug-in's kind is listed beside the built-ins (its module was imported by plugins).
    assert repr(right) in line and builtin in line
    assert not (workdir / "out").exists()


def test_a_kind_no_module_registers_is_one_line(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    (workdir / "c.toml").write_text(
        '[[protocols]]\nname = "naive"\n\n[[judges]]\nkind = "no-such-judge"\n'
    )
    line = one_line_error(capsys, "run", "--config", "c.toml", "--out", "out")
    assert "unknown judge kind 'no-such-judge'; known: " in line
    assert "'model'" in line and "'simulated'" in line and "'package.module:Class'" in line


def test_without_its_plugins_line_the_kind_is_unknown(
    capsys: pytest.CaptureFixture[str], workdir: Path
) -> None:
    save_section(workdir, "judge")
    text = (workdir / "c.toml").read_text(encoding="utf-8")
    (workdir / "c.toml").write_text(text.replace('plugins = ["my_judges"]\n', ""))
    line = one_line_error(capsys, "run", "--config", "c.toml", "--out", "out")
    assert "unknown judge kind 'length-biased'" in line
