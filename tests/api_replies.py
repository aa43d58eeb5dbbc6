"""Reply functions for the fake API server in tests (``tests.api_replies:NAME``)."""

from __future__ import annotations

from debate.models import GenerateRequest, GenerateResponse


def _system(request: GenerateRequest) -> str:
    return next((m.content for m in request.messages if m.role == "system"), "")


def role_reply(request: GenerateRequest) -> str | GenerateResponse:
    """Plays every role: a judge's letter (with logprobs), question or verdict; a speech."""
    system = _system(request)
    if request.extra.get("logprobs"):
        top = [{"token": "A", "logprob": -0.2231}, {"token": "B", "logprob": -1.6094}]
        logprobs = [{"token": "A", "logprob": -0.2231, "top_logprobs": top}]
        return GenerateResponse(text="A", extra={"logprobs": logprobs})
    if "Ask both debaters" in system:
        return "Which exact sentence of the text supports your answer?"
    if system.startswith("You are the judge"):
        return "A argued better.\nProbabilities: A=0.7, B=0.3"
    return "My answer is right: <quote>the text says so</quote>."


KEY = "sk-test-SECRET-0123456789"
"""The API key tests hand to clients; it must never show up in any output."""
FAST = {"backoff_initial_s": 0.001, "backoff_max_s": 0.01}
"""Retry settings that keep fault tests quick (a server's Retry-After still wins)."""
