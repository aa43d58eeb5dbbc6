"""Named eval presets: TOML configs shipped with the package (``debate eval --preset``)."""

from __future__ import annotations

import tomllib
from importlib import resources

from debate.errors import ConfigError
from evals.config import EvalConfig, parse_config


def preset_names() -> list[str]:
    folder = resources.files(__name__)
    return sorted(
        p.name.removesuffix(".toml") for p in folder.iterdir() if p.name.endswith(".toml")
    )


def load_preset(name: str, *, quick: bool = False) -> EvalConfig:
    """The preset's config; ``quick`` keeps only ``quick_questions`` questions."""
    if name not in preset_names():
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(preset_names())}")
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text()
    config = parse_config(tomllib.loads(text), f"preset {name}")
    return config.quick() if quick else config
