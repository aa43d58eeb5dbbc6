"""Third-party warnings and log chatter stay out of the CLI's output; the project's own
warnings and errors do not (``debate.quiet``)."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from debate.quiet import ENV_DEFAULTS, SHOW_ENV, quiet_libraries

ROOT = Path(__file__).resolve().parent.parent

NOISY_LIBRARY = '''
import logging
import warnings


def reply(request):
    """A judge backend inside a third-party library that warns, and logs, on every call."""
    warnings.warn("NOISY-USER-WARNING", UserWarning)
    # stacklevel=2 names the caller's file (the project's backend): still the library's.
    warnings.warn("NOISY-FUTURE-WARNING", FutureWarning, stacklevel=2)
    logging.getLogger("noisylib").warning("NOISY-LOG-WARNING")
    logging.getLogger("transformers").warning("NOISY-TRANSFORMERS-LOG")
    return "Probabilities: A=0.6, B=0.4"
'''

CONFIG = """
name = "noisy"
[dataset]
kind = "evidence"
n = 1
[[protocols]]
name = "naive"
[[judges]]
kind = "model"
name = "noisy"
probabilities = "stated"
backend = { kind = "python", target = "noisylib:reply" }
model = { model = "noisy" }
"""
MARKERS = ("NOISY-USER-WARNING", "NOISY-FUTURE-WARNING", "NOISY-LOG-WARNING", "NOISY-TRANSFORMERS")


def run_noisy(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "noisylib.py").write_text(NOISY_LIBRARY, encoding="utf-8")
    (tmp_path / "noisy.toml").write_text(CONFIG, encoding="utf-8")
    base = {k: v for k, v in os.environ.items() if k not in (SHOW_ENV, "PYTHONWARNINGS")}
    path = os.pathsep.join([str(tmp_path), str(ROOT), base.get("PYTHONPATH", "")])
    command = [sys.executable, "-m", "debate.cli", "run", "--config", str(tmp_path / "noisy.toml")]
    return subprocess.run(
        [*command, "--out", str(tmp_path / f"run{len(env)}")],
        cwd=ROOT,
        env={**base, "PYTHONPATH": path, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_library_warnings_do_not_leak_into_a_cli_run(tmp_path: Path) -> None:
    quiet = run_noisy(tmp_path)
    output = quiet.stdout + quiet.stderr
    assert quiet.returncode == 0, output
    assert "debates: 2/2 done" in output and "noisy" in quiet.stdout  # the run's own output
    assert not [m for m in MARKERS if m in output], output
    # The same run with the routing off shows them: the test would see a leak.
    loud = run_noisy(tmp_path, **{SHOW_ENV: "show"})
    assert loud.returncode == 0
    assert [m for m in MARKERS if m in loud.stderr] == list(MARKERS), loud.stderr


def _warn_from(module: str, text: str) -> None:
    """Issue a warning as code of ``module`` would (the frame's module is what counts)."""
    code = compile("import warnings\nwarnings.warn(TEXT, UserWarning)\n", f"<{module}>", "exec")
    exec(code, {"__name__": module, "TEXT": text})


def test_the_projects_own_warnings_still_show() -> None:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        with quiet_libraries():
            _warn_from("debate.models.somewhere", "ours")
            _warn_from("torch.nn.modules", "theirs")
    assert [str(w.message) for w in seen] == ["ours"]


def test_project_log_records_and_library_errors_still_reach_the_last_resort(
    capsys: pytest.CaptureFixture[str],
) -> None:
    handler = logging.lastResort
    assert handler is not None
    records = [
        logging.LogRecord("debate.models.wrapper", logging.WARNING, "f", 1, "ours", None, None),
        logging.LogRecord("httpx", logging.WARNING, "f", 1, "chatter", None, None),
        logging.LogRecord("httpx", logging.ERROR, "f", 1, "broken", None, None),
    ]
    with quiet_libraries():
        assert [handler.filter(r) for r in records] == [True, False, True]
    assert all(handler.filter(r) for r in records)  # undone on exit


def test_the_scope_is_undone_on_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in ENV_DEFAULTS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("TOKENIZERS_PARALLELISM", "true")  # a user's choice is kept
    logger = logging.getLogger("transformers")
    before, shown = logger.level, warnings.showwarning
    with quiet_libraries():
        assert os.environ["TOKENIZERS_PARALLELISM"] == "true"
        assert os.environ["TRANSFORMERS_VERBOSITY"] == "error"
        assert logger.level == logging.ERROR
    assert "TRANSFORMERS_VERBOSITY" not in os.environ
    assert os.environ["TOKENIZERS_PARALLELISM"] == "true"
    assert logger.level == before and warnings.showwarning is shown
