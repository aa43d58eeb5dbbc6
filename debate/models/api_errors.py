"""Provider SDK errors mapped onto the model layer's one retry policy, with secrets redacted.

Provider clients are built with ``max_retries=0``: the SDK never retries on its own, and the
``Model`` wrapper (tenacity) is the only retry loop. Backends translate every SDK error here
into a ``RetryableError`` (429, 408, 409, 5xx, timeouts, dropped connections, malformed or
truncated replies; carrying the server's Retry-After) or a ``ProviderError`` (anything else,
raised at once). Both carry a redacted one-line message and no reference to the SDK error,
its request or its headers, so an API key cannot reach a transcript, a log or the terminal
through an exception.
"""

from __future__ import annotations

import email.utils
import socket
import time
from collections.abc import Iterable, Mapping
from urllib.parse import urlsplit, urlunsplit

from debate.errors import StopsRun
from debate.models.base import RetryableError

RETRYABLE_STATUS = frozenset({408, 409, 429})
"""Client-side statuses worth retrying (timeout, conflict, rate limit); every 5xx is too."""

REDACTED = "[redacted]"


class ProviderError(RuntimeError):
    """A provider refused a request for a reason retrying will not fix (400, 401, 404...)."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AuthError(ProviderError, StopsRun):
    """The provider rejected the credentials (401, 403): every later request would fail the
    same way, so a batch stops scheduling new debates at once instead of failing them all."""


AUTH_STATUS = frozenset({401, 403})


def redact(text: str, secrets: Iterable[str | None]) -> str:
    """``text`` with every secret (of at least 4 characters) replaced by a placeholder."""
    for secret in secrets:
        if secret and len(secret) >= 4:
            text = text.replace(secret, REDACTED)
    return text


def safe_url(url: str) -> str:
    """A URL without credentials, query or fragment: safe to record and to hash into keys."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def parse_retry_after(headers: Mapping[str, str] | None) -> float | None:
    """Seconds from ``retry-after-ms``, or ``Retry-After`` (seconds or an HTTP date)."""
    if not headers:
        return None
    lowered = {k.lower(): v for k, v in headers.items()}
    millis, value = lowered.get("retry-after-ms"), lowered.get("retry-after")
    try:
        if millis is not None:
            return max(0.0, float(millis) / 1000)
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value) if value else None
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time()) if when is not None else None


def one_line(text: str, limit: int = 300) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def status_error(
    provider: str,
    status: int,
    message: str,
    headers: Mapping[str, str] | None,
    secrets: Iterable[str | None],
) -> RetryableError | ProviderError:
    """The model-layer error for an HTTP error status from ``provider``."""
    text = one_line(redact(f"{provider} API error {status}: {message}", secrets))
    if status in RETRYABLE_STATUS or status >= 500:
        return RetryableError(text, retry_after=parse_retry_after(headers))
    if status in AUTH_STATUS:
        return AuthError(text, status=status)
    return ProviderError(text, status=status)


def transient(provider: str, what: str, secrets: Iterable[str | None]) -> RetryableError:
    """A retryable failure with no status: timeout, dropped connection, unreadable reply."""
    return RetryableError(one_line(redact(f"{provider} API {what}", secrets)))


CONNECTION_PROBLEMS: tuple[tuple[type[BaseException], str], ...] = (
    (ConnectionRefusedError, "connection refused to {url}"),
    (socket.gaierror, "cannot resolve the host of {url}"),
    (ConnectionResetError, "connection reset by {url}"),
)
"""OS errors worth naming, most specific first, and how to say them."""


def connection_problem(error: BaseException, url: str) -> str | None:
    """What an SDK connection error wraps, if it is one of ``CONNECTION_PROBLEMS``.

    The SDKs wrap the transport's error (``__cause__``, or ``__context__``), which wraps the
    OS error: the openai SDK's aiohttp transport even reports a refused connection as a
    connect *timeout*, so only the chain tells what happened. ``url`` must be safe to show.
    """
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 16 and all(current is not e for e in chain):
        chain.append(current)
        current = current.__cause__ or current.__context__
    for kind, text in CONNECTION_PROBLEMS:
        if any(isinstance(e, kind) for e in chain):
            return text.format(url=url)
    return None
