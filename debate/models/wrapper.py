"""``Model``: the one place that adds concurrency, rate limits, retries, caching and usage.

Backends stay thin (request in, response out); every provider gets the same policies here,
so a run's behaviour under load does not depend on which SDK answered.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception, stop_after_attempt

from debate.models.api_errors import one_line, redact
from debate.models.base import (
    AttemptsTimedOut,
    Backend,
    GenerateRequest,
    GenerateResponse,
    Message,
    RetriesExhausted,
    SamplingSettings,
)
from debate.models.costs import Price, default_price
from debate.models.gates import CallGate, LocalGate
from debate.models.response_cache import CACHE_KEY_VERSION, ResponseCache, cache_key
from debate.types import AgentInfo, Usage

log = logging.getLogger(__name__)

__all__ = ["CACHE_KEY_VERSION", "Model", "ModelConfig", "cache_key"]


class ModelConfig(BaseModel):
    """How to call one model: which one, with what sampling, and how politely."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str = Field(description="model id sent to the backend")
    sampling: SamplingSettings = Field(
        default_factory=SamplingSettings, description="default sampling for every call"
    )
    max_concurrency: int | None = Field(
        default=8,
        ge=1,
        description='most calls in flight at once; None (in TOML "unlimited") means no limit '
        "(on a cluster, no round trip to the shared gate either)",
    )
    requests_per_minute: float | None = Field(
        default=None, gt=0, description="request rate limit per minute; None means unlimited"
    )
    max_retries: int = Field(
        default=4, ge=0, description="retries after the first attempt for transient errors"
    )
    backoff_initial_s: float = Field(
        default=0.5, ge=0, description="backoff before the first retry; doubles each retry"
    )
    backoff_max_s: float = Field(
        default=30.0, ge=0, description="cap on one backoff (a provider's retry-after wins)"
    )
    timeout_s: float | None = Field(
        default=120, gt=0, description="per-attempt timeout; a timeout is retried"
    )
    cache_dir: Path | None = Field(
        default=None, description="on-disk response cache directory; None disables caching"
    )
    price: Price | None = Field(
        default=None,
        description="USD per million tokens; None looks the model id up in DEFAULT_PRICES",
    )

    @field_validator("max_concurrency", mode="before")
    @classmethod
    def _unlimited(cls, value: Any) -> Any:
        return None if value == "unlimited" else value

    def resolved_price(self) -> Price | None:
        """The price calls are charged at: this config's, else the default table's."""
        return self.price or default_price(self.model)


