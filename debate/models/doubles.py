"""Test doubles: backends that answer from a script or a function, with no network.

Shipped in the package (not only in tests) so protocols, judges and evals can be exercised
end to end, deterministically, by anyone.
"""

from __future__ import annotations

import inspect
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from types import TracebackType
from typing import Any, Self

from debate.models.base import Backend, GenerateRequest, GenerateResponse
from debate.types import Usage

ScriptItem = str | GenerateResponse | BaseException
FunctionResult = str | GenerateResponse
BackendFunction = Callable[[GenerateRequest], FunctionResult | Awaitable[FunctionResult]]


class ScriptExhausted(RuntimeError):
    """A scripted backend was called more times than its script has items."""


class ScriptNotConsumed(RuntimeError):
    """A scripted backend finished with items left: the code under test called it too little."""


def _words(text: str) -> int:
    return len(text.split())


def as_response(result: FunctionResult, request: GenerateRequest) -> GenerateResponse:
    """Wrap plain text as a response with small, deterministic word-count 'token' usage."""
    if isinstance(result, GenerateResponse):
        return result
    usage = Usage(
        input_tokens=sum(_words(m.content) for m in request.messages),
        output_tokens=_words(result),
        calls=1,
    )
    return GenerateResponse(text=result, usage=usage, finish_reason="stop")


def _last_user_message(request: GenerateRequest, limit: int = 120) -> str:
    text = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ScriptedBackend(Backend):
    """Answers calls in order from a script; exceptions in the script are raised.

    Use as a context manager to also check that the whole script was consumed.
    """

    kind = "scripted"

    def __init__(
        self, script: Sequence[ScriptItem], name: str = "scripted", *, logprobs: bool = False
    ) -> None:
        self.name = name
        self.supports_logprobs = logprobs  # whether scripted replies carry extra["logprobs"]
        self._script: deque[ScriptItem] = deque(script)
        self.requests: list[GenerateRequest] = []

    @property
    def remaining(self) -> int:
        """Items not yet consumed."""
        return len(self._script)

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        self.requests.append(request)
        if not self._script:
            raise ScriptExhausted(
                f"{self.name}: script exhausted after {len(self.requests) - 1} call(s); "
                f"unexpected request whose last user message is "
                f"{_last_user_message(request)!r}"
            )
        item = self._script.popleft()
        if isinstance(item, BaseException):
            raise item
        return as_response(item, request)

    def verify(self) -> None:
        """Raise ``ScriptNotConsumed`` if any script items were never used."""
        if self._script:
            raise ScriptNotConsumed(
                f"{self.name}: {len(self._script)} script item(s) unused after "
                f"{len(self.requests)} call(s); next unused: {self._script[0]!r}"
            )

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name}

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # On error the original exception is the useful one; do not mask it.
        if exc_type is None:
            self.verify()


class FunctionBackend(Backend):
    """Answers each request with ``fn(request)``; ``fn`` may be sync or async."""

    kind = "function"

    def __init__(
        self, fn: BackendFunction, name: str = "function", *, logprobs: bool = False
    ) -> None:
        self.fn = fn
        self.name = name
        self.supports_logprobs = logprobs  # whether fn's replies carry extra["logprobs"]
        self.requests: list[GenerateRequest] = []

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        self.requests.append(request)
        result = self.fn(request)
        if inspect.isawaitable(result):
            result = await result
        return as_response(result, request)

    def identity(self) -> dict[str, Any]:
        return {"kind": self.kind, "name": self.name}
