"""Eval configuration: one pydantic model per thing, defaults and docs on the fields.

A config names a dataset, protocols, debaters and judges, each by its registered kind
(``debate.registry``); the eval is every protocol x judge cell over every question (in
every answer order when asked). Component specs live beside their implementations.
"""

from __future__ import annotations

import json
import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

from pydantic import Field, ValidationError

from debate.errors import ConfigError, DataError, validation_message
from debate.imports import importable
from debate.jobs import ProtocolSpec, SeatSpecs, Side
from debate.positions import PositionMode
from debate.quotes import EvidencePolicy
from debate.registry import DatasetField, DebaterField, JudgeField, Spec
from debate.role_specs import SimulatedDebaterSpec

if TYPE_CHECKING:
    from debate.protocol import Protocol

__all__ = [
    "DatasetSpec",
    "DebateRunConfig",
    "EvalConfig",
    "Lineup",
    "ProtocolSpec",
    "Spec",
    "load_config",
    "parse_config",
]

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


@dataclass(frozen=True)
class Lineup:
    """Who debates in a group of cells: the seat specs, and the labels the cells carry (an
    eval has one lineup with no labels; a tournament one per pairing of its players)."""

    labels: dict[str, str]
    seats: SeatSpecs


class DebateRunConfig(Spec):
    """What every run of debates over a dataset shares (an eval, a tournament): the
    questions, protocols, judges, answer orders, seeds and prompts. A subclass says who
    debates (``lineups``); ``evals.build`` turns it into jobs."""

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

    def lineups(self, protocol: Protocol) -> list[Lineup]:
        """Who debates under ``protocol``: one lineup per group of cells."""
        raise NotImplementedError

    def debater_specs(self) -> list[Spec]:
        """Every debater spec of the run (built once, and checked, before anything runs)."""
        raise NotImplementedError

    def quick(self) -> Self:
        """The same run on only ``quick_questions`` questions (tests, smoke checks)."""
        n = self.quick_questions
        limited = getattr(self.dataset, "limited", None)
        dataset = limited(n) if callable(limited) else None
        if dataset is not None:
            update: dict[str, Any] = {"dataset": dataset}
        else:
            update = {"limit": min(self.limit or n, n)}
        roles = {"judges": quick_role(self.judges), **self.quick_debaters()}
        return self.model_copy(update={**update, **roles, "name": f"{self.name} (quick)"})

    def quick_debaters(self) -> dict[str, Any]:
        """The fields holding debaters, in their ``--quick`` form (``quick_role``)."""
        return {}


class EvalConfig(DebateRunConfig):
    """A whole eval: every protocol x judge cell over every question."""

    type: Literal["eval"] = Field(default="eval", description="the experiment type")
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

    def seat_specs(self) -> SeatSpecs:
        return SeatSpecs(default=self.debater, seats=self.seats, sides=self.sides)

    def lineups(self, protocol: Protocol) -> list[Lineup]:
        return [Lineup({}, self.seat_specs())]

    def debater_specs(self) -> list[Spec]:
        return self.seat_specs().specs()

    def quick_debaters(self) -> dict[str, Any]:
        return {f: quick_role(getattr(self, f)) for f in ("debater", "seats", "sides")}


def quick_role(value: Any) -> Any:
    """``value`` (a role spec, or a list or table of them) with each spec that has a
    ``--quick`` form of its own replaced by it (a pixel judge trains briefly)."""
    if isinstance(value, list):
        return [quick_role(item) for item in value]
    if isinstance(value, dict):
        return {key: quick_role(item) for key, item in value.items()}
    shorten = getattr(value, "quick", None)
    return shorten() if isinstance(value, Spec) and callable(shorten) else value


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


def data_file(path: str, data_root: Path | str | None = None) -> Path:
    """A dataset's file: ``~`` expanded, a relative path taken in the data dir; one line
    naming it when it is not there."""
    where = Path(path).expanduser()
    where = where if where.is_absolute() else data_dir(data_root) / where
    if not where.is_file():
        raise DataError(f"data file not found: {where}")
    return where