class Model:
    """A backend plus the call policies of a ``ModelConfig``.

    Caching keys on the full request, seed included: repeated identical requests (e.g.
    several samples at temperature > 0 with ``seed=None``) return the same cached text,
    so callers wanting distinct samples must vary the seed.

    ``gate`` is where attempts wait for a slot and a rate token; default: a local gate
    with the config's limits (a cluster passes one shared by every worker).
    """

    def __init__(
        self,
        backend: Backend,
        config: ModelConfig,
        name: str | None = None,
        gate: CallGate | None = None,
    ) -> None:
        self.backend = backend
        self.config = config
        self.name = name or f"{backend.kind}:{config.model}"
        self.gate = gate or LocalGate(config.max_concurrency, config.requests_per_minute)
        self._cache = ResponseCache(config.cache_dir) if config.cache_dir is not None else None
        self._totals = [0, 0, 0, 0]  # input, output tokens, calls, cached calls: plain ints
        self._cost = 0.0  # on the hot path, instead of a validated Usage per call
        self._price = config.resolved_price()

    @property
    def usage(self) -> Usage:
        """Running total over every call made through this instance."""
        inputs, outputs, calls, cached = self._totals
        return Usage(
            input_tokens=inputs,
            output_tokens=outputs,
            calls=calls,
            cached_calls=cached,
            cost_usd=self._cost,
        )

    def _count(self, usage: Usage) -> None:
        totals = self._totals
        totals[0] += usage.input_tokens
        totals[1] += usage.output_tokens
        totals[2] += usage.calls
        totals[3] += usage.cached_calls
        self._cost += usage.cost_usd

    def describe(self) -> AgentInfo:
        """Enough to record in a transcript and rebuild this model later."""
        settings: dict[str, Any] = self.config.sampling.model_dump(mode="json")
        settings["backend"] = self.backend.identity()
        return AgentInfo(kind="model", name=self.name, model=self.config.model, settings=settings)

    async def generate(
        self,
        messages: Sequence[Message],
        *,
        seed: int | None = None,
        sampling: SamplingSettings | None = None,
        extra: dict[str, Any] | None = None,
    ) -> GenerateResponse:
        """One completion; ``sampling`` overrides the config's for this call only.

        The call runs as a task of its own: an SDK call suspends several times (connect,
        send, read), and each time it resumes, every coroutine awaiting it resumes too. A
        debate awaits it about a dozen frames deep (runner, job, engine, round, debater),
        and the task saved 0.10-0.17 ms of CPU a call against a fake server (interleaved, at
        concurrency 16 and 64): it resumes that chain once, when the reply is in. Cancelling
        the caller cancels it."""
        request = GenerateRequest(
            model=self.config.model,
            messages=list(messages),
            sampling=sampling if sampling is not None else self.config.sampling,
            seed=seed,
            extra=dict(extra or {}),
        )
        return await asyncio.ensure_future(self.generate_request(request))

    async def generate_request(self, request: GenerateRequest) -> GenerateResponse:
        """Serve ``request`` from the cache, else from the backend under all policies."""
        cache = self._cache
        key = cache_key(self.backend.identity(), request) if cache is not None else None
        if cache is not None and key is not None:
            hit = await cache.get(key)
            if hit is not None:
                # Tokens as recorded, but nothing was paid or sent this time.
                usage = Usage(
                    input_tokens=hit.usage.input_tokens,
                    output_tokens=hit.usage.output_tokens,
                    cached_calls=1,
                )
                self._count(usage)
                return _with_usage(hit, usage, cached=True)

        # Setup (SDK import, client) is not part of any attempt: see Backend.prepare.
        await self.backend.prepare()
        try:  # the first attempt outside tenacity: a call that succeeds costs it nothing
            raw = await self._attempt(request)
        except Exception as first:
            if not self._is_retryable(first):
                raise
            raw = await self._retry(request, first)
        # One logical call, however many attempts it took or what the backend reported;
        # priced here unless the backend reported its own cost.
        reported = raw.usage
        cost = reported.cost_usd or (self._price.usage_cost(reported) if self._price else 0.0)
        usage = Usage(
            input_tokens=reported.input_tokens,
            output_tokens=reported.output_tokens,
            calls=1,
            cost_usd=cost,
        )
        response = _with_usage(raw, usage, cached=False)
        if cache is not None and key is not None:
            cache.put(key, response)
        self._count(usage)
        return response

    async def _retry(self, request: GenerateRequest, first: Exception) -> GenerateResponse:
        """Tenacity's policy from the first failure on: it sees ``first`` as attempt 1."""
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.config.max_retries + 1),
            wait=self._wait,
            retry=retry_if_exception(self._is_retryable),
            before_sleep=self._log_retry,
            reraise=True,
        )
        attempts = 0
        pending: Exception | None = first
        try:
            async for attempt in retrying:
                with attempt:
                    attempts += 1
                    if pending is not None:
                        failed, pending = pending, None
                        raise failed
                    return await self._attempt(request)
        except Exception as exc:
            if not self._is_retryable(exc):
                raise
            raise self._gave_up(exc, attempts) from exc
        raise AssertionError("unreachable: tenacity either returns or reraises")

    def _gave_up(self, last: Exception, attempts: int) -> RetriesExhausted:
        """One line saying who gave up on what, after how many attempts, and why."""
        if isinstance(last, TimeoutError) and not str(last):
            timeout = self.config.timeout_s
            cause = f"request timed out after {timeout:g} s" if timeout else "request timed out"
        else:
            cause = str(last) or type(last).__name__
        plural = "" if attempts == 1 else "s"
        message = one_line(
            redact(
                f"{self.backend.kind} model {self.config.model}: gave up after {attempts} "
                f"attempt{plural}; last: {cause}",
                self.backend.secrets,
            ),
            limit=500,
        )
        kind = AttemptsTimedOut if isinstance(last, TimeoutError) else RetriesExhausted
        return kind(
            message, attempts=attempts, last=last, retry_after=self.backend.retry_after(last)
        )

    async def _attempt(self, request: GenerateRequest) -> GenerateResponse:
        # Slot and rate token per attempt, so backoff sleeps do not hold a slot.
        async with self.gate.attempt():
            async with asyncio.timeout(self.config.timeout_s):  # the call, not the wait
                return await self.backend.generate(request)

    def _is_retryable(self, error: BaseException) -> bool:
        if not isinstance(error, Exception):  # cancellation, KeyboardInterrupt...
            return False
        return isinstance(error, TimeoutError) or self.backend.is_retryable(error)

    def _wait(self, state: RetryCallState) -> float:
        """Exponential backoff with equal jitter, never shorter than the provider asked."""
        delay = min(
            self.config.backoff_max_s,
            self.config.backoff_initial_s * 2 ** (state.attempt_number - 1),
        )
        wait = random.uniform(delay / 2, delay)
        error = state.outcome.exception() if state.outcome is not None else None
        after = self.backend.retry_after(error) if error is not None else None
        return max(wait, after or 0.0)

    def _log_retry(self, state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome is not None else None
        sleep = state.next_action.sleep if state.next_action is not None else 0.0
        log.warning(
            "%s: attempt %d failed (%r); retrying in %.2fs",
            self.name,
            state.attempt_number,
            error,
            sleep,
        )

    async def aclose(self) -> None:
        """Close the on-disk cache (after its queued writes) and the backend's connections
        (safe to call twice)."""
        if self._cache is not None:
            await self._cache.aclose()
        await self.backend.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()


def _with_usage(response: GenerateResponse, usage: Usage, *, cached: bool) -> GenerateResponse:
    """``response`` with ``usage`` and ``cached`` set, without re-validating its fields."""
    return GenerateResponse.model_construct(
        **{**response.__dict__, "usage": usage, "cached": cached}
    )
