"""Run directories: one config per directory, never mixed, never overwritten by accident."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from pydantic import BaseModel

from debate.errors import ConfigError

TRANSCRIPTS = "transcripts.jsonl"
CONFIG = "config.json"


def prepare_run_dir(
    run_dir: Path, config: BaseModel, resume: bool, stores: Sequence[str] = (TRANSCRIPTS,)
) -> None:
    """Refuse to append to another run's records: without ``resume`` a directory whose
    ``stores`` hold data is refused; with it, the saved config must be the same."""
    if run_dir.exists() and not run_dir.is_dir():
        raise ConfigError(f"--out {run_dir} is a file, not a run directory")
    saved = run_dir / CONFIG
    current = config.model_dump(mode="json")
    if not resume:
        for name in stores:
            if (run_dir / name).exists() and (run_dir / name).stat().st_size > 0:
                raise ConfigError(
                    f"{run_dir} already holds {name}; pass --resume to continue it or "
                    "choose another --out"
                )
    if resume and saved.exists():
        try:
            previous = json.loads(saved.read_text())
        except ValueError:
            previous = None
        if previous != current and not _same_config(config, previous):
            raise ConfigError(
                f"{run_dir} was started with a different config; "
                "resume with the same preset and flags"
            )
    run_dir.mkdir(parents=True, exist_ok=True)
    saved.write_text(json.dumps(current, indent=2) + "\n")


def _same_config(config: BaseModel, previous: object) -> bool:
    """Whether a saved config means the same run (a field added since with its default,
    ``type = "eval"``, does not make an old run another run)."""
    try:
        return type(config).model_validate(previous) == config
    except ValueError:
        return False
