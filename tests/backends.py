"""Function backends referenced by test configs (``tests.backends:NAME``)."""

from __future__ import annotations

import asyncio

from debate.models import GenerateRequest


async def slow_speech(request: GenerateRequest) -> str:
    """A debater that takes a moment, so a batch can be killed midway."""
    await asyncio.sleep(0.05)
    return "My answer is right because the background says so."


def leaning_judge(request: GenerateRequest) -> str:
    """A judge that always leans to answer A and states it in the required format."""
    return "A seems better argued.\nProbabilities: A=0.6, B=0.4"
