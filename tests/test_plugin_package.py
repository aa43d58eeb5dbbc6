"""A plug-in package: built, installed (offline) and then named by kind in a config with no
``plugins`` line, found through its ``debate_lab.judges`` (and ``debate_lab.protocols``)
entry points alone."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PYPROJECT = """\
[build-system]
requires = ["setuptools>=69"]
build-backend = "setuptools.build_meta"

[project]
name = "debate-lab-first-judge"
version = "0.1.0"

[tool.setuptools]
py-modules = ["first_judge"]

[project.entry-points."debate_lab.judges"]
always-first = "first_judge"
not-registered = "first_judge"

[project.entry-points."debate_lab.protocols"]
two-openings = "first_judge"
"""

MODULE = '''\
from typing import Literal

from debate import AgentInfo, JudgeView, Protocol, Round, Verdict, debater_seats
from debate import register as protocol
from debate.components import Components
from debate.registry import Spec, register


class AlwaysFirstSpec(Spec):
    kind: Literal["always-first"] = "always-first"
    name: str = "always-first"


class AlwaysFirst:
    """Always answers A: a position bias in its purest form."""

    def __init__(self, name: str) -> None:
        self.name = name

    async def __call__(self, view: JudgeView) -> Verdict:
        return Verdict(probabilities=[1.0] + [0.0] * (len(view.answers) - 1))

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="always-first", name=self.name)


@register("judge", "always-first", AlwaysFirstSpec)
def always_first(spec: AlwaysFirstSpec, components: Components) -> AlwaysFirst:
    return AlwaysFirst(spec.name)


@protocol
class TwoOpenings(Protocol):
    name = "two-openings"

    def seats(self, question, shown, rng):
        return debater_seats(len(shown))

    def schedule(self):
        speakers = ["debater_A", "debater_B"]
        return [Round(kind="simultaneous", speakers=speakers, label="opening")] * 2
'''

CONFIG = """\
[dataset]
kind = "evidence"
n = 5

[[protocols]]
name = "{protocol}"

[[judges]]
kind = "{kind}"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The plug-in package, built and installed into a directory of its own (no index)."""
    root = tmp_path_factory.mktemp("plugin")
    package = root / "first-judge"
    package.mkdir()
    (package / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    (package / "first_judge.py").write_text(MODULE, encoding="utf-8")
    target = root / "site"
    install = [sys.executable, "-m", "pip", "install", "--quiet", "--no-build-isolation"]
    install += ["--no-deps", "--no-index", "--no-cache-dir", "--disable-pip-version-check"]
    done = subprocess.run(
        [*install, "--target", str(target), str(package)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / "first_judge.py").is_file()
    yield target


SCENARIOS = {
    "judge": ("always-first", "naive"),
    "not-registered": ("not-registered", "naive"),
    "misspelt": ("always-frist", "naive"),
    "protocol": ("simulated", "two-openings"),
}
RUNNER = """\
import contextlib, io, json, sys
from debate.cli import main

results = {}
for name, workdir in json.loads(sys.argv[1]).items():
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            main(["run", "--config", workdir + "/c.toml", "--out", workdir + "/out"])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    results[name] = [code, err.getvalue()]
print(json.dumps(results))
"""


@dataclass(frozen=True)
class Run:
    returncode: int
    stderr: str


def debate_runs(root: Path, pythonpath: Path | None, names: list[str]) -> dict[str, Run]:
    """``debate run`` for each scenario, all in ONE fresh interpreter (its entry points are
    read from what is installed on its path), each in a directory of its own."""
    dirs = {}
    for name in names:
        kind, protocol = SCENARIOS[name]
        workdir = root / name
        workdir.mkdir(parents=True)
        config = CONFIG.format(kind=kind, protocol=protocol)
        (workdir / "c.toml").write_text(config, encoding="utf-8")
        dirs[name] = str(workdir)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, json.dumps(dirs)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    return {name: Run(code, err) for name, (code, err) in json.loads(done.stdout).items()}


@pytest.fixture(scope="module")
def installed(site: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Run]]:
    root = tmp_path_factory.mktemp("installed")
    return root, debate_runs(root, site, list(SCENARIOS))


@pytest.fixture(scope="module")
def bare(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Run]]:
    root = tmp_path_factory.mktemp("bare")
    return root, debate_runs(root, None, ["judge", "protocol"])


def one_error_line(run: Run) -> str:
    lines = run.stderr.strip().splitlines()
    assert run.returncode == 2, run.stderr
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def results(out: Path) -> list[dict[str, str]]:
    with (out / "results.csv").open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_an_installed_judge_kind_is_named_without_a_plugins_line(
    installed: tuple[Path, dict[str, Run]],
) -> None:
    root, runs = installed
    assert runs["judge"].returncode == 0, runs["judge"].stderr
    out = root / "judge" / "out"
    rows = results(out)
    assert [(r["protocol"], r["judge"], r["n"]) for r in rows] == [("naive", "always-first", "10")]
    assert float(rows[0]["accuracy"]) == 0.5  # right in one of each question's two orders
    assert float(rows[0]["position_consistency"]) == 0.0
    saved = json.loads((out / "config.json").read_text(encoding="utf-8"))
    assert saved["plugins"] == [] and saved["judges"][0]["kind"] == "always-first"
    lines = (out / "transcripts.jsonl").read_text(encoding="utf-8").splitlines()
    judges = {json.dumps(json.loads(line)["judge"], sort_keys=True) for line in lines}
    expected = {"kind": "always-first", "model": None, "name": "always-first", "settings": {}}
    assert judges == {json.dumps(expected, sort_keys=True)}


def test_not_installed_the_kind_is_unknown_in_one_line(bare: tuple[Path, dict[str, Run]]) -> None:
    root, runs = bare
    line = one_error_line(runs["judge"])
    assert "unknown judge kind 'always-first'; known: " in line and "'simulated'" in line
    assert not (root / "judge" / "out").exists()
    assert "unknown protocol 'two-openings'" in one_error_line(runs["protocol"])


def test_an_entry_point_whose_module_registers_no_such_kind_is_one_line(
    installed: tuple[Path, dict[str, Run]],
) -> None:
    line = one_error_line(installed[1]["not-registered"])
    assert "plug-in 'first_judge' does not register judge kind 'not-registered'" in line


def test_installed_kinds_are_listed_when_a_kind_is_misspelt(
    installed: tuple[Path, dict[str, Run]],
) -> None:
    line = one_error_line(installed[1]["misspelt"])
    assert "unknown judge kind 'always-frist'" in line and "'always-first'" in line


def test_an_installed_protocol_is_named_by_its_entry_point(
    installed: tuple[Path, dict[str, Run]],
) -> None:
    root, runs = installed
    assert runs["protocol"].returncode == 0, runs["protocol"].stderr
    out = root / "protocol" / "out"
    rows = results(out)
    assert [(r["protocol"], r["judge"], r["n"]) for r in rows] == [
        ("two-openings", "simulated", "10")
    ]
    first = json.loads((out / "transcripts.jsonl").read_text().splitlines()[0])
    assert [t["speaker"] for t in first["turns"]] == ["debater_A", "debater_B"] * 2
