"""``debate export RUN_DIR --format inspect OUT``: a run's debates in another tool's format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from debate.cli import app, one_line_errors, say
from debate.errors import DebateError


@app.command("export")
@one_line_errors
def export(
    run_dir: Annotated[Path, typer.Argument(help="a run directory holding transcripts.jsonl")],
    out: Annotated[Path, typer.Argument(help="file to write (.eval or .json for inspect)")],
    format: Annotated[
        Literal["inspect"],
        typer.Option("--format", help="inspect: an inspect_ai eval log (inspect view reads it)"),
    ] = "inspect",
    force: Annotated[bool, typer.Option("--force", help="replace OUT if it exists")] = False,
) -> None:
    """Write a run's debates as an inspect_ai eval log: samples are debates, messages turns,
    scores verdicts with their probabilities, with each role's token usage."""
    from transcripts.inspect_log import export_inspect

    if not run_dir.is_dir():
        raise DebateError(f"no such run directory: {run_dir}")
    path, n = export_inspect(run_dir, out, force=force)
    say(f"wrote {n} debates as an inspect eval log: {path}")
