"""Anthropic messages. System messages become the ``system`` parameter; no logprobs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from debate.models.base import GenerateRequest, GenerateResponse
from debate.models.sdk_backend import SDKBackend
from debate.types import Usage

FINISH = {"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length"}
RESERVED = frozenset(
    {"model", "messages", "max_tokens", "system", "stop_sequences", "temperature", "top_p"}
    | {"stream"}
)


class AnthropicBackend(SDKBackend):
    """The ``anthropic`` SDK's ``AsyncAnthropic``; key from ``$ANTHROPIC_API_KEY`` by default.

    The messages API takes no seed: requests still carry one, so the cache keeps distinct
    samples apart, but the provider cannot reproduce a sample from it. This SDK version has no
    ``temperature``/``top_p`` arguments; with ``sampling_in_body`` (default) they are sent in
    the request body, for models that accept them; turn it off for models that refuse them.
    ``extra_body`` adds fields to every request body (e.g. ``top_k``).
    """

    kind = "anthropic"
    provider = "Anthropic"
    default_base_url = "https://api.anthropic.com"
    default_key_env = "ANTHROPIC_API_KEY"
    sdk_module = "anthropic"
    client_class = "AsyncAnthropic"
    reserved_fields = RESERVED

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        max_connections: int = 256,
        sampling_in_body: bool = True,
        extra_body: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            api_key_env=api_key_env,
            max_connections=max_connections,
            extra_body=extra_body,
        )
        self.sampling_in_body = sampling_in_body

    def params(self, request: GenerateRequest) -> dict[str, Any]:
        """The request as ``messages.create`` keyword arguments."""
        if request.extra:
            raise ValueError(f"Anthropic backend does not support options {sorted(request.extra)}")
        sampling = request.sampling
        system = "\n\n".join(m.content for m in request.messages if m.role == "system")
        params: dict[str, Any] = {
            "model": request.model,
            "messages": [
                {"role": m.role, "content": m.content}
                for m in request.messages
                if m.role != "system"
            ],
            "max_tokens": sampling.max_tokens,
        }
        optional = {"system": system or None, "stop_sequences": sampling.stop}
        params.update({k: v for k, v in optional.items() if v is not None})
        body: dict[str, Any] = dict(self.extra_body)
        if self.sampling_in_body:
            body["temperature"] = sampling.temperature
            if sampling.top_p is not None:
                body["top_p"] = sampling.top_p
        if body:
            params["extra_body"] = body
        return params

    async def _send(self, client: Any, params: dict[str, Any]) -> Any:
        return await client.messages.create(**params)

    def _translate(self, message: Any) -> GenerateResponse:
        text = "".join(block.text for block in message.content if block.type == "text")
        return GenerateResponse(
            text=text,
            usage=Usage(
                input_tokens=message.usage.input_tokens,
                output_tokens=message.usage.output_tokens,
                calls=1,
            ),
            finish_reason=FINISH.get(message.stop_reason or "", message.stop_reason),
        )
