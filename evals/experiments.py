"""One experiment interface: an experiment type plans its work from its config, runs it
into a run directory, and reports from that directory.

Every run config is one table with a ``type`` (``eval`` when absent): the registry finds
the config class and the experiment for it (``debate.registry`` group ``experiment``), so
the eval, the judge-error x depth sweep, the MNIST reproduction and ``rejudge`` are parsed,
run and reported the same way, and a plug-in adds a type without touching the CLI. The
run directory records the type in its ``config.json``; ``debate report`` reads it from
there, never by guessing from the files present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, NoReturn, Protocol

from pydantic import ValidationError
from rich.console import RenderableType

from debate.errors import ConfigError, DebateError, validation_message
from debate.imports import import_plugins, importable
from debate.progress import ProgressReporter
from debate.registry import Spec, component, named_plugins, parse_spec
from debate.runner import Executor
from evals.config import read_config_data
from evals.rundir import CONFIG

DEFAULT_TYPE = "eval"


class ExperimentFailed(DebateError):
    """A run finished but failed as a whole (every debate failed): exit with ``status``."""

    def __init__(self, message: str, status: int = 1) -> None:
        super().__init__(message)
        self.status = status


class RunUI(Protocol):
    """How an experiment talks to whoever runs it (the CLI's console, or a test)."""

    def progress(self, unit: str, every: int | None = 100) -> ProgressReporter: ...

    def show(self, renderable: RenderableType) -> None: ...

    def say(self, text: str) -> None: ...

    def warn(self, text: str) -> None: ...


@dataclass(frozen=True)
class RunOptions:
    """What the command line adds to a config for one run."""

    resume: bool = False
    retry_failed: bool = False
    dry_run: bool = False
    max_cost_usd: float | None = None
    data_root: Path | None = None
    executor: str = "local"
    """'local': in this process; 'processes': a pool of worker processes; 'ray': a Ray
    cluster (``address``)."""
    workers: int | None = None
    """Processes or Ray workers (None: one per CPU; on Ray, one per GPU where it has any)."""
    address: str | None = None
    """Ray cluster to join ('auto', 'HOST:PORT'); None starts a local one."""

    def refuse(self, what: str, *flags: str) -> None:
        """One line if a flag this experiment type cannot honour was given."""
        given = {
            "--dry-run": self.dry_run,
            "--max-cost": self.max_cost_usd is not None,
            "--retry-failed": self.retry_failed,
            "--executor": self.executor != "local",
            "--address": self.address is not None,
        }
        used = [flag for flag in flags if given[flag]]
        if used:
            raise ConfigError(f"{', '.join(used)} do not apply to {what}")


EXECUTORS = ("local", "processes", "ray")


def executor_for(options: RunOptions) -> Executor | None:
    """The executor ``--executor`` names (None: the experiment's in-process default)."""
    if options.executor not in EXECUTORS:
        raise ConfigError(
            f"--executor must be one of {', '.join(EXECUTORS)}, not {options.executor!r}"
        )
    if options.address is not None and options.executor != "ray":
        raise ConfigError("--address applies to --executor ray only")
    if options.executor == "processes":
        from debate.process_pool import ProcessPoolExecutor, worker_count

        return ProcessPoolExecutor(
            worker_count(options.workers or "auto"), data_root=options.data_root
        )
    if options.executor == "ray":
        from debate.ray_executor import RayExecutor, import_ray

        import_ray()  # one line now if Ray is not installed, before anything runs
        return RayExecutor(options.workers, address=options.address, data_root=options.data_root)
    return None


class Experiment(Protocol):
    """An experiment type: ``run`` a config into a run directory, ``report`` from one."""

    type: ClassVar[str]

    def run(self, config: Any, run_dir: Path, options: RunOptions, ui: RunUI) -> None: ...

    def report(self, config: Any, run_dir: Path, ui: RunUI) -> None: ...


def parse_run_config(data: dict[str, Any], origin: str = "config") -> Any:
    """The one config parser: the ``type`` names the experiment (default ``eval``); the
    modules under ``plugins`` are imported first, so the kinds they register can be named."""
    data = with_plugins(data, origin)
    try:
        return parse_spec("experiment", data, DEFAULT_TYPE)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {validation_message(exc)}") from None
    except ValueError as exc:  # an unknown type
        raise ConfigError(f"{origin}: {exc}") from None


def with_plugins(data: dict[str, Any], origin: str) -> dict[str, Any]:
    """``data`` with its ``plugins`` imported, and the modules of factories it names by path
    added to them (so the saved config reads back in a new process)."""
    plugins = data.get("plugins", [])
    if not isinstance(plugins, list):
        raise ConfigError(f"{origin}: plugins must be a list of module names")
    import_plugins(plugins)
    named = [m for m in named_plugins(data) if m not in plugins]
    if named and data.get("type", DEFAULT_TYPE) in ("eval", "rejudge"):
        data = {**data, "plugins": [*plugins, *dict.fromkeys(named)]}
    return data


def load_run_config(path: Path | str) -> Any:
    """Read a TOML or JSON run config of any experiment type (modules beside it importable)."""
    data = read_config_data(path)
    importable(Path(path).parent)
    return parse_run_config(data, str(path))


def experiment_for(config: Any) -> Experiment:
    """The experiment that runs ``config`` (by its ``type``)."""
    kind = getattr(config, "type", DEFAULT_TYPE)
    found: Experiment = component("experiment", kind).factory(config, None)
    return found


def overridden(config: Spec, **values: int | None) -> Any:
    """``config`` with the command line's ``--seed``, ``--concurrency`` and ``--limit`` (the
    ones given, not None) set on the fields of those names, validated as the file's own
    values are. A type without such a field refuses the option in one line, never
    silently ignores it."""
    given = {name: value for name, value in values.items() if value is not None}
    if not given:
        return config
    kind = getattr(config, "type", DEFAULT_TYPE)
    for name in given:
        if name not in type(config).model_fields:
            raise ConfigError(f"--{name} does not apply to experiment type {kind!r}")
    data = {**config.model_dump(mode="json"), **given}
    try:
        return type(config).model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"command line: {validation_message(exc)}") from None


def quick(config: Spec) -> Any:
    """The config's own ``--quick`` form (every type defines one)."""
    shorten = getattr(config, "quick", None)
    if not callable(shorten):
        raise ConfigError(f"experiment type {getattr(config, 'type', '?')!r} has no --quick form")
    result: Any = shorten()
    return result


def recorded_config(run_dir: Path) -> Any:
    """The config a run directory was started with (None: it records none)."""
    path = run_dir / CONFIG
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text())
    except ValueError:
        raise ConfigError(f"{path} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{path} must hold a table of settings")
    return parse_run_config(data, str(path))


def fail(message: str, status: int = 1) -> NoReturn:
    raise ExperimentFailed(message, status)
