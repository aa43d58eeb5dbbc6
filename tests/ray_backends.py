"""Backends for the Ray executor tests; imported by name in each worker process."""

from __future__ import annotations

import asyncio
import os
from typing import Literal

from debate.components import Components
from debate.models import Backend, GenerateRequest, GenerateResponse
from debate.models.backend_specs import BackendSpec
from debate.registry import register

BUILDS = 0
"""How many ``counting`` backends this process has built."""


class CountingBackend(Backend):
    """Says which process and which build of it answered (a stand-in for a local model:
    a worker should build one and serve every job with it)."""

    kind = "counting"
    limits_are_shared = False

    def __init__(self, build: int) -> None:
        self.build = build

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        await asyncio.sleep(0.01)
        system = next((m.content for m in request.messages if m.role == "system"), "")
        if system.startswith("You are the judge"):
            return GenerateResponse(text="Probabilities: A=0.6, B=0.4")
        return GenerateResponse(text=f"served by {os.getpid()}/{self.build}")


class CountingSpec(BackendSpec):
    kind: Literal["counting"] = "counting"


@register("backend", "counting", CountingSpec)
def counting_backend(spec: CountingSpec, components: Components) -> Backend:
    global BUILDS
    BUILDS += 1
    return CountingBackend(BUILDS)


def exit_worker(request: GenerateRequest) -> str:
    """Kills the process it runs in: a debate that takes its worker down every time."""
    os._exit(1)
