"""What the OpenAI and Anthropic backends share: keys, one client per event loop, errors.

Each provider backend only builds its SDK request and translates one reply. Everything else
(the API key from the environment, never recorded; the SDK imported off the event loop and a
client bound to the running loop, both in ``prepare``, outside any per-attempt timeout;
documented extra request fields; SDK errors and unreadable replies mapped onto the model
layer's single retry policy) is here.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from abc import abstractmethod
from collections.abc import Mapping
from types import ModuleType
from typing import Any

from debate.errors import ConfigError
from debate.models.api_errors import (
    ProviderError,
    connection_problem,
    safe_url,
    status_error,
    transient,
)
from debate.models.base import Backend, GenerateRequest, GenerateResponse

LOCAL_PLACEHOLDER_KEY = "not-needed"
"""Sent to a custom ``base_url`` when no key is set: local servers (vLLM, llama.cpp) ignore it."""


class MalformedReply(Exception):
    """A 200 reply the backend cannot read (not JSON, or JSON of the wrong shape)."""


UNREADABLE = (MalformedReply, AttributeError, KeyError, TypeError, ValueError, IndexError)
"""What translating a reply of the wrong shape raises: the SDKs build reply objects without
validation, so a missing field only fails when it is read."""


class SDKBackend(Backend):
    """A backend on an official async SDK (``openai`` or ``anthropic``), imported lazily, in
    ``prepare``, so that neither the import nor the client counts against an attempt.

    The SDK client is created with ``max_retries=0`` and no timeout of its own: retries,
    backoff (honouring Retry-After) and per-attempt timeouts all belong to ``Model``.
    """

    provider: str = "sdk"
    default_base_url: str = ""
    default_key_env: str = ""
    sdk_module: str = ""
    """The SDK's import name, e.g. ``openai``."""
    client_class: str = ""
    """The SDK's async client class, e.g. ``AsyncOpenAI``."""
    reserved_fields: frozenset[str] = frozenset()
    """Request fields the backend sets itself: ``extra_body`` may not override them."""

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        max_connections: int = 256,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        env = api_key_env or self.default_key_env
        key = api_key or os.environ.get(env)
        if not key:
            if base_url is None:
                raise ConfigError(
                    f"no {self.provider} API key: set ${env} (or give a base_url for a local "
                    "OpenAI-compatible server that needs none)"
                )
            key = LOCAL_PLACEHOLDER_KEY
        self.base_url = base_url
        self.max_connections = max_connections
        self.extra_body = self._checked_extra(extra_body or {})
        self._key = key  # never recorded: identity() and errors leave it out
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None
        self._module: ModuleType | None = None
        self._preparing: asyncio.Task[None] | None = None

    def _checked_extra(self, extra: Mapping[str, Any]) -> dict[str, Any]:
        """A JSON copy of ``extra``, refusing fields the backend sets (they are recorded as
        sampling settings, and an override would make the record lie)."""
        clash = sorted(set(extra) & self.reserved_fields)
        if clash:
            raise ConfigError(
                f"{self.provider} extra_body may not set {clash}: the backend sets them "
                "(use the model's sampling settings)"
            )
        try:
            copied: dict[str, Any] = json.loads(json.dumps(dict(extra)))
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"{self.provider} extra_body is not JSON: {exc}") from None
        return copied

    def identity(self) -> dict[str, Any]:
        """Kind, endpoint (credentials, query and fragment stripped) and any extra request
        fields (they change the replies); never the key."""
        identity: dict[str, Any] = {
            "kind": self.kind,
            "base_url": safe_url(self.base_url or self.default_base_url),
        }
        if self.extra_body:
            identity["extra_body"] = self.extra_body
        return identity

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._key,)

    def _import_sdk(self) -> ModuleType:
        """Import the SDK and its HTTP transport (seconds for ``anthropic``): run off the loop."""
        try:
            sdk = importlib.import_module(self.sdk_module)
        except ImportError:
            raise ConfigError(
                f"the {self.kind} backend needs the `{self.sdk_module}` package: "
                f"pip install 'debate-lab[{self.sdk_module}]'"
            ) from None
        getattr(sdk, "DefaultAioHttpClient", None)  # imports the aiohttp transport, if any
        return sdk

    def _sdk(self) -> ModuleType:
        """The SDK module, imported on first use if ``prepare`` has not run."""
        if self._module is None:
            self._module = self._import_sdk()
        return self._module

    async def prepare(self) -> None:
        """Import the SDK in a worker thread (other coroutines keep running) and build this
        loop's client, once: ``Model`` awaits this outside its per-attempt timeout."""
        loop = asyncio.get_running_loop()
        if self._client is not None and self._client_loop is loop:
            return
        # One preparation per loop, awaited by every caller at once: a lock would hand
        # itself from one waiting call to the next, one loop iteration each.
        task = self._preparing
        if task is None or task.get_loop() is not loop:
            task = self._preparing = loop.create_task(self._prepare_here())
        try:
            await asyncio.shield(task)  # a cancelled caller does not cancel the others
        except BaseException:
            if task.done() and self._preparing is task:
                self._preparing = None  # failed: the next call tries again
            raise

    async def _prepare_here(self) -> None:
        if self._module is None:
            self._module = await asyncio.to_thread(self._import_sdk)
        self.client()

    def _make_client(self, sdk: ModuleType, http_client: Any) -> Any:
        """A client with ``max_retries=0``, ``timeout=None`` and the given HTTP client."""
        return getattr(sdk, self.client_class)(
            api_key=self._key,
            base_url=self.base_url,
            max_retries=0,
            timeout=None,
            http_client=http_client,
        )

    @abstractmethod
    def params(self, request: GenerateRequest) -> dict[str, Any]:
        """The request as the SDK call's keyword arguments (``ValueError`` if unsupported)."""

    @abstractmethod
    async def _send(self, client: Any, params: dict[str, Any]) -> Any:
        """Send one request with the SDK; its reply object, unread."""

    @abstractmethod
    def _translate(self, reply: Any) -> GenerateResponse:
        """The SDK's reply as a response (raises ``MalformedReply`` or ``UNREADABLE``)."""

    def client(self) -> Any:
        """The SDK client of the running event loop (a new loop gets a new client, since
        pooled connections belong to the loop that opened them)."""
        loop = asyncio.get_running_loop()
        if self._client is None or self._client_loop is not loop:
            self._client = self._make_client(self._sdk(), self._http_client())
            self._client_loop = loop
        return self._client

    def _http_client(self) -> Any:
        """The SDK's aiohttp transport when aiohttp is installed (its pool stays fast with
        hundreds of connections; httpx's scans every connection per request), else httpx."""
        sdk = self._sdk()
        try:
            import httpx2 as httpx  # the SDK generations this was written against
        except ImportError:  # pragma: no cover - older SDKs use httpx
            import httpx  # type: ignore[no-redef,import-not-found,unused-ignore]
        limits = httpx.Limits(
            max_connections=self.max_connections, max_keepalive_connections=self.max_connections
        )
        aiohttp_client = getattr(sdk, "DefaultAioHttpClient", None)
        if aiohttp_client is not None:
            try:
                return aiohttp_client(limits=limits, timeout=None)
            except RuntimeError:  # the SDK was installed without its aiohttp extra
                pass
        return sdk.DefaultAsyncHttpxClient(limits=limits, timeout=None)

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        params = self.params(request)  # an unsupported option fails here, before any send
        sdk = self._sdk()
        client = self.client()
        try:
            reply = await self._send(client, params)
        except sdk.APIStatusError as exc:
            error: Exception = status_error(
                self.provider,
                exc.status_code,
                _message(exc),
                dict(exc.response.headers),
                self.secrets,
            )
        except sdk.APIConnectionError as exc:  # APITimeoutError included
            error = transient(self.provider, self._connection_failure(sdk, exc), self.secrets)
        except (sdk.APIResponseValidationError, json.JSONDecodeError):
            error = transient(self.provider, "reply was not valid JSON", self.secrets)
        except sdk.APIError as exc:  # anything else the SDK raises for a reply
            error = ProviderError(f"{self.provider} API error: {type(exc).__name__}")
        else:
            return self._read(sdk, reply)
        raise error from None  # no chained SDK error: it holds the request and its headers

    def _read(self, sdk: ModuleType, reply: Any) -> GenerateResponse:
        """Translate a 200 reply; an unreadable one is transient, like truncated JSON.

        Without strict validation the SDKs hand back a 200 body that is not JSON (a proxy's
        HTML page) as a plain ``str`` instead of raising, and build JSON of the wrong shape
        without checking it, so both are caught here.
        """
        if not isinstance(reply, sdk.BaseModel):
            what = "reply was not JSON (a 200 reply with a non-JSON body)"
            raise transient(self.provider, what, self.secrets) from None
        try:
            return self._translate(reply)
        except UNREADABLE as exc:
            what = f"reply had an unexpected shape ({type(exc).__name__})"
        raise transient(self.provider, what, self.secrets) from None

    def _connection_failure(self, sdk: ModuleType, exc: BaseException) -> str:
        """What went wrong on the connection: the SDK reports a refused connection as a
        timeout, so the cause chain is read first."""
        url = safe_url(self.base_url or self.default_base_url)
        problem = connection_problem(exc, url)
        if problem is not None:
            return problem
        if isinstance(exc, sdk.APITimeoutError):
            return "request timed out"
        return "connection failed or reply cut off"

    async def aclose(self) -> None:
        """Close the client if it belongs to the running loop (a dead loop's is dropped)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if self._client is not None and self._client_loop is loop:
            await self._client.close()
        self._client = self._client_loop = None


def _message(exc: Any) -> str:
    """The provider's error message from the body, else the SDK's text."""
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("message"), str):
            return str(inner["message"])
    return str(getattr(exc, "message", "") or exc)
