"""The built-in backend kinds: a spec (the config table) and a factory for each.

Provider SDKs are imported only inside their factory's backend, so naming a kind costs
nothing until a model is built.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from pydantic import Field

from debate.errors import ConfigError
from debate.imports import import_target
from debate.models.answer_letters import AnswerConstraint
from debate.models.base import Backend
from debate.models.doubles import FunctionBackend
from debate.models.local import LocalModelSettings
from debate.registry import Spec, register

if TYPE_CHECKING:
    from debate.components import Components

DRY_TARGET = "evals.plan:dry_reply"
"""The offline stand-in every backend becomes in a ``--dry-run`` (see ``evals.plan``)."""


class BackendSpec(Spec):
    """What every backend spec answers: whether its replies carry token logprobs."""

    def offers_logprobs(self) -> bool:
        return bool(getattr(self, "logprobs", False))


class FunctionBackendSpec(BackendSpec):
    """A Python callable ``module:function`` taking a GenerateRequest and returning text."""

    kind: Literal["python"] = "python"
    target: str
    logprobs: bool = Field(
        default=False, description="the function's replies carry token logprobs when asked"
    )


@register("backend", "python", FunctionBackendSpec)
def function_backend(spec: FunctionBackendSpec, components: Components) -> Backend:
    fn = import_target(spec.target)
    if not callable(fn):
        raise ConfigError(f"backend target {spec.target!r} is not callable")
    return FunctionBackend(fn, name=spec.target, logprobs=spec.logprobs)


def dry_backend() -> FunctionBackendSpec:
    return FunctionBackendSpec(target=DRY_TARGET, logprobs=True)


class SDKBackendSpec(BackendSpec):
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
    answer_constraint: AnswerConstraint = Field(
        default="none",
        description=(
            "how a logprob judge's answer letter is enforced: 'grammar' (llama.cpp's GBNF "
            "field), 'logit_bias' (letters as keys, one token) or 'none' (api.openai.com)"
        ),
    )


@register("backend", "openai", OpenAIBackendSpec)
def openai_backend(spec: OpenAIBackendSpec, components: Components) -> Backend:
    from debate.models.openai_backend import OpenAIBackend

    return OpenAIBackend(
        base_url=spec.base_url,
        api_key_env=spec.api_key_env,
        max_connections=spec.max_connections,
        logprobs=spec.logprobs,
        max_tokens_param=spec.max_tokens_param,
        extra_body=spec.extra_body,
        answer_constraint=spec.answer_constraint,
    )


class AnthropicBackendSpec(SDKBackendSpec):
    """Anthropic messages. The key is read from the environment variable ``api_key_env``."""

    kind: Literal["anthropic"] = "anthropic"
    base_url: str | None = Field(default=None, description="API root; None: Anthropic's")
    api_key_env: str = Field(default="ANTHROPIC_API_KEY", description="variable holding the key")
    sampling_in_body: bool = Field(
        default=True, description="send temperature/top_p (off for models that refuse them)"
    )


@register("backend", "anthropic", AnthropicBackendSpec)
def anthropic_backend(spec: AnthropicBackendSpec, components: Components) -> Backend:
    from debate.models.anthropic_backend import AnthropicBackend

    return AnthropicBackend(
        base_url=spec.base_url,
        api_key_env=spec.api_key_env,
        max_connections=spec.max_connections,
        sampling_in_body=spec.sampling_in_body,
        extra_body=spec.extra_body,
    )


class LocalBackendSpec(LocalModelSettings, BackendSpec):
    """A local torch language model, batched across concurrent debates (debate.models.local)."""

    kind: Literal["local"] = "local"

    def offers_logprobs(self) -> bool:
        return True


@register("backend", "local", LocalBackendSpec)
def local_backend(spec: LocalBackendSpec, components: Components) -> Backend:
    from debate.models.local import LocalBackend

    # One loaded model and batch worker per settings, shared by every role using it.
    return LocalBackend(LocalModelSettings(**spec.model_dump(exclude={"kind"})))
