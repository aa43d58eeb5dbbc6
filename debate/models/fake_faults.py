"""What the fake API server injects (``FaultPlan``) and records (``ServedRequest``)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from debate.models.base import GenerateRequest
from debate.models.fake_wire import Api

Fault = Literal[
    "ok", "rate_limit", "server_error", "timeout", "malformed", "truncated", "html", "wrong_shape"
]
FAULTS: tuple[Fault, ...] = (
    "rate_limit",
    "server_error",
    "timeout",
    "malformed",
    "truncated",
    "html",
    "wrong_shape",
)
BAD_BODIES: dict[Fault, tuple[str, str]] = {
    "malformed": ('{"choices": [ not json', "application/json"),
    "html": ("<html><body><h1>502 Bad Gateway</h1></body></html>", "text/html"),
    "wrong_shape": ('{"status": "queued"}', "application/json"),
}
"""Body and content type of each fault answered with status 200 and an unreadable body."""


class FaultPlan(BaseModel):
    """Which faults to inject: a fixed script first, then independent random draws."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rate_limit: float = Field(default=0.0, ge=0, le=1, description="share of 429 replies")
    server_error: float = Field(default=0.0, ge=0, le=1, description="share of 500 replies")
    timeout: float = Field(
        default=0.0, ge=0, le=1, description="share of requests held for hang_s before replying"
    )
    malformed: float = Field(default=0.0, ge=0, le=1, description="share of non-JSON 200 bodies")
    truncated: float = Field(
        default=0.0, ge=0, le=1, description="share of bodies cut off mid-JSON (connection closed)"
    )
    html: float = Field(default=0.0, ge=0, le=1, description="share of 200 text/html pages")
    wrong_shape: float = Field(
        default=0.0, ge=0, le=1, description="share of 200 JSON bodies that are not a reply"
    )
    script: list[Fault] = Field(
        default_factory=list, description="faults for the first requests, in order"
    )
    retry_after_s: float = Field(default=0.05, ge=0, description="Retry-After sent with a 429")
    hang_s: float = Field(default=30.0, ge=0, description="how long a 'timeout' request waits")
    seed: int = Field(default=0, description="seed of the random draws")

    @model_validator(mode="after")
    def _rates(self) -> FaultPlan:
        if sum(getattr(self, name) for name in FAULTS) > 1:
            raise ValueError("fault rates must sum to at most 1")
        return self


@dataclass(frozen=True)
class ServedRequest:
    """One request as the server saw it (the API key is never kept, only whether one came)."""

    api: Api
    request: GenerateRequest
    fault: Fault
    authorized: bool
    body: dict[str, Any] = field(default_factory=dict)
    """The JSON body as sent (fields ``request`` has no place for, e.g. ``top_k``, included)."""
