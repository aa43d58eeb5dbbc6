"""Jobs as data: a debate job is plain, serialisable data that any executor can run.

A ``DebateJob`` holds the question, the protocol spec, a role spec per seat (or one for
every seat, or one per side: model X honest against model Y), the judge spec, the seed and
the cell. It round-trips through JSON, so it can be run in another process or on another
machine; the roles are built from their specs where it runs (``Components``) and closed
with them. ``LiveJob`` carries ready-made objects instead, for in-process callers that
already hold them (tests, benchmarks, a trained judge kept in memory).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from debate.components import Components, RoleContext
from debate.engine import run_debate
from debate.memo import IdentityMemo
from debate.progress import DebateObserver
from debate.protocol import Protocol, build_protocol
from debate.quotes import EvidencePolicy
from debate.registry import DebaterField, JudgeField, Spec
from debate.roles import Debater, Judge
from debate.seating import Debaters, SeatRoles
from debate.types import Question, Transcript


class ProtocolSpec(Spec):
    name: str = Field(description="registered protocol name, or 'module:Class'")
    settings: dict[str, Any] = Field(default_factory=dict, description="protocol fields")

    def build(self) -> Protocol:
        return build_protocol(self.name, self.settings)


Side = Literal["honest", "liar"]


class SeatSpecs(BaseModel):
    """Who plays each seat: ``seats`` by seat name first, then ``sides`` by whether the
    seat defends the correct answer, then ``default`` for every other seat."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    default: DebaterField | None = None
    seats: dict[str, DebaterField] = Field(default_factory=dict)
    sides: dict[Side, DebaterField] = Field(default_factory=dict)

    def specs(self) -> list[Spec]:
        found = [*self.seats.values(), *self.sides.values()]
        return found if self.default is None else [self.default, *found]


_PROTOCOLS = IdentityMemo(1024)


class DebateJob(BaseModel):
    """One debate of a batch, as data. ``debate_id`` is stable so ``--resume`` can skip it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: Literal["debate"] = "debate"
    debate_id: str
    question: Question
    protocol: ProtocolSpec
    debaters: SeatSpecs = SeatSpecs()
    judge: JudgeField
    seed: int
    swap: bool | None = None
    shown: tuple[int, ...] | None = Field(
        default=None, description="the answer order (option indices); None: chosen by swap"
    )
    cell: dict[str, Any] = Field(default_factory=dict)
    context: RoleContext = RoleContext()

    def roles(self, components: Components) -> tuple[Debaters, Judge]:
        """The job's debaters and judge, built (or shared) by ``components``."""
        specs = self.debaters

        def build(spec: Spec) -> Debater:
            built: Debater = components.build("debater", spec, self.context)
            return built

        seats = SeatRoles(
            default=build(specs.default) if specs.default is not None else None,
            seats={name: build(spec) for name, spec in specs.seats.items()},
            sides={side: build(spec) for side, spec in specs.sides.items()},
        )
        debaters: Debaters = seats
        if not (specs.seats or specs.sides):  # self-play: the engine's simplest case
            debaters = seats.default if seats.default is not None else {}
        judge: Judge = components.build("judge", self.judge, self.context)
        return debaters, judge

    async def run(
        self, components: Components, observer: DebateObserver | None = None
    ) -> Transcript:
        # A cell's jobs share one spec object: its protocol is built once, not per debate.
        protocol = _PROTOCOLS.get(self.protocol, "protocol", self.protocol.build)
        debaters, judge = self.roles(components)
        live = LiveJob(
            self.debate_id,
            self.question,
            protocol,
            debaters,
            judge,
            self.seed,
            self.swap,
            self.shown,
            self.cell,
            self.context.evidence,
        )
        return await live.run(components, observer)


@dataclass(frozen=True)
class LiveJob:
    """One debate with ready-made roles: runs only in the process that built them."""

    debate_id: str
    question: Question
    protocol: Protocol
    debaters: Debaters
    judge: Judge
    seed: int
    swap: bool | None = None
    shown: tuple[int, ...] | None = None
    """The answer order (option indices); None: chosen by ``swap``."""
    cell: Mapping[str, Any] = field(default_factory=dict)
    evidence: EvidencePolicy | None = None

    async def run(
        self, components: Components, observer: DebateObserver | None = None
    ) -> Transcript:
        return await run_debate(
            self.question,
            self.protocol,
            self.debaters,
            self.judge,
            seed=self.seed,
            debate_id=self.debate_id,
            swap=self.swap,
            shown=self.shown,
            cell=self.cell,
            evidence=self.evidence,
            observer=observer,
        )


def job_to_wire(job: BaseModel, plugins: list[str] | None = None) -> tuple[str, str, list[str]]:
    """A data job as (its class's import path, its JSON, the plug-in modules whose kinds it
    may name; default: every one registered here now): what crosses a process boundary. Any
    pydantic job class with an async ``run(components, observer)`` ships this way."""
    from debate.registry import registering_modules

    cls = type(job)
    modules = registering_modules() if plugins is None else plugins
    return f"{cls.__module__}:{cls.__qualname__}", job.model_dump_json(), modules


def job_from_wire(target: str, text: str, plugins: list[str] | None = None) -> Any:
    from debate.imports import import_plugins, import_target

    import_plugins(plugins or [])
    cls = import_target(target)
    return cls.model_validate_json(text)
