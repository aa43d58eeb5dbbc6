"""Build components from specs where a job runs, once each, and close them together.

A job is data; ``Components`` turns its specs into live roles in the process that runs it.
Equal specs give the same object (one debater, one judge, one connection pool for every
debate of a cell, as before jobs became data), and every resource a factory opens is
registered on one exit stack, so closing is explicit instead of found by walking
attributes.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from debate.errors import ConfigError
from debate.models import Backend
from debate.prompts import PromptSet
from debate.quotes import EvidencePolicy
from debate.registry import Group, Spec, component, kind_of, label
from debate.roles import Debater, Judge

ROLE_TYPES: dict[Group, type[Any]] = {"debater": Debater, "judge": Judge, "backend": Backend}
"""What each group's factories must build (checked once per component, with one line)."""

DEFAULT_PROMPTS = PromptSet()

if TYPE_CHECKING:
    from debate.models import ModelConfig
    from debate.models.gates import CallGate

T = TypeVar("T")


class GateProvider(Protocol):
    """Gives each model role the gate its calls wait at, by the role's identity (a cluster
    worker's provider returns gates shared with every other worker)."""

    def gate(self, key: str, config: ModelConfig) -> CallGate: ...


class RoleContext(BaseModel):
    """What roles are built with besides their own spec: the prompt set and the quote
    policy of the run. Part of a job, so a job run elsewhere builds the same roles."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    prompts: PromptSet | None = Field(default=None, description="None: the built-in prompts")
    evidence: EvidencePolicy | None = Field(default=None, description="quote checking")

    def key(self) -> str:
        return self.model_dump_json() if self.prompts or self.evidence else ""


REQUIRED = {
    "debater": "async __call__(view) and describe()",
    "judge": "async __call__(view) and describe()",
    "backend": "the Backend interface (generate)",
}


class Components:
    """Specs to live components, cached by spec, closed by ``aclose`` (or ``async with``).

    ``given`` maps ``(group, label)`` to a ready-made component used instead of building
    that spec: a human judge whose screen the caller also uses to watch the debates.
    ``data_root`` is where datasets and judge caches resolve relative paths. While a
    factory runs, ``context`` is the job's role context (prompts, evidence policy), so a
    factory that builds another component (a best-of-N ranker) builds it alike.
    """

    def __init__(
        self,
        *,
        data_root: Path | None = None,
        given: Mapping[tuple[str, str], object] | None = None,
        gates: GateProvider | None = None,
    ) -> None:
        self.data_root = data_root
        self.gates = gates
        """None: each model role has its own local gate (this process only)."""
        self.context = RoleContext()
        self._given = dict(given or {})
        self._built: dict[str, Any] = {}
        self._shared: dict[str, Any] = {}
        self._by_identity: dict[tuple[str, int, int], tuple[Spec, RoleContext, Any]] = {}
        self._stack = AsyncExitStack()

    @property
    def prompts(self) -> PromptSet:
        return self.context.prompts or DEFAULT_PROMPTS

    def build(self, group: Group, spec: Spec, context: RoleContext | None = None) -> Any:
        """The component ``spec`` describes (in ``context``, default: the current one),
        built on first use and shared after."""
        context = context or self.context
        fast = (group, id(spec), id(context))  # a batch's jobs share their spec objects
        hit = self._by_identity.get(fast)
        if hit is not None and hit[0] is spec and hit[1] is context:
            return hit[2]
        built = self._build(group, spec, context)
        self._by_identity[fast] = (spec, context, built)
        return built

    def _build(self, group: Group, spec: Spec, context: RoleContext) -> Any:
        given = self._given.get((group, label(spec)))
        if given is not None:
            return given
        key = f"{group}|{type(spec).__module__}.{type(spec).__qualname__}|"
        key += json.dumps(spec.model_dump(mode="json"), sort_keys=True, default=str)
        key += "|" + context.key()
        if key not in self._built:
            outer, self.context = self.context, context
            try:
                self._built[key] = self.make(group, spec)
            finally:
                self.context = outer
        return self._built[key]

    def make(self, group: Group, spec: Spec) -> Any:
        """A new component for ``spec`` (not shared): a model role's own backend."""
        kind = kind_of(spec, group)
        built = component(group, kind).factory(spec, self)
        required = ROLE_TYPES.get(group)
        if required is not None and not isinstance(built, required):
            raise ConfigError(
                f"{group} kind {kind!r} built a {type(built).__name__}, which lacks the "
                f"{group} methods ({REQUIRED[group]})"
            )
        return built

    def shared(self, key: str, make: Callable[[], T]) -> T:
        """What ``make`` returns, made once per ``key`` for these components: resources a
        job needs that are not registered components (a dataset split, a loaded judge), so a
        worker loads them once for all the jobs it runs."""
        if key not in self._shared:
            self._shared[key] = make()
        value: T = self._shared[key]
        return value

    def gate(self, key: str, config: ModelConfig) -> CallGate | None:
        """The gate for the model role ``key`` (None: the model makes its own local one)."""
        return self.gates.gate(key, config) if self.gates is not None else None

    def on_close(self, close: Callable[[], Awaitable[None]]) -> None:
        """Run ``close`` when these components are closed (last registered, first run)."""
        self._stack.push_async_callback(close)

    async def aclose(self) -> None:
        await self._stack.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()
