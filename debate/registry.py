"""Components by registry: every backend, debater, judge, dataset and experiment type is a
``kind`` with a pydantic spec and a factory, registered beside its implementation.

A config names a built-in kind (``kind = "simulated"``), a kind a plug-in package adds
through the entry-point group ``debate_lab.<group>s`` (``pip install`` makes it usable by
name), or ``package.module:Attribute`` for code that is not registered at all. Nothing above
this module dispatches on spec types: the registry finds the spec class to validate a
config table and the factory that builds it (``debate.components.Components``).
Protocols keep their own name registry (``debate.protocol.register``), which also reads
the entry-point group ``debate_lab.protocols``. ``unregister`` undoes a registration (tests,
notebooks that redefine a kind).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, SerializeAsAny, ValidationError

from debate.errors import ConfigError, validation_message
from debate.imports import import_target

if TYPE_CHECKING:
    from debate.components import Components

Group = Literal["backend", "debater", "judge", "dataset", "experiment"]
GROUPS: tuple[Group, ...] = ("backend", "debater", "judge", "dataset", "experiment")
ENTRY_POINT_PREFIX = "debate_lab."
"""Plug-ins declare ``[project.entry-points."debate_lab.judges"] my-judge = "pkg.mod"``:
loading the entry point imports the module, whose ``@register`` makes the kind known."""

BUILTIN_MODULES: dict[Group, tuple[str, ...]] = {
    "backend": ("debate.models.backend_specs",),
    "debater": ("debate.role_specs", "judges.specs", "judges.pixels.specs"),
    "judge": ("judges.specs", "judges.pixels.specs"),
    "dataset": (
        "evals.datasets",
        "evals.bigbench",
        "evals.literature",
        "evals.reasoning_gym",
        "judges.pixels.specs",
    ),
    "experiment": (
        "evals.eval_experiment",
        "evals.rejudge",
        "evals.sweep.experiment",
        "evals.mnist.experiment",
        "evals.tournament.experiment",
        "evals.multi_agent.experiment",
    ),
}
"""Modules that register the built-in kinds (imported on first lookup; each is light: SDKs
and torch load only when a component is built)."""

DISCRIMINATOR: dict[Group, str] = {"experiment": "type"}
"""The field naming the kind: ``kind`` everywhere but run configs, which say ``type``."""


class Spec(BaseModel):
    """Base of every component spec: immutable, strict about unknown settings."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class CustomSpec(Spec):
    """A class or factory named by import path, built as ``Target(**settings)``.

    The working directory is importable, so a ``my_judges.py`` beside the config works
    without ``PYTHONPATH``; installed packages work as usual."""

    kind: str = Field(
        pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_][\w.]*$", description="'package.module:Class'"
    )
    name: str | None = Field(default=None, description="label in results; default: the kind")
    settings: dict[str, Any] = Field(default_factory=dict, description="the target's arguments")

    def label(self) -> str:
        return self.name or self.kind


Factory = Callable[[Any, Any], Any]
"""``(spec, components) -> component``; an experiment factory gets no components."""
S = TypeVar("S", bound=Spec)
F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class Component:
    group: Group
    kind: str
    spec: type[BaseModel]
    factory: Factory


_KINDS: dict[Group, dict[str, Component]] = {group: {} for group in GROUPS}
_LOADED: set[Group] = set()


def register(group: Group, kind: str, spec: type[BaseModel]) -> Callable[[F], F]:
    """Decorator on a factory ``(spec, components) -> component``: make ``kind`` of ``group``
    available by name, validated by ``spec``. Re-registering the same factory (a module
    reloaded) is allowed; another one under a taken name is refused."""

    def decorate(factory: F) -> F:
        existing = _KINDS[group].get(kind)
        same = existing is not None and _qualname(existing.factory) == _qualname(factory)
        if existing is not None and not same:
            raise ValueError(f"{group} kind {kind!r} is already registered by {existing.factory}")
        _KINDS[group][kind] = Component(group, kind, spec, factory)
        factory.__debate_component__ = (group, kind)  # type: ignore[attr-defined]
        return factory

    return decorate


def unregister(group: Group, kind: str) -> None:
    """Forget ``kind`` of ``group`` (a notebook or test redefining it); unknown: no-op."""
    _KINDS[group].pop(kind, None)


def _qualname(fn: Callable[..., Any]) -> tuple[str, str]:
    return (getattr(fn, "__module__", ""), getattr(fn, "__qualname__", repr(fn)))


def _load_builtins(group: Group) -> None:
    if group not in _LOADED:
        _LOADED.add(group)
        for module in BUILTIN_MODULES[group]:
            importlib.import_module(module)


def load_entry_point(
    entry_group: str, name: str, what: str, registered: Callable[[], bool]
) -> bool:
    """Load the installed entry point ``name`` of ``entry_group``, if there is one; True if
    it then ``registered()``. A plug-in that fails to load, or loads and registers nothing,
    is one line naming it."""
    for point in entry_points(group=entry_group):
        if point.name == name:
            try:
                point.load()
            except Exception as exc:  # a broken plug-in is one line, naming it
                reason = " ".join(str(exc).split())
                raise ConfigError(
                    f"plug-in {point.value!r} for {what} {name!r} failed to load: "
                    f"{type(exc).__name__}: {reason}"
                ) from None
            if not registered():
                raise ConfigError(
                    f"plug-in {point.value!r} does not register {what} {name!r} "
                    "(its module must register it when imported)"
                )
            return True
    return False


