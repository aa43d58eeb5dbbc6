"""Eval configuration: one pydantic model per thing, defaults and docs on the fields.

A config names a dataset, protocols, debaters and judges, each by its registered kind
(``debate.registry``); the eval is every protocol x judge cell over every question (in
every answer order when asked). Component specs live beside their implementations.
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from debate.errors import ConfigError, validation_message
from debate.imports import importable
from debate.jobs import ProtocolSpec, SeatSpecs, Side
from debate.positions import PositionMode
from debate.quotes import EvidencePolicy
from debate.registry import DatasetField, DebaterField, JudgeField, Spec
from debate.role_specs import SimulatedDebaterSpec

__all__ = ["DatasetSpec", "EvalConfig", "ProtocolSpec", "Spec", "load_config", "parse_config"]

DEFAULT_DATA_DIR = Path("../shared/data")


class DatasetSpec(Spec):
    """Base of dataset specs: ``limited(n)`` is the same dataset cut to ``n`` questions
    (through its ``limit`` field if it has one; None: the eval's ``limit`` cuts it)."""

    def limited(self, n: int) -> DatasetSpec | None:
        if "limit" not in type(self).model_fields:
            return None
        limit = getattr(self, "limit", None) or n
        return self.model_copy(update={"limit": min(limit, n)})


def _default_dataset() -> Any:
    from evals.datasets import EvidenceDataset

    return EvidenceDataset()


class EvalConfig(Spec):
    """A whole eval: every protocol x judge cell over every question."""

    type: Literal["eval"] = Field(default="eval", description="the experiment type")
    name: str = Field(default="eval", description="title of the report")
    plugins: list[str] = Field(
        default_factory=list,
        description="modules imported before the config is read: the kinds they register",
    )
    note: str | None = Field(
        default=None,
        max_length=2000,
        description="what the figures can and cannot show; printed with the results",
    )
    dataset: DatasetField = Field(default_factory=_default_dataset)
    limit: int | None = Field(
        default=None, ge=1, description="use only the first N questions of the dataset"
    )
    protocols: list[ProtocolSpec] = Field(min_length=1)
    debater: DebaterField = Field(
        default_factory=SimulatedDebaterSpec, description="plays every seat not named below"
    )
    seats: dict[str, DebaterField] = Field(
        default_factory=dict, description="debaters by seat name (e.g. debater_A)"
    )
    sides: dict[Side, DebaterField] = Field(
        default_factory=dict,
        description="debaters by side: 'honest' defends the correct answer, 'liar' the others",
    )
    judges: list[JudgeField] = Field(min_length=1)
    order: Literal["cell", "question"] = Field(
        default="cell",
        description=(
            "'question': all cells of a question run together (balanced partial results; "
            "a local model reads each hidden passage once); 'cell': one cell after another"
        ),
    )
    position_swap: PositionMode = Field(
        default="both",
        description=(
            "'both' (= 'balanced'): each question in every rotation of its shown answers, so "
            "every answer sits in every position once (two orders for two answers); "
            "'random': one random order"
        ),
    )
    seed: int = Field(default=0, description="base seed; each debate derives its own")
    concurrency: int = Field(default=32, ge=1, le=100_000, description="debates run at once")
    quick_questions: int = Field(
        default=20, ge=1, le=1_000_000, description="questions used with --quick"
    )
    prompts: str | None = Field(default=None, description="TOML file overriding prompts")
    evidence: EvidencePolicy = Field(
        default_factory=EvidencePolicy, description="how quotes of hidden passages are checked"
    )

    def seat_specs(self) -> SeatSpecs:
        return SeatSpecs(default=self.debater, seats=self.seats, sides=self.sides)

    def quick(self) -> EvalConfig:
        """The same eval on only ``quick_questions`` questions (tests, smoke checks)."""
        n = self.quick_questions
        limited = getattr(self.dataset, "limited", None)
        dataset = limited(n) if callable(limited) else None
        if dataset is not None:
            update: dict[str, Any] = {"dataset": dataset}
        else:
            update = {"limit": min(self.limit or n, n)}
        return self.model_copy(update={**update, "name": f"{self.name} (quick)"})


CONFIG_FORMATS = {".toml": "TOML", ".json": "JSON"}


def read_config_data(path: Path | str) -> dict[str, Any]:
    """The raw mapping in a TOML or JSON config file; problems become one ConfigError line."""
    source = Path(path)
    kind = CONFIG_FORMATS.get(source.suffix.lower())
    if kind is None:
        raise ConfigError(
            f"config {source}: configs are TOML (.toml) or JSON (.json) files, "
            f"not {source.suffix or 'files without a suffix'}"
        )
    if not source.is_file():
        raise ConfigError(f"config file not found: {source}")
    try:
        text = source.read_bytes().decode("utf-8")
        data = json.loads(text) if kind == "JSON" else tomllib.loads(text)
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config {source} is not valid UTF-8 (byte {exc.start + 1})") from None
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"config {source} is not valid {kind}: {str(exc).splitlines()[0]}"
        ) from None
    if not isinstance(data, dict):
        raise ConfigError(f"config {source} must hold a table of settings")
    return data


def load_config(path: Path | str) -> EvalConfig:
    """Read a TOML or JSON eval config; any problem becomes one ConfigError line."""
    data = read_config_data(path)
    importable(Path(path).parent)
    return parse_config(data, str(path))


def parse_config(data: dict[str, Any], origin: str = "config") -> EvalConfig:
    """An eval config (``evals.experiments.parse_run_config`` reads every type)."""
    from evals.experiments import with_plugins

    data = with_plugins(data, origin)
    try:
        return EvalConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {validation_message(exc)}") from None


def data_dir(explicit: Path | str | None = None) -> Path:
    """``--data-dir``, else ``$DEBATE_DATA_DIR``, else ``../shared/data``."""
    return Path(explicit or os.environ.get("DEBATE_DATA_DIR") or DEFAULT_DATA_DIR)
