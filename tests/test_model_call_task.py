"""``Model.generate`` runs each call as a task of its own (so an SDK's many suspensions do
not resume the whole debate's coroutine chain each time): what a caller relies on still
holds: the reply and errors come back, a timeout or a cancelled caller cancels the call,
and nothing is left running."""

from __future__ import annotations

import asyncio

import pytest

from debate.models import FunctionBackend, GenerateRequest, Message, Model, ModelConfig
from debate.models.base import AttemptsTimedOut

PROMPT = [Message(role="user", content="q")]


async def test_the_call_runs_in_its_own_task_and_returns_its_reply() -> None:
    caller = asyncio.current_task()
    seen: list[asyncio.Task[object] | None] = []

    async def answer(request: GenerateRequest) -> str:
        seen.append(asyncio.current_task())
        return "ok"

    model = Model(FunctionBackend(answer), ModelConfig(model="m", max_retries=0))
    reply = await model.generate(PROMPT)
    assert reply.text == "ok" and model.usage.calls == 1
    assert seen and seen[0] is not None and seen[0] is not caller


async def test_cancelling_the_caller_cancels_the_call() -> None:
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def hang(request: GenerateRequest) -> str:
        started.set()
        try:
            await asyncio.sleep(60)
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return "late"

    model = Model(FunctionBackend(hang), ModelConfig(model="m", max_retries=0, timeout_s=None))
    caller = asyncio.ensure_future(model.generate(PROMPT))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    await asyncio.wait_for(cancelled.wait(), 1)  # the call itself was cancelled, not orphaned
    assert model.usage.calls == 0


async def test_a_timeout_still_ends_the_attempt_and_errors_still_reach_the_caller() -> None:
    async def slow(request: GenerateRequest) -> str:
        await asyncio.sleep(5)
        return "late"

    timed = Model(FunctionBackend(slow), ModelConfig(model="m", max_retries=0, timeout_s=0.05))
    with pytest.raises(AttemptsTimedOut, match=r"timed out after 0\.05 s"):
        await timed.generate(PROMPT)

    def broken(request: GenerateRequest) -> str:
        raise ValueError("not retryable")

    failing = Model(FunctionBackend(broken), ModelConfig(model="m", max_retries=0))
    with pytest.raises(ValueError, match="not retryable"):
        await failing.generate(PROMPT)
    pending = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    assert not pending