def entry_point_names(entry_group: str) -> list[str]:
    return [point.name for point in entry_points(group=entry_group)]


def _entry_point(group: Group, kind: str) -> bool:
    return load_entry_point(
        f"{ENTRY_POINT_PREFIX}{group}s", kind, f"{group} kind", lambda: kind in _KINDS[group]
    )


def kinds(group: Group) -> list[str]:
    """Every kind of ``group`` known now: built-ins and installed plug-ins."""
    _load_builtins(group)
    plugins = entry_point_names(f"{ENTRY_POINT_PREFIX}{group}s")
    return sorted(set(_KINDS[group]) | set(plugins))


def component(group: Group, kind: str) -> Component:
    """The registered component for ``kind``; ``module:attr`` names a registered factory
    directly, or any other callable (then built as ``attr(**settings)``)."""
    if ":" in kind:
        target = import_target(kind)
        registered = getattr(target, "__debate_component__", None)
        if registered is not None and registered[0] == group:
            return _KINDS[group][registered[1]]
        if not callable(target):
            raise ConfigError(f"{group} kind {kind!r} is not a class or factory")
        return Component(group, kind, CustomSpec, _custom_factory(group))
    _load_builtins(group)
    if kind in _KINDS[group] or _entry_point(group, kind):
        return _KINDS[group][kind]
    known = ", ".join(repr(k) for k in kinds(group))
    raise ConfigError(f"unknown {group} kind {kind!r}; known: {known} or 'package.module:Class'")


def parse_spec(group: Group, value: Any, default_kind: str | None = None) -> Any:
    """Validate one config table as the spec of the kind it names."""
    if isinstance(value, BaseModel):
        return value
    field = DISCRIMINATOR.get(group, "kind")
    if not isinstance(value, dict):
        raise ValueError(f"a {group} is a table of settings with a {field}")
    kind = value.get(field, default_kind)
    if not isinstance(kind, str):
        raise ValueError(f"{field} is missing: name a {group} kind")
    try:
        found = component(group, kind)
    except ConfigError as exc:
        raise ValueError(str(exc)) from None
    data = value if field in value or default_kind is None else {**value, field: kind}
    if found.kind != kind:  # a path naming a registered factory: the spec knows its kind
        data = {**value, field: found.kind}
    if found.spec is CustomSpec:
        return CustomSpec.model_validate(data)
    return found.spec.model_validate(data)


def validator(group: Group, default_kind: str | None = None) -> BeforeValidator:
    """Validates a config table as the spec of the ``group`` kind it names."""
    return BeforeValidator(lambda value: parse_spec(group, value, default_kind))


BackendField = Annotated[SerializeAsAny[Spec], validator("backend")]
DebaterField = Annotated[SerializeAsAny[Spec], validator("debater")]
JudgeField = Annotated[SerializeAsAny[Spec], validator("judge")]
DatasetField = Annotated[SerializeAsAny[Spec], validator("dataset")]
"""Config fields holding a spec: validated by the kind they name and serialised with all of
that spec's fields (so a run's saved config and a job's JSON rebuild the same component)."""


def _custom_factory(group: Group) -> Factory:
    def factory(spec: CustomSpec, components: Components) -> Any:
        return build_custom(spec, group)

    return factory


def build_custom(spec: CustomSpec, group: Group) -> Any:
    """A user's class or factory by import path, built as ``Target(**settings)``."""
    target = import_target(spec.kind)
    try:
        return target(**spec.settings)
    except (TypeError, ValueError) as exc:  # pydantic's ValidationError is a ValueError
        reason = validation_message(exc) if isinstance(exc, ValidationError) else str(exc)
        reason = " ".join(reason.split())
        raise ConfigError(f"cannot build {group} {spec.kind!r}: {reason}") from None


def kind_of(spec: Spec, group: Group) -> str:
    kind = getattr(spec, DISCRIMINATOR.get(group, "kind"), None)
    if not isinstance(kind, str):
        raise ConfigError(f"{type(spec).__name__} names no {group} kind")
    return kind


def label(spec: Spec) -> str:
    """A role spec's label in results: its ``label()``, else its name, else its kind."""
    method = getattr(spec, "label", None)
    if callable(method):
        return str(method())
    return str(getattr(spec, "name", None) or getattr(spec, "kind", type(spec).__name__))


def registering_modules() -> list[str]:
    """Modules outside the package that registered kinds in this process (plug-ins, a
    config's ``plugins``, factories named by path): a worker process imports them before it
    reads a job, so the kinds a job names mean the same there."""
    own = ("debate.", "judges.", "protocols.", "transcripts.", "evals.")
    found = {c.factory.__module__ for group in _KINDS.values() for c in group.values()}
    return sorted(m for m in found if not m.startswith(own) and m != "__main__")


def named_plugins(data: Any) -> list[str]:
    """The modules of every registered factory a config table names by path
    (``kind = "pkg.mod:factory"``), to record in its ``plugins`` so it reads back alone."""
    found: list[str] = []
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("kind", "type") and isinstance(value, str) and ":" in value:
                try:
                    target = import_target(value)
                except ConfigError:
                    continue  # reported where the spec is validated
                if getattr(target, "__debate_component__", None) is not None:
                    found.append(value.partition(":")[0])
            else:
                found.extend(named_plugins(value))
    elif isinstance(data, list):
        for item in data:
            found.extend(named_plugins(item))
    return found
