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

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError

from debate.domains.evidence import EvidenceSettings
from debate.errors import ConfigError, validation_message
from debate.models import ModelConfig
from debate.models.local import LocalModelSettings
from debate.positions import PositionMode
from debate.quotes import EvidencePolicy
from judges.errors import AnyErrorModel

DEFAULT_DATA_DIR = Path("../shared/data")


class Spec(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class EvidenceDataset(Spec):
    """Generated known-truth questions (see ``debate.domains.evidence``)."""

    kind: Literal["evidence"] = "evidence"
    n: int = Field(default=200, ge=1, le=1_000_000, description="number of questions")
    seed: int = Field(default=0, description="generator seed")
    settings: EvidenceSettings = EvidenceSettings()


class JsonlDataset(Spec):
    """Questions from a JSONL file, one ``Question`` object a line."""

    kind: Literal["jsonl"] = "jsonl"
    path: str = Field(description="file path; relative paths resolve against the data dir")
    limit: int | None = Field(default=None, ge=1, description="use only the first N questions")


class MinuteMysteriesDataset(Spec):
    """BIG-bench minute_mysteries_qa: the story is hidden from the judge (see evals.bigbench)."""

    kind: Literal["minute-mysteries"] = "minute-mysteries"
    path: str = Field(
        default="bigbench/minute_mysteries_qa/multiplechoice.json",
        description="BIG-bench task.json; relative paths resolve against the data dir",
    )
    limit: int | None = Field(default=None, ge=1, description="use only the first N questions")
    seed: int = Field(default=0, description="picks the incorrect answer debated per question")


class LogicalDeductionDataset(Spec):
    """BIG-bench logical_deduction: short ordering puzzles (see evals.bigbench)."""

    kind: Literal["logical-deduction"] = "logical-deduction"
    objects: Literal[3, 5, 7] = Field(default=3, description="puzzle size (the task's subtask)")
    path: str | None = Field(
        default=None,
        description="task.json; default bigbench/logical_deduction/<n>_objects.json in data dir",
    )
    passage: Literal["shown", "hidden"] = Field(
        default="shown", description="'hidden': the judge sees the answers but not the puzzle"
    )
    limit: int | None = Field(default=None, ge=1, description="use only the first N questions")
    seed: int = Field(default=0, description="picks the incorrect answer debated per question")


AnyDataset = Annotated[
    EvidenceDataset | JsonlDataset | MinuteMysteriesDataset | LogicalDeductionDataset,
    Field(discriminator="kind"),
]


class ProtocolSpec(Spec):
    name: str = Field(description="registered protocol name, or 'module:Class'")
    settings: dict[str, Any] = Field(default_factory=dict, description="protocol fields")


class FunctionBackendSpec(Spec):
    """A Python callable ``module:function`` taking a GenerateRequest and returning text."""

    kind: Literal["python"] = "python"
    target: str
    logprobs: bool = Field(
        default=False, description="the function's replies carry token logprobs when asked"
    )


class SDKBackendSpec(Spec):
    """What the provider-SDK backends share: the connection pool and extra request fields."""

    max_connections: int = Field(
        default=256, ge=1, le=100_000, description="HTTP connection pool size"
    )
    extra_body: dict[str, Any] = Field(
        default_factory=dict,
        description=(
            "extra fields sent in every request body, e.g. { top_k = 1, repeat_penalty = 1.0 } "
            "to switch off a llama.cpp server's sampling defaults; recorded in transcripts and "
            "part of the response-cache key; may not set fields the backend sends itself"
        ),
    )


class OpenAIBackendSpec(SDKBackendSpec):
    """OpenAI chat completions, or any OpenAI-compatible server (vLLM, llama.cpp) by base_url.

    The key is read from the environment variable ``api_key_env``, never from the config, so
    it cannot end up in a saved config, a transcript or a cache key.
    """

    kind: Literal["openai"] = "openai"
    base_url: str | None = Field(
        default=None, description="API root, e.g. http://127.0.0.1:8000/v1; None: OpenAI's"
    )
    api_key_env: str = Field(default="OPENAI_API_KEY", description="variable holding the key")
    logprobs: bool = Field(
        default=True, description="the server returns token logprobs (judges then use them)"
    )
    max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = Field(
        default="max_tokens", description="request field for the output cap (newer models)"
    )


class AnthropicBackendSpec(SDKBackendSpec):
    """Anthropic messages. The key is read from the environment variable ``api_key_env``."""

    kind: Literal["anthropic"] = "anthropic"
    base_url: str | None = Field(default=None, description="API root; None: Anthropic's")
    api_key_env: str = Field(default="ANTHROPIC_API_KEY", description="variable holding the key")
    sampling_in_body: bool = Field(
        default=True, description="send temperature/top_p (off for models that refuse them)"
    )


class LocalBackendSpec(LocalModelSettings):
    """A local torch language model, batched across concurrent debates (debate.models.local)."""

    kind: Literal["local"] = "local"


AnyBackend = Annotated[
    FunctionBackendSpec | OpenAIBackendSpec | AnthropicBackendSpec | LocalBackendSpec,
    Field(discriminator="kind"),
]


class SimulatedDebaterSpec(Spec):
    """Honest on the correct answer, lying otherwise (evidence domain)."""

    kind: Literal["simulated"] = "simulated"


class ModelRoleSpec(Spec):
    """A model-backed debater or judge."""

    kind: Literal["model"] = "model"
    name: str | None = Field(default=None, description="label in results; default: model id")
    backend: AnyBackend
    model: ModelConfig


class ModelDebaterSpec(ModelRoleSpec):
    """A model debater; with ``best_of`` > 1, the best of N sampled speeches is kept."""

    best_of: int = Field(
        default=1, ge=1, le=64, description="candidate speeches per turn (best-of-N)"
    )
    preference: ModelRoleSpec | None = Field(
        default=None,
        description="model judge that ranks best-of-N candidates; None: the debater's model",
    )


class ModelJudgeSpec(ModelRoleSpec):
    """A model judge: probabilities from logprobs or a stated line, re-asked on failure."""

    probabilities: Literal["auto", "logprobs", "stated"] = Field(
        default="auto", description="'auto': logprobs where the backend offers them"
    )
    max_reasks: int = Field(
        default=2, ge=0, le=20, description="re-asks after an unparseable reply"
    )


class CustomRoleSpec(Spec):
    """A user's own debater or judge class, by import path: built as ``Class(**settings)``.

    The working directory is importable, so a ``my_judges.py`` beside the config works
    without ``PYTHONPATH``; installed packages work as usual."""

    kind: str = Field(
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$", description="'package.module:Class'"
    )
    name: str | None = Field(default=None, description="label in results; default: the kind")
    settings: dict[str, Any] = Field(default_factory=dict, description="the class's arguments")


def _role_kind(value: Any) -> str | None:
    kind = value.get("kind", "") if isinstance(value, dict) else getattr(value, "kind", None)
    if isinstance(kind, str) and ":" in kind:
        return "custom"
    return kind if isinstance(kind, str) else None


def _kind_discriminator(kinds: str) -> Discriminator:
    return Discriminator(
        _role_kind,
        custom_error_type="unknown_kind",
        custom_error_message=f"kind must be {kinds} or 'package.module:Class'",
    )


AnyDebater = Annotated[
    Annotated[SimulatedDebaterSpec, Tag("simulated")]
    | Annotated[ModelDebaterSpec, Tag("model")]
    | Annotated[CustomRoleSpec, Tag("custom")],
    _kind_discriminator("'simulated', 'model'"),
]


class SimulatedJudgeSpec(Spec):
    kind: Literal["simulated"] = "simulated"
    name: str = Field(default="simulated", description="label in results")
    weight: float = Field(default=1.0, gt=0, le=1e6, description="sharpness of probabilities")
    errors: list[AnyErrorModel] = Field(default_factory=list, description="applied in order")


class HumanJudgeSpec(Spec):
    """A person judging at this terminal (``debate judge --live`` puts one in the config)."""

    kind: Literal["human"] = "human"
    id: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$",
        description="the judge's id; results label the cell 'human:<id>'",
    )


