"""Run the ``debate`` CLI in-process (fast) and check the one-line error contract."""

from __future__ import annotations

import pytest

from debate.cli import main


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """Exit status, stdout and stderr of ``debate ARGS``."""
    with pytest.raises(SystemExit) as exit_info:
        main(list(args))
    captured = capsys.readouterr()
    return int(exit_info.value.code or 0), captured.out, captured.err


def one_line_error(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    """The single ``error: ...`` line of a command that must fail with status 2."""
    code, _, err = run_cli(capsys, *args)
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    assert "Traceback" not in err and "\x1b" not in err
    return lines[0]
