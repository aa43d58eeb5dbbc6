"""What the OpenAI and Anthropic backends share: keys, one client per event loop, errors.

Each provider backend only builds its SDK client and translates one request and one reply.
Everything else (the API key from the environment, never recorded; a client bound to the
running event loop; SDK errors mapped onto the model layer's single retry policy) is here.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
from abc import abstractmethod
from types import ModuleType
from typing import Any

from debate.errors import ConfigError
from debate.models.api_errors import ProviderError, safe_url, status_error, transient
from debate.models.base import Backend, GenerateRequest, GenerateResponse

LOCAL_PLACEHOLDER_KEY = "not-needed"
"""Sent to a custom ``base_url`` when no key is set: local servers (vLLM, llama.cpp) ignore it."""


class SDKBackend(Backend):
    """A backend on an official async SDK (``openai`` or ``anthropic``), imported lazily.

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

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        max_connections: int = 256,
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
        self._key = key  # never recorded: identity() and errors leave it out
        self._client: Any = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    def identity(self) -> dict[str, Any]:
        """Kind and endpoint (credentials, query and fragment stripped); never the key."""
        return {"kind": self.kind, "base_url": safe_url(self.base_url or self.default_base_url)}

    @property
    def secrets(self) -> tuple[str]:
        return (self._key,)

    def _sdk(self) -> ModuleType:
        """The SDK module (imported here, lazily)."""
        return importlib.import_module(self.sdk_module)

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
    async def _complete(self, client: Any, request: GenerateRequest) -> GenerateResponse:
        """Send one request with the SDK and translate the reply."""

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
        sdk = self._sdk()
        client = self.client()
        try:
            return await self._complete(client, request)
        except sdk.APIStatusError as exc:
            error: Exception = status_error(
                self.provider,
                exc.status_code,
                _message(exc),
                dict(exc.response.headers),
                self.secrets,
            )
        except sdk.APITimeoutError:
            error = transient(self.provider, "request timed out", self.secrets)
        except sdk.APIConnectionError:
            error = transient(self.provider, "connection failed or reply cut off", self.secrets)
        except (sdk.APIResponseValidationError, json.JSONDecodeError):
            error = transient(self.provider, "reply was not valid JSON", self.secrets)
        except sdk.APIError as exc:  # anything else the SDK raises for a reply
            error = ProviderError(f"{self.provider} API error: {type(exc).__name__}")
        raise error from None  # no chained SDK error: it holds the request and its headers

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
