"""The backend seam: a backend only turns a request into a response.

Concurrency, rate limits, retries, caching and usage live once, in ``Model`` (wrapper.py);
a backend's only other duty is to say whether an error is worth retrying.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from debate.types import Usage


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["system", "user", "assistant"]
    content: str


def message_dicts(messages: Sequence[Message]) -> list[dict[str, str]]:
    """``[m.model_dump() for m in messages]``, without the serializer's cost on every call."""
    return [{"role": m.role, "content": m.content} for m in messages]


class SamplingSettings(BaseModel):
    """Sampling settings sent with every request; recorded in transcripts."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    temperature: float = Field(default=0.0, ge=0.0, description="0 means greedy")
    max_tokens: int = Field(default=512, gt=0, description="cap on generated tokens")
    top_p: float | None = Field(default=None, gt=0.0, le=1.0, description="nucleus sampling")
    stop: list[str] | None = Field(default=None, description="stop sequences")


class GenerateRequest(BaseModel):
    """The full request: the cache key is derived from all of it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str
    messages: list[Message]
    sampling: SamplingSettings = SamplingSettings()
    seed: int | None = None
    extra: dict[str, Any] = Field(
        default_factory=dict, description="backend-specific options (e.g. logprobs)"
    )


class GenerateResponse(BaseModel):
    """A backend's answer. ``cached`` is set by the wrapper, never by a backend."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    text: str
    usage: Usage = Usage()
    finish_reason: str | None = None
    cached: bool = False
    extra: dict[str, Any] = Field(default_factory=dict)


class RetryableError(Exception):
    """Raised (or mapped to) by a backend for failures worth retrying (429, 5xx, timeout)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class RetriesExhausted(RetryableError):
    """``Model`` gave up on a transient failure: the message names the backend kind, the
    model, how many attempts were made and the last cause, on one line (secrets redacted),
    so a failed debate records why and not a bare ``TimeoutError``."""

    def __init__(
        self, message: str, *, attempts: int, last: BaseException, retry_after: float | None
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.attempts = attempts
        self.last = last


class AttemptsTimedOut(RetriesExhausted, TimeoutError):
    """``RetriesExhausted`` whose last attempt timed out (still a ``TimeoutError``)."""


class Backend(ABC):
    """One provider or local engine. Implement ``generate``; classify errors if needed."""

    kind: str = "backend"
    supports_logprobs: bool = False
    """Whether responses can carry token logprobs in ``extra["logprobs"]`` when asked."""
    limits_are_shared: bool = True
    """Whether a role's limits bind all workers of a cluster together (a provider's) or
    each worker's own copy (a local model: every replica has its own capacity)."""

    @abstractmethod
    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        """Produce one completion for ``request``."""

    async def prepare(self) -> None:
        """One-time setup (an SDK import, a client, a model load) before the first request.

        ``Model`` awaits it outside the per-attempt timeout: setup is not a request, and
        counting it against one would time out (and re-send, and pay for) requests a server
        answered. Must be cheap once done, and safe to await concurrently.
        """
        return None

    def is_retryable(self, error: BaseException) -> bool:
        """Whether ``error`` is transient. Providers override to map their SDK errors."""
        return isinstance(error, RetryableError)

    def retry_after(self, error: BaseException) -> float | None:
        """Seconds the provider asked us to wait before retrying, if it said."""
        return error.retry_after if isinstance(error, RetryableError) else None

    def identity(self) -> dict[str, Any]:
        """What distinguishes this backend's outputs in the cache (kind, endpoint...).

        Must be JSON-serialisable and must never contain secrets (API keys, tokens,
        credentials in URLs): it is hashed into on-disk cache keys and recorded in
        transcripts via ``Model.describe()``.
        """
        return {"kind": self.kind}

    @property
    def secrets(self) -> tuple[str, ...]:
        """Strings to redact from any error message (API keys); none by default."""
        return ()

    async def aclose(self) -> None:
        """Release connections (``Model.aclose`` calls it); nothing to do by default."""
        return None
