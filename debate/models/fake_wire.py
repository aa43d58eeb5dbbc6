"""The wire formats the fake API server speaks: OpenAI chat completions and Anthropic
messages, read into a ``GenerateRequest`` and written back from a ``GenerateResponse``.

Kept apart from the server so the translation can be read (and checked against the SDKs)
on its own.
"""

from __future__ import annotations

from typing import Any, Literal

from debate.models.base import GenerateRequest, GenerateResponse, Message, SamplingSettings

Api = Literal["openai", "anthropic"]


def _text(content: Any) -> str:
    """Message content as text: a string, or a list of text blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(str(b.get("text", "")) for b in content if isinstance(b, dict))
    raise ValueError("message content must be a string or a list of text blocks")


def openai_request(body: dict[str, Any]) -> GenerateRequest:
    """An OpenAI chat-completions body as a ``GenerateRequest``."""
    messages = [Message(role=m["role"], content=_text(m["content"])) for m in body["messages"]]
    stop = body.get("stop")
    extra = {k: body[k] for k in ("logprobs", "top_logprobs") if body.get(k) is not None}
    return GenerateRequest(
        model=body["model"],
        messages=messages,
        sampling=SamplingSettings(
            temperature=body.get("temperature", 1.0),
            max_tokens=body.get("max_completion_tokens") or body.get("max_tokens") or 512,
            top_p=body.get("top_p"),
            stop=[stop] if isinstance(stop, str) else stop,
        ),
        seed=body.get("seed"),
        extra=extra,
    )


def anthropic_request(body: dict[str, Any]) -> GenerateRequest:
    """An Anthropic messages body as a ``GenerateRequest`` (system prompt first)."""
    system = body.get("system")
    messages = [Message(role="system", content=_text(system))] if system else []
    messages += [Message(role=m["role"], content=_text(m["content"])) for m in body["messages"]]
    return GenerateRequest(
        model=body["model"],
        messages=messages,
        sampling=SamplingSettings(
            temperature=body.get("temperature", 1.0),
            max_tokens=body["max_tokens"],
            top_p=body.get("top_p"),
            stop=body.get("stop_sequences"),
        ),
        extra={},
    )


def _tokens(text: str) -> int:
    return len(text.split())


def _usage(request: GenerateRequest, response: GenerateResponse) -> tuple[int, int]:
    usage = response.usage
    prompt = usage.input_tokens or sum(_tokens(m.content) for m in request.messages)
    return prompt, usage.output_tokens or _tokens(response.text)


def openai_body(request: GenerateRequest, response: GenerateResponse, n: int) -> dict[str, Any]:
    prompt, completion = _usage(request, response)
    choice: dict[str, Any] = {
        "index": 0,
        "message": {"role": "assistant", "content": response.text},
        "finish_reason": response.finish_reason or "stop",
        "logprobs": None,
    }
    if request.extra.get("logprobs") and "logprobs" in response.extra:
        choice["logprobs"] = {"content": response.extra["logprobs"]}
    return {
        "id": f"chatcmpl-fake-{n}",
        "object": "chat.completion",
        "created": 0,
        "model": request.model,
        "choices": [choice],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        },
    }


def anthropic_body(request: GenerateRequest, response: GenerateResponse, n: int) -> dict[str, Any]:
    prompt, completion = _usage(request, response)
    stop = {"length": "max_tokens", "stop": "end_turn"}.get(response.finish_reason or "stop")
    return {
        "id": f"msg_fake_{n}",
        "type": "message",
        "role": "assistant",
        "model": request.model,
        "content": [{"type": "text", "text": response.text}],
        "stop_reason": stop or "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": prompt, "output_tokens": completion},
    }


def error_body(api: Api, kind: str, message: str) -> dict[str, Any]:
    if api == "openai":
        return {"error": {"message": message, "type": kind, "param": None, "code": None}}
    return {"type": "error", "error": {"type": kind, "message": message}}
