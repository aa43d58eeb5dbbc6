"""Eval configuration: one pydantic model per thing, defaults and docs on the fields.

A config names a dataset, protocols, a debater and judges; the eval is every
protocol x judge cell over every question (in both answer orders when asked).
"""

from __future__ import annotations

import json
import os
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from debate.domains.evidence import EvidenceSettings
from debate.errors import ConfigError
from debate.models import ModelConfig
from judges.errors import AnyErrorModel
from transcripts.evidence import EvidencePolicy

DEFAULT_DATA_DIR = Path("../shared/data")


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvidenceDataset(Spec):
    """Generated known-truth questions (see ``debate.domains.evidence``)."""

    kind: Literal["evidence"] = "evidence"
    n: int = Field(default=200, ge=1, description="number of questions")
    seed: int = Field(default=0, description="generator seed")
    settings: EvidenceSettings = EvidenceSettings()


class JsonlDataset(Spec):
    """Questions from a JSONL file, one ``Question`` object a line."""

    kind: Literal["jsonl"] = "jsonl"
    path: str = Field(description="file path; relative paths resolve against the data dir")
    limit: int | None = Field(default=None, ge=1, description="use only the first N questions")


AnyDataset = Annotated[EvidenceDataset | JsonlDataset, Field(discriminator="kind")]


class ProtocolSpec(Spec):
    name: str = Field(description="registered protocol name, or 'module:Class'")
    settings: dict[str, Any] = Field(default_factory=dict, description="protocol fields")


class FunctionBackendSpec(Spec):
    """A Python callable ``module:function`` taking a GenerateRequest and returning text."""

    kind: Literal["python"] = "python"
    target: str


AnyBackend = Annotated[FunctionBackendSpec, Field(discriminator="kind")]


class SimulatedDebaterSpec(Spec):
    """Honest on the correct answer, lying otherwise (evidence domain)."""

    kind: Literal["simulated"] = "simulated"


class ModelRoleSpec(Spec):
    """A model-backed debater or judge."""

    kind: Literal["model"] = "model"
    name: str | None = Field(default=None, description="label in results; default: model id")
    backend: AnyBackend
    model: ModelConfig


AnyDebater = Annotated[SimulatedDebaterSpec | ModelRoleSpec, Field(discriminator="kind")]


class SimulatedJudgeSpec(Spec):
    kind: Literal["simulated"] = "simulated"
    name: str = Field(default="simulated", description="label in results")
    weight: float = Field(default=1.0, gt=0, description="sharpness of probabilities")
    errors: list[AnyErrorModel] = Field(default_factory=list, description="applied in order")


AnyJudge = Annotated[SimulatedJudgeSpec | ModelRoleSpec, Field(discriminator="kind")]


class EvalConfig(Spec):
    """A whole eval: every protocol x judge cell over every question."""

    name: str = Field(default="eval", description="title of the report")
    dataset: AnyDataset = EvidenceDataset()
    protocols: list[ProtocolSpec] = Field(min_length=1)
    debater: AnyDebater = SimulatedDebaterSpec()
    judges: list[AnyJudge] = Field(min_length=1)
    position_swap: Literal["random", "both"] = Field(
        default="both", description="'both' runs each question in both answer orders"
    )
    seed: int = Field(default=0, description="base seed; each debate derives its own")
    concurrency: int = Field(default=32, ge=1, description="debates run at once")
    quick_questions: int = Field(default=20, ge=1, description="questions used with --quick")
    prompts: str | None = Field(default=None, description="TOML file overriding prompts")
    evidence: EvidencePolicy = Field(
        default_factory=EvidencePolicy, description="how quotes of hidden passages are checked"
    )

    def quick(self) -> EvalConfig:
        """The same eval on only ``quick_questions`` questions (tests, smoke checks)."""
        dataset: EvidenceDataset | JsonlDataset = self.dataset
        if isinstance(dataset, EvidenceDataset):
            dataset = dataset.model_copy(update={"n": min(dataset.n, self.quick_questions)})
        else:
            limit = min(dataset.limit or self.quick_questions, self.quick_questions)
            dataset = dataset.model_copy(update={"limit": limit})
        return self.model_copy(update={"dataset": dataset, "name": f"{self.name} (quick)"})


def load_config(path: Path | str) -> EvalConfig:
    """Read a TOML or JSON config; any problem becomes one ConfigError line."""
    source = Path(path)
    if not source.is_file():
        raise ConfigError(f"config file not found: {source}")
    try:
        text = source.read_text()
        data = json.loads(text) if source.suffix == ".json" else tomllib.loads(text)
    except (ValueError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(
            f"config {source} is not valid {source.suffix[1:] or 'TOML'}: "
            f"{str(exc).splitlines()[0]}"
        ) from None
    return parse_config(data, str(source))


def parse_config(data: dict[str, Any], origin: str = "config") -> EvalConfig:
    try:
        return EvalConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"]) or "config"
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise ConfigError(f"{origin}: {where}: {err['msg']}{more}") from None


def data_dir(explicit: Path | str | None = None) -> Path:
    """``--data-dir``, else ``$DEBATE_DATA_DIR``, else ``../shared/data``."""
    return Path(explicit or os.environ.get("DEBATE_DATA_DIR") or DEFAULT_DATA_DIR)
