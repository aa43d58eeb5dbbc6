"""Bad input of every kind is one line naming the problem, exit 2, nothing written; every
compatibility rule is checked when a run is built; users' own roles load by import path
(issue 11, items 5, 7, 9 and 12)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli_helpers import one_line_error, run_cli


def _write(path: Path, data: object) -> Path:
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _eval(**overrides: object) -> dict[str, object]:
    base: dict[str, object] = {
        "protocols": [{"name": "debate-sequential", "settings": {"rounds": 1}}],
        "judges": [{"kind": "simulated"}],
        "dataset": {"kind": "evidence", "n": 4},
    }
    return {**base, **overrides}


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "done"
    config = _write(out.parent / "ok.json", _eval())
    with pytest.raises(SystemExit) as exit_info:
        from debate.cli import main

        main(["run", "--config", str(config), "--out", str(out)])
    assert exit_info.value.code in (0, None)
    return out


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["eval", "--bogus"], ["No such option: --bogus", "debate eval --help"]),
        (["show", "--limit", "-1", "x"], ["--limit", "greater than or equal to 1"]),
        (["show", "--limit", "abc", "x"], ["--limit", "integer"]),
        (["run"], ["Missing option", "--config"]),
        (["no-such-command"], ["No such command"]),
        (["eval", "--max-cost", "-3"], ["--max-cost"]),
    ],
)
def test_the_cli_librarys_own_usage_errors_are_one_line(
    capsys: pytest.CaptureFixture[str], args: list[str], needles: list[str]
) -> None:
    line = one_line_error(capsys, *args)
    for needle in needles:
        assert needle in line


@pytest.mark.parametrize(
    ("name", "content", "needles"),
    [
        ("c.yaml", "protocols: []", ["TOML (.toml) or JSON (.json)", ".yaml"]),
        ("c.yml", "protocols: []", [".yml"]),
        ("c.toml", b"name = '\xff\xfe'", ["not valid UTF-8"]),
        (
            "c.json",
            _eval(protocols=[{"name": "debate-sequential", "settings": {"rounds": 1e9}}]),
            ["rounds", "less than or equal to 100"],
        ),
        ("c.json", _eval(protocols=[{"name": "recursive", "settings": {"depth": 40}}]), ["leaves"]),
        ("c.json", _eval(dataset={"kind": "evidence", "n": 10**9}), ["dataset", "n"]),
        ("c.json", _eval(concurrency=10**9), ["concurrency"]),
        (
            "c.json",
            {
                "type": "sweep",
                "protocols": ["recursive"],
                "error_models": ["random"],
                "epsilons": [0.1],
                "depths": [2],
                "debates_per_cell": 10**12,
            },
            ["debates_per_cell", "less than or equal to"],
        ),
        ("c.json", {"type": "irving-mnist", "images": 10**9}, ["images", "less than or equal to"]),
        (
            "c.json",
            {"type": "irving-mnist", "debater": {"rollouts": 10**9}},
            ["rollouts", "less than or equal to"],
        ),
        ("c.json", {**_eval(), "ke\x1by[2J": 1}, ["unknown parameter", "\\x1b"]),
        ("c.json", _eval(judges=[{"kind": "bogus"}]), ["'package.module:Class'"]),
    ],
)
def test_bad_configs_are_one_line_and_write_nothing(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    content: object,
    needles: list[str],
) -> None:
    path = tmp_path / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        _write(path, content if isinstance(content, str) else json.dumps(content))
    out = tmp_path / "out"
    line = one_line_error(capsys, "run", "--config", str(path), "--out", str(out))
    for needle in needles:
        assert needle in line, line
    assert not out.exists(), "nothing may be written for a bad config"


def _questions(tmp_path: Path, lines: list[bytes]) -> Path:
    data = tmp_path / "q.jsonl"
    data.write_bytes(b"\n".join(lines) + b"\n")
    return data


def _q(qid: str, n_options: int = 2) -> bytes:
    options = [f"option {i}" for i in range(n_options)]
    return json.dumps(
        {"id": qid, "text": "Which?", "options": options, "correct_index": 0}
    ).encode()


@pytest.mark.parametrize(
    ("lines", "needles"),
    [
        (
            [_q("a"), b'{"id": "b", "text": "\xff", "options": ["x", "y"], "correct_index": 0}'],
            ["q.jsonl:2", "not valid UTF-8"],
        ),
        ([_q("a"), _q("b"), _q("a")], ["'a' appears twice", "questions 1 and 3"]),
    ],
)
def test_bad_datasets_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], lines: list[bytes], needles: list[str]
) -> None:
    data = _questions(tmp_path, lines)
    config = _eval(
        protocols=[{"name": "naive"}],
        dataset={"kind": "jsonl", "path": str(data)},
        debater={
            "kind": "model",
            "backend": {"kind": "python", "target": "x:y"},
            "model": {"model": "m"},
        },
        judges=[
            {
                "kind": "model",
                "backend": {"kind": "python", "target": "x:y"},
                "model": {"model": "m"},
            }
        ],
    )
    out = tmp_path / "out"
    line = one_line_error(
        capsys, "run", "--config", str(_write(tmp_path / "c.json", config)), "--out", str(out)
    )
    for needle in needles:
        assert needle in line, line
    assert not out.exists()


class ThreeAnswers:
    """Stand-in imported by path below (a protocol showing three answers)."""


@pytest.mark.parametrize(
    ("overrides", "needles"),
    [
        (
            {"protocols": [{"name": "debate-interactive"}]},
            ["needs a judge that asks questions", "SimulatedJudge"],
        ),
        (
            {"protocols": [{"name": "cross-examination"}], "judges": [{"kind": "simulated"}]},
            [],
        ),  # cross-examination has no judge questions: it must build
        ({"protocols": [{"name": "recursive"}]}, ["tree-sum", "evidence-0"]),
        (
            {
                "judges": [
                    {
                        "kind": "model",
                        "backend": {"kind": "anthropic", "base_url": "http://127.0.0.1:9"},
                        "model": {"model": "claude-x"},
                        "probabilities": "logprobs",
                    }
                ]
            },
            ["reads probabilities from logprobs", "anthropic backend offers none"],
        ),
        (
            {"protocols": [{"name": "tests.test_positions:ThreeWayDebate"}]},
            ["shows 3 answers", "only 2 options"],
        ),
    ],
)
def test_compatibility_is_checked_when_the_run_is_built(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    overrides: dict[str, object],
    needles: list[str],
) -> None:
    config = _write(tmp_path / "c.json", _eval(**overrides))
    out = tmp_path / "out"
    if not needles:
        code, _, err = run_cli(capsys, "run", "--config", str(config), "--out", str(out))
        assert code == 0, err
        return
    line = one_line_error(capsys, "run", "--config", str(config), "--out", str(out))
    for needle in needles:
        assert needle in line, line
    assert not out.exists(), "config.json and transcripts must not be left behind"


def test_simulated_roles_refuse_a_dataset_without_facts(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = _questions(tmp_path, [_q("a"), _q("b")])
    config = _eval(dataset={"kind": "jsonl", "path": str(data)})
    line = one_line_error(
        capsys,
        "run",
        "--config",
        str(_write(tmp_path / "c.json", config)),
        "--out",
        str(tmp_path / "out"),
    )
    assert "simulated debater plays the evidence domain" in line and "'a'" in line


def test_names_from_a_config_reach_the_terminal_literally(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hostile = "[bold red]judge[/]\x1b[2J\u202e"
    config = _write(
        tmp_path / "c.json", _eval(name=hostile, judges=[{"kind": "simulated", "name": hostile}])
    )
    code, out, err = run_cli(capsys, "run", "--config", str(config), "--out", str(tmp_path / "o"))
    assert code == 0, err
    assert "\x1b" not in out and "\u202e" not in out, "no control character reaches the screen"
    assert "[bold red]judge[/]\\x1b[2J\\u202e" in out, "shown literally, escaped visibly"
    report = (tmp_path / "o" / "report.md").read_text()
    assert "\x1b" not in report


def test_an_out_path_that_is_a_file_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "afile").write_text("keep me")
    config = _write(tmp_path / "c.json", _eval())
    line = one_line_error(capsys, "run", "--config", str(config), "--out", str(tmp_path / "afile"))
    assert "is a file, not a run directory" in line
    assert (tmp_path / "afile").read_text() == "keep me"


def test_max_cost_zero_reports_nothing_started(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _write(tmp_path / "c.json", _eval())
    code, out, err = run_cli(
        capsys, "run", "--config", str(config), "--out", str(tmp_path / "out"), "--max-cost", "0"
    )
    assert code == 0, err
    assert "ran 0 debates" in out and "8 debates not started" in out
    assert "no such transcripts file" not in out + err


def test_an_empty_transcripts_file_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "transcripts.jsonl"
    empty.write_text("")
    line = one_line_error(capsys, "show", str(empty))
    assert "is empty" in line
    code, _, err = run_cli(capsys, "report", str(tmp_path))
    assert code == 0 and "holds no finished debate yet" in err


def test_a_torn_line_is_tolerated_and_reported(
    finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    run = tmp_path / "copy"
    run.mkdir()
    lines = (finished / "transcripts.jsonl").read_bytes().splitlines()
    torn = lines[1][: len(lines[1]) // 2]
    (run / "transcripts.jsonl").write_bytes(b"\n".join([lines[0], torn, *lines[2:]]) + b"\n")
    (run / "config.json").write_bytes((finished / "config.json").read_bytes())
    for command in (["show", str(run), "--limit", "1"], ["report", str(run)]):
        code, _, err = run_cli(capsys, *command)
        assert code == 0, err
        assert "warning: skipped 1 unreadable line" in err and "line 2" in err
    report = (run / "report.md").read_text()
    assert "unreadable lines in transcripts.jsonl (skipped)" in report


JUDGES = textwrap.dedent(
    """
    from debate.types import AgentInfo, Verdict


    class AlwaysFirst:
        def __init__(self, confidence: float = 0.9) -> None:
            self.confidence = confidence

        def describe(self) -> AgentInfo:
            return AgentInfo(kind="custom", name="always-first",
                             settings={"confidence": self.confidence})

        async def __call__(self, view):
            rest = (1 - self.confidence) / (len(view.answers) - 1)
            return Verdict(probabilities=[self.confidence] + [rest] * (len(view.answers) - 1))


    class Quiet:
        def describe(self) -> AgentInfo:
            return AgentInfo(kind="custom", name="quiet")

        async def __call__(self, view):
            from debate.types import Speech
            return Speech(text="No comment.")


    class NotARole:
        pass
    """
)


@pytest.fixture
def own_roles(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "my_roles.py").write_text(JUDGES)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))
    monkeypatch.delitem(sys.modules, "my_roles", raising=False)
    return tmp_path


def test_users_own_debater_and_judge_by_import_path_from_the_working_directory(
    own_roles: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = _eval(
        debater={"kind": "my_roles:Quiet"},
        judges=[{"kind": "my_roles:AlwaysFirst", "name": "first", "settings": {"confidence": 0.8}}],
    )
    out = own_roles / "out"
    code, _, err = run_cli(
        capsys, "run", "--config", str(_write(own_roles / "c.json", config)), "--out", str(out)
    )
    assert code == 0, err
    records = [json.loads(line) for line in (out / "transcripts.jsonl").read_text().splitlines()]
    assert len(records) == 8
    assert {r["judge"]["name"] for r in records} == {"always-first"}
    assert {r["cell"]["judge"] for r in records} == {"first"}
    assert all(t["text"] == "No comment." for r in records for t in r["turns"])
    results = json.loads((out / "results.json").read_text())
    # Always the first position: right in exactly one of each question's two orders.
    assert results[0]["accuracy"] == 0.5 and results[0]["position_consistency"] == 0.0


@pytest.mark.parametrize(
    ("judge", "needles"),
    [
        (
            {"kind": "my_roles:AlwaysFirst", "settings": {"colour": 1}},
            ["cannot build judge 'my_roles:AlwaysFirst'", "colour"],
        ),
        ({"kind": "my_roles:NotARole"}, ["lacks the judge methods"]),
        ({"kind": "my_roles:Missing"}, ["cannot import 'my_roles:Missing'"]),
        ({"kind": "no_such_module:X"}, ["cannot import", "no_such_module"]),
    ],
)
def test_bad_user_roles_are_one_line(
    own_roles: Path,
    capsys: pytest.CaptureFixture[str],
    judge: dict[str, object],
    needles: list[str],
) -> None:
    config = _write(own_roles / "c.json", _eval(judges=[judge]))
    line = one_line_error(capsys, "run", "--config", str(config), "--out", str(own_roles / "o"))
    for needle in needles:
        assert needle in line, line