AnyJudge = Annotated[
    Annotated[SimulatedJudgeSpec, Tag("simulated")]
    | Annotated[ModelJudgeSpec, Tag("model")]
    | Annotated[HumanJudgeSpec, Tag("human")]
    | Annotated[CustomRoleSpec, Tag("custom")],
    _kind_discriminator("'simulated', 'model', 'human'"),
]


class EvalConfig(Spec):
    """A whole eval: every protocol x judge cell over every question."""

    name: str = Field(default="eval", description="title of the report")
    note: str | None = Field(
        default=None,
        max_length=2000,
        description="what the figures can and cannot show; printed with the results",
    )
    dataset: AnyDataset = EvidenceDataset()
    protocols: list[ProtocolSpec] = Field(min_length=1)
    debater: AnyDebater = SimulatedDebaterSpec()
    judges: list[AnyJudge] = Field(min_length=1)
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

    def quick(self) -> EvalConfig:
        """The same eval on only ``quick_questions`` questions (tests, smoke checks)."""
        dataset = self.dataset
        if isinstance(dataset, EvidenceDataset):
            dataset = dataset.model_copy(update={"n": min(dataset.n, self.quick_questions)})
        else:
            limit = min(dataset.limit or self.quick_questions, self.quick_questions)
            dataset = dataset.model_copy(update={"limit": limit})
        return self.model_copy(update={"dataset": dataset, "name": f"{self.name} (quick)"})


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
    return parse_config(read_config_data(path), str(path))


def parse_config(data: dict[str, Any], origin: str = "config") -> EvalConfig:
    try:
        return EvalConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {validation_message(exc)}") from None


def data_dir(explicit: Path | str | None = None) -> Path:
    """``--data-dir``, else ``$DEBATE_DATA_DIR``, else ``../shared/data``."""
    return Path(explicit or os.environ.get("DEBATE_DATA_DIR") or DEFAULT_DATA_DIR)
