"""OpenAI chat completions, and any OpenAI-compatible server (vLLM, llama.cpp) via base_url.

Token logprobs, when asked for (``extra={"logprobs": True, "top_logprobs": k}``), come back
in ``GenerateResponse.extra["logprobs"]`` as a list, one entry per generated token, of
``{"token", "logprob", "top_logprobs": [{"token", "logprob"}, ...]}``.
"""

from __future__ import annotations

from typing import Any, Literal

from debate.models.base import GenerateRequest, GenerateResponse
from debate.models.sdk_backend import SDKBackend
from debate.types import Usage

EXTRA_OPTIONS = frozenset({"logprobs", "top_logprobs"})


class OpenAIBackend(SDKBackend):
    """The ``openai`` SDK's ``AsyncOpenAI`` client; key from ``$OPENAI_API_KEY`` by default."""

    kind = "openai"
    provider = "OpenAI"
    default_base_url = "https://api.openai.com/v1"
    default_key_env = "OPENAI_API_KEY"
    sdk_module = "openai"
    client_class = "AsyncOpenAI"

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        max_connections: int = 256,
        logprobs: bool = True,
        max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens",
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            api_key_env=api_key_env,
            max_connections=max_connections,
        )
        self.supports_logprobs = logprobs
        self.max_tokens_param = max_tokens_param

    def params(self, request: GenerateRequest) -> dict[str, Any]:
        """The request as ``chat.completions.create`` keyword arguments."""
        unknown = set(request.extra) - EXTRA_OPTIONS
        if unknown:
            raise ValueError(f"OpenAI backend does not support options {sorted(unknown)}")
        sampling = request.sampling
        params: dict[str, Any] = {
            "model": request.model,
            "messages": [{"role": m.role, "content": m.content} for m in request.messages],
            "temperature": sampling.temperature,
            self.max_tokens_param: sampling.max_tokens,
        }
        optional = {"top_p": sampling.top_p, "stop": sampling.stop, "seed": request.seed}
        params.update({k: v for k, v in optional.items() if v is not None})
        params.update(request.extra)
        return params

    async def _complete(self, client: Any, request: GenerateRequest) -> GenerateResponse:
        completion = await client.chat.completions.create(**self.params(request))
        if not completion.choices:
            raise ValueError("OpenAI reply has no choices")
        choice = completion.choices[0]
        extra: dict[str, Any] = {}
        if choice.logprobs is not None and choice.logprobs.content:
            extra["logprobs"] = [
                {
                    "token": t.token,
                    "logprob": t.logprob,
                    "top_logprobs": [
                        {"token": top.token, "logprob": top.logprob} for top in t.top_logprobs
                    ],
                }
                for t in choice.logprobs.content
            ]
        usage = completion.usage
        return GenerateResponse(
            text=choice.message.content or "",
            usage=Usage(
                input_tokens=usage.prompt_tokens if usage else 0,
                output_tokens=usage.completion_tokens if usage else 0,
                calls=1,
            ),
            finish_reason=choice.finish_reason,
            extra=extra,
        )
