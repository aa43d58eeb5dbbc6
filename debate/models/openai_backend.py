"""OpenAI chat completions, and any OpenAI-compatible server (vLLM, llama.cpp) via base_url.

Token logprobs, when asked for (``extra={"logprobs": True, "top_logprobs": k}``), come back
in ``GenerateResponse.extra["logprobs"]`` as a list, one entry per generated token, of
``{"token", "logprob", "top_logprobs": [{"token", "logprob"}, ...]}``.

``extra_body`` adds fields to every request body, for servers with options the SDK does not
name: llama.cpp's server samples with its own defaults (top_k 40, repeat_penalty...) even at
temperature 0, so ``extra_body={"top_k": 1}`` is what makes it greedy.

``answer_constraint`` is how the server is made to honour the ``answer_letters`` request option
(``debate.models.answer_letters``: the reply is one of these letters, its logprobs read at that
token): ``"none"`` (default, api.openai.com) drops the option; ``"grammar"`` sends llama.cpp's
GBNF ``grammar`` field; ``"logit_bias"`` biases the letters and generates one token.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from debate.errors import ConfigError
from debate.models.answer_letters import (
    ANSWER_LETTERS,
    CONSTRAINT_FIELDS,
    AnswerConstraint,
    answer_letters,
    checked_constraint,
    constraint_fields,
)
from debate.models.base import GenerateRequest, GenerateResponse, message_dicts
from debate.models.sdk_backend import MalformedReply, SDKBackend
from debate.types import Usage

EXTRA_OPTIONS = frozenset({"logprobs", "top_logprobs", ANSWER_LETTERS})
RESERVED = frozenset(
    {"model", "messages", "temperature", "max_tokens", "max_completion_tokens", "top_p"}
    | {"stop", "seed", "stream", "n"}
    | EXTRA_OPTIONS
)


class OpenAIBackend(SDKBackend):
    """The ``openai`` SDK's ``AsyncOpenAI`` client; key from ``$OPENAI_API_KEY`` by default."""

    kind = "openai"
    provider = "OpenAI"
    default_base_url = "https://api.openai.com/v1"
    default_key_env = "OPENAI_API_KEY"
    sdk_module = "openai"
    client_class = "AsyncOpenAI"
    reserved_fields = RESERVED

    def __init__(
        self,
        *,
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        max_connections: int = 256,
        logprobs: bool = True,
        max_tokens_param: Literal["max_tokens", "max_completion_tokens"] = "max_tokens",
        extra_body: Mapping[str, Any] | None = None,
        answer_constraint: AnswerConstraint = "none",
    ) -> None:
        super().__init__(
            base_url=base_url,
            api_key=api_key,
            api_key_env=api_key_env,
            max_connections=max_connections,
            extra_body=extra_body,
        )
        self.supports_logprobs = logprobs
        self.max_tokens_param = max_tokens_param
        self.answer_constraint = checked_constraint(answer_constraint)
        clash = sorted(set(self.extra_body) & CONSTRAINT_FIELDS)
        if self.answer_constraint != "none" and clash:
            raise ConfigError(
                f"OpenAI extra_body may not set {clash} with answer_constraint = "
                f"{self.answer_constraint!r}: the constraint sets them"
            )

    def identity(self) -> dict[str, Any]:
        """The SDK backend's identity, plus the answer constraint when there is one (it
        changes the judge's replies, so it is part of the cache key and the record)."""
        identity = super().identity()
        if self.answer_constraint != "none":
            identity["answer_constraint"] = self.answer_constraint
        return identity

    def params(self, request: GenerateRequest) -> dict[str, Any]:
        """The request as ``chat.completions.create`` keyword arguments."""
        unknown = set(request.extra) - EXTRA_OPTIONS
        if unknown:
            raise ValueError(f"OpenAI backend does not support options {sorted(unknown)}")
        sampling = request.sampling
        params: dict[str, Any] = {
            "model": request.model,
            "messages": message_dicts(request.messages),
            "temperature": sampling.temperature,
            self.max_tokens_param: sampling.max_tokens,
        }
        optional = {"top_p": sampling.top_p, "stop": sampling.stop, "seed": request.seed}
        params.update({k: v for k, v in optional.items() if v is not None})
        if ANSWER_LETTERS not in request.extra:
            params.update(request.extra)
            if self.extra_body:
                params["extra_body"] = dict(self.extra_body)
            return params
        letters = answer_letters(request.extra)
        params.update({k: v for k, v in request.extra.items() if k != ANSWER_LETTERS})
        body = dict(self.extra_body)
        fields = constraint_fields(self.answer_constraint, letters or [])
        if "logit_bias" in fields:  # an SDK argument; later tokens would be letters too
            params["logit_bias"] = fields.pop("logit_bias")
            params[self.max_tokens_param] = 1
        body.update(fields)  # grammar: a field the SDK does not name
        if body:
            params["extra_body"] = body
        return params

    async def _send(self, client: Any, params: dict[str, Any]) -> Any:
        """``chat.completions.create``'s request, sent with the client's own ``post``.

        ``create`` first walks its arguments against the SDK's ``TypedDict`` annotations
        (``async_maybe_transform``): for our arguments, plain JSON values with no aliased
        keys, files or dates, that walk returns them unchanged, and it costs about 320 µs a
        call (a third of the SDK's CPU per call here). The body, the extra fields, auth,
        headers, the SDK's error types and its parsed ``ChatCompletion`` are the same: a
        test compares the JSON and headers on the wire and the reply with ``create``'s.
        """
        from openai.types.chat import ChatCompletion

        body = dict(params)
        options: dict[str, Any] = {"security": {"bearer_auth": True}}
        extra_body = body.pop("extra_body", None)
        if extra_body:
            options["extra_json"] = extra_body
        return await client.post(
            "/chat/completions", body=body, cast_to=ChatCompletion, options=options
        )

    def _translate(self, completion: Any) -> GenerateResponse:
        if not completion.choices:
            raise MalformedReply("OpenAI reply has no choices")
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
