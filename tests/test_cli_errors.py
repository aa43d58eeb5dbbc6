"""Bad input: one line on stderr, a non-zero exit, and no stored transcript touched.

The finished run every test starts from is made by ``python -m debate.cli`` in a process of
its own (the real entry point); the commands under test run in this process (the same
``main``, its exit status and both streams captured), which keeps the file fast.
"""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from debate.cli import main
from tests.cli_helpers import run_cli

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def debate(*args: str | Path, cwd: Path = ROOT) -> Ran:
    """``debate ARGS`` run in ``cwd``: exit status, stdout and stderr."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.chdir(cwd), contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            main([str(arg) for arg in args])
            code = 0
        except SystemExit as exc:
            code = int(exc.code or 0)
    return Ran(code, out.getvalue(), err.getvalue())


def debate_process(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "debate.cli", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_error(proc: Ran, *needles: str) -> None:
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in proc.stderr
    for needle in needles:
        assert needle in lines[0]


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("runs") / "smoke"
    proc = debate_process("eval", "--preset", "smoke", "--quick", "--out", out)
    assert proc.returncode == 0, proc.stderr
    return out


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


GOOD_HEAD = '[[judges]]\nkind = "simulated"\n'


@pytest.mark.parametrize(
    ("config", "needles"),
    [
        ("protocols = [ {name = ", ["not valid TOML"]),
        (
            GOOD_HEAD + '[[protocols]]\nname = "no-such-protocol"\n',
            ["unknown protocol 'no-such-protocol'", "debate-sequential"],
        ),
        (
            GOOD_HEAD + '[[protocols]]\nname = "consultancy"\nsettings = { rounds = 0 }\n',
            ["consultancy", "rounds"],
        ),
        (
            GOOD_HEAD + '[[protocols]]\nname = "naive"\n[dataset]\nkind = "jsonl"\n'
            'path = "missing/questions.jsonl"\n',
            ["data file not found", "questions.jsonl"],
        ),
        (GOOD_HEAD + '[[protocols]]\nname = "naive"\ncolour = "blue"\n', ["protocols.0.colour"]),
        (
            '[[protocols]]\nname = "naive"\n[[judges]]\nkind = "simulated"\n'
            'errors = [{ kind = "random", epsilon = 1.5 }]\n',
            ["epsilon"],
        ),
    ],
    ids=[
        "malformed-toml",
        "unknown-protocol",
        "bad-setting",
        "missing-data-file",
        "unknown-field",
        "epsilon-out-of-range",
    ],
)
def test_bad_config_is_one_line_and_keeps_transcripts(
    finished_run: Path, tmp_path: Path, config: str, needles: list[str]
) -> None:
    store = finished_run / "transcripts.jsonl"
    before = store.read_bytes()
    bad = write(tmp_path / "bad.toml", config)
    proc = debate("run", "--config", bad, "--out", finished_run, "--resume")
    assert_one_line_error(proc, *(n.lower() for n in needles) if "toml" in needles[0] else needles)
    assert store.read_bytes() == before


def test_existing_run_is_never_overwritten_without_resume(finished_run: Path) -> None:
    store = finished_run / "transcripts.jsonl"
    before = store.read_bytes()
    proc = debate("eval", "--preset", "smoke", "--quick", "--out", finished_run)
    assert_one_line_error(proc, "already holds transcripts", "--resume")
    assert store.read_bytes() == before


def test_resume_with_another_config_is_refused(finished_run: Path) -> None:
    before = (finished_run / "transcripts.jsonl").read_bytes()
    proc = debate("eval", "--preset", "smoke", "--out", finished_run, "--resume")
    assert_one_line_error(proc, "different config")
    assert (finished_run / "transcripts.jsonl").read_bytes() == before


def test_resume_of_finished_run_runs_nothing(finished_run: Path) -> None:
    before = (finished_run / "transcripts.jsonl").read_bytes()
    proc = debate("eval", "--preset", "smoke", "--quick", "--out", finished_run, "--resume")
    assert proc.returncode == 0, proc.stderr
    assert "ran 0 debates" in proc.stdout
    assert (finished_run / "transcripts.jsonl").read_bytes() == before


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["run", "--config", "nowhere.toml"], ["config file not found", "nowhere.toml"]),
        (["eval", "--preset", "nope"], ["unknown preset 'nope'", "smoke"]),
        (["show", "nowhere.jsonl"], ["no such transcripts file"]),
        (["report", "no-such-dir"], ["no such run directory"]),
    ],
)
def test_missing_inputs(tmp_path: Path, args: list[str], needles: list[str]) -> None:
    assert_one_line_error(debate(*args, cwd=tmp_path), *needles)


def test_malformed_transcripts_file(tmp_path: Path, finished_run: Path) -> None:
    lines = (finished_run / "transcripts.jsonl").read_text().splitlines()
    broken = write(tmp_path / "broken.jsonl", "\n".join([lines[0], "{not json", lines[1]]))
    assert_one_line_error(debate("show", broken), "broken.jsonl:2")
    garbage = write(tmp_path / "garbage.jsonl", "hello\n")
    assert_one_line_error(debate("show", garbage), "garbage.jsonl")


def test_run_dir_has_every_output(finished_run: Path) -> None:
    names = {p.name for p in finished_run.iterdir()}
    assert {
        "transcripts.jsonl",
        "results.csv",
        "results.json",
        "report.md",
        "plots",
        "config.json",
    } <= names
    assert (finished_run / "plots" / "accuracy.png").stat().st_size > 0
    header = (finished_run / "results.csv").read_text().splitlines()[0].split(",")
    assert header[:2] == ["protocol", "judge"]
    assert {"n", "accuracy", "ci_low", "ci_high"} <= set(header)


def test_report_regenerates_results(finished_run: Path) -> None:
    (finished_run / "results.json").unlink()
    (finished_run / "report.md").unlink()
    proc = debate("report", finished_run)
    assert proc.returncode == 0, proc.stderr
    assert (finished_run / "results.json").exists()
    assert "debate-sequential" in (finished_run / "report.md").read_text()


def test_version_and_the_presets_in_help(capsys: pytest.CaptureFixture[str]) -> None:
    from importlib.metadata import version

    from evals.presets import preset_names

    code, out, _ = run_cli(capsys, "--version")
    assert code == 0 and out.strip() == f"debate-lab {version('debate-lab')}"
    code, out, _ = run_cli(capsys, "eval", "--help")
    flat = " ".join(out.split())
    assert code == 0 and len(preset_names()) > 10
    assert all(name in flat for name in preset_names())


def test_seed_concurrency_and_limit_override_the_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import json

    out = tmp_path / "run"
    args = ["eval", "--preset", "smoke", "--out", str(out), "--limit", "3", "--seed", "5"]
    code, _, err = run_cli(capsys, *args, "--concurrency", "4")
    assert code == 0, err
    recorded = json.loads((out / "config.json").read_text())
    assert (recorded["seed"], recorded["concurrency"], recorded["limit"]) == (5, 4, 3)
    rows = (out / "results.csv").read_text().splitlines()[1:]
    assert rows and all(",6," in row for row in rows)  # 3 questions x 2 answer orders
    # --quick keeps the smaller of its questions and --limit
    code, _, err = run_cli(
        capsys, "eval", "--preset", "smoke", "--quick", "--limit", "2", "--out", str(tmp_path / "q")
    )
    assert code == 0, err
    assert json.loads((tmp_path / "q" / "config.json").read_text())["limit"] == 2


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--preset", "judge-error-depth", "--concurrency", "4"], "--concurrency does not apply"),
        (["--preset", "judge-error-depth", "--limit", "4"], "--limit does not apply"),
        (["--preset", "smoke", "--concurrency", "1000000"], "command line: concurrency"),
    ],
)
def test_an_override_a_type_cannot_take_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], needle: str
) -> None:
    out = tmp_path / "run"
    code, _, err = run_cli(capsys, "eval", *args, "--out", str(out))
    lines = err.strip().splitlines()
    assert code == 2 and len(lines) == 1 and needle in lines[0], err
    assert not out.exists()
