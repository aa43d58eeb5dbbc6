"""Named eval presets: TOML configs shipped with the package (``debate eval --preset``)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from debate.errors import ConfigError


def preset_names() -> list[str]:
    folder = resources.files(__name__)
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def prompts_file(value: str) -> Path:
    """The prompts file a config names: a path, else a prompt set shipped with the presets
    (``evals/presets/prompts/<value>.toml``), so a preset can use prompts from any cwd."""
    path = Path(value).expanduser()
    if path.is_file():
        return path
    shipped = Path(str(resources.files(__name__).joinpath("prompts", f"{value}.toml")))
    return shipped if shipped.is_file() else path


def load_preset(name: str, *, quick: bool = False) -> Any:
    """The preset's config, of the experiment type its TOML names (``eval`` when it names
    none); ``quick`` gives the type's ``--quick`` form (a few questions, debates or images)."""
    from evals.experiments import parse_run_config
    from evals.experiments import quick as quick_form

    if name not in preset_names():
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(preset_names())}")
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text()
    config = parse_run_config(tomllib.loads(text), f"preset {name}")
    return quick_form(config) if quick else config
