"""Named eval presets: TOML configs shipped with the package (``debate eval --preset``)."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

from debate.errors import ConfigError
from evals.config import EvalConfig
from evals.sweep.grid import SweepConfig, parse_any_config

if TYPE_CHECKING:
    from evals.mnist.config import MnistDebateConfig


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


def load_preset(name: str, *, quick: bool = False) -> EvalConfig | SweepConfig | MnistDebateConfig:
    """The preset's config (a sweep when its TOML says ``type = "sweep"``, the MNIST
    reproduction for ``type = "irving-mnist"``); ``quick`` keeps only ``quick_questions``
    questions, ``quick_debates`` per cell for a sweep, a few images for MNIST."""
    if name not in preset_names():
        raise ConfigError(f"unknown preset {name!r}; known: {', '.join(preset_names())}")
    text = resources.files(__name__).joinpath(f"{name}.toml").read_text()
    config = parse_any_config(tomllib.loads(text), f"preset {name}")
    return config.quick() if quick else config
