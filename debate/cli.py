"""The ``debate`` command: run, eval, show, report.

Expected problems (bad config, unknown names, missing files) print one line on stderr and
exit with status 2; nothing already written to a run directory is touched by a failure.
"""

from __future__ import annotations

import functools
import importlib
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, TypeVar

import typer
from rich.console import Console

from debate.errors import DebateError

if TYPE_CHECKING:
    from rich.console import RenderableType

    from debate.progress import ProgressReporter
    from evals.experiments import RunOptions

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="AI safety via debate: run debates, evals and reports.",
)


def _version(value: bool) -> None:
    """``debate --version``: the installed package's version, then exit."""
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("debate-lab")
        except PackageNotFoundError:  # run from a source tree that was never installed
            found = "unknown (not installed)"
        print(f"debate-lab {found}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool,
        typer.Option(
            "--version", is_eager=True, callback=_version, help="print the version and exit"
        ),
    ] = False,
) -> None:
    """AI safety via debate: run debates, evals and reports."""


# Piped output (logs, CI) gets a wide fixed width so result tables are not truncated.
console = Console(width=None if sys.stdout.isatty() else 160)
err_console = Console(stderr=True)
F = TypeVar("F", bound=Callable[..., None])

OutOption = Annotated[Path | None, typer.Option("--out", help="run directory to write")]
ResumeOption = Annotated[bool, typer.Option("--resume", help="skip debates already stored")]
QuickOption = Annotated[bool, typer.Option("--quick", help="a few questions only")]
DataDirOption = Annotated[
    Path | None, typer.Option("--data-dir", help="dataset folder (default ../shared/data)")
]
DryRunOption = Annotated[
    bool, typer.Option("--dry-run", help="print the planned model calls and estimated cost")
]
MaxCostOption = Annotated[
    float | None,
    typer.Option("--max-cost", min=0, help="USD: start no new debate once this is spent"),
]
RetryFailedOption = Annotated[
    bool,
    typer.Option(
        "--retry-failed",
        help="with --resume (implied): rerun the debates stored as failures, replacing them",
    ),
]

ExecutorOption = Annotated[
    str,
    typer.Option(
        "--executor",
        help="where jobs run: local (this process), processes (a pool here) or ray (a cluster)",
    ),
]
WorkersOption = Annotated[
    int | None,
    typer.Option(
        "--workers", min=1, max=1024, help="processes or Ray workers (default: one per CPU)"
    ),
]
AddressOption = Annotated[
    str | None,
    typer.Option(
        "--address",
        help="with --executor ray: the cluster to join (auto, HOST:PORT); default: start one here",
    ),
]


def _preset_list() -> str:
    from evals.presets import preset_names

    return ", ".join(preset_names())


PRESETS = _preset_list()
"""The shipped presets, named in ``debate eval --help``."""


SeedOption = Annotated[
    int | None, typer.Option("--seed", help="the config's base seed, overridden")
]
ConcurrencyOption = Annotated[
    int | None,
    typer.Option("--concurrency", min=1, help="debates run at once (the config's, overridden)"),
]
LimitOption = Annotated[
    int | None,
    typer.Option("--limit", min=1, help="use only the first N questions (or debates)"),
]


def _line(message: str) -> str:
    """One terminal-safe line: text from files or models may hold control characters."""
    from transcripts.safe import safe_text

    return safe_text(" ".join(message.split()), multiline=False)


def _fail(message: str, status: int = 2) -> NoReturn:
    """Plain print, not rich: a rich console would wrap a long path across lines."""
    print(f"error: {_line(message)}", file=sys.stderr)
    raise typer.Exit(status)


def say(text: str) -> None:
    """A line of output built from paths, names and config text: shown literally, with
    control characters escaped (newlines kept)."""
    from transcripts.safe import safe_text

    console.print(safe_text(text), markup=False, highlight=False)


def warn(message: str) -> None:
    print(f"warning: {_line(message)}", file=sys.stderr)


def one_line_errors(fn: F) -> F:
    """Turn expected failures into a single stderr line and exit status 2."""

    @functools.wraps(fn)
    def wrapper(*args: object, **kwargs: object) -> None:
        try:
            fn(*args, **kwargs)
        except DebateError as exc:
            _fail(str(exc))
        except OSError as exc:
            _fail(f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": "))

    return wrapper  # type: ignore[return-value]


class ConsoleUI:
    """The CLI's side of ``evals.experiments.RunUI``: tables and lines on stdout, progress
    and warnings on stderr."""

    def progress(self, unit: str, every: int | None = 100) -> ProgressReporter:
        from debate.progress import progress_for

        return progress_for(err_console, unit, every)

    def show(self, renderable: RenderableType) -> None:
        console.print(renderable)

    def say(self, text: str) -> None:
        say(text)

    def warn(self, text: str) -> None:
        warn(text)


def _run(config: object, out: Path, options: RunOptions) -> None:
    """Run a config of any experiment type: the experiment its ``type`` names runs it."""
    from evals.experiments import ExperimentFailed, experiment_for

    try:
        experiment_for(config).run(config, out, options, ConsoleUI())
    except ExperimentFailed as exc:
        _fail(str(exc), status=exc.status)


def _options(
    resume: bool,
    data_dir: Path | None,
    dry_run: bool,
    max_cost: float | None,
    retry_failed: bool,
    executor: str,
    workers: int | None,
    address: str | None,
) -> RunOptions:
    from evals.experiments import EXECUTORS, RunOptions

    if executor not in EXECUTORS:
        raise DebateError(f"--executor must be one of {', '.join(EXECUTORS)}, not {executor!r}")
    if address is not None and executor != "ray":
        raise DebateError("--address applies to --executor ray only")
    return RunOptions(
        resume=resume,
        retry_failed=retry_failed,
        dry_run=dry_run,
        max_cost_usd=max_cost,
        data_root=data_dir,
        executor=executor,
        workers=workers,
        address=address,
    )


def _default_out(name: str) -> Path:
    return Path("runs") / f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"


@app.command()
@one_line_errors
def run(
    config: Annotated[Path, typer.Option("--config", help="eval config (TOML or JSON)")],
    out: OutOption = None,
    resume: ResumeOption = False,
    quick: QuickOption = False,
    data_dir: DataDirOption = None,
    dry_run: DryRunOption = False,
    max_cost: MaxCostOption = None,
    retry_failed: RetryFailedOption = False,
    executor: ExecutorOption = "local",
    workers: WorkersOption = None,
    address: AddressOption = None,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = None,
    limit: LimitOption = None,
) -> None:
    """Run the experiment a config file describes (eval, sweep, rejudge, ...)."""
    from evals.experiments import load_run_config, overridden
    from evals.experiments import quick as quick_form

    cfg = overridden(load_run_config(config), seed=seed, concurrency=concurrency, limit=limit)
    options = _options(
        resume, data_dir, dry_run, max_cost, retry_failed, executor, workers, address
    )
    _run(quick_form(cfg) if quick else cfg, out or _default_out(config.stem), options)


@app.command(
    "eval",
    help="Run a named preset (an eval, or another experiment type, e.g. judge-error-depth). "
    f"Presets: {PRESETS}.",
)
@one_line_errors
def eval_(
    preset: Annotated[str, typer.Option("--preset", help="preset name (listed above)")] = "smoke",
    out: OutOption = None,
    resume: ResumeOption = False,
    quick: QuickOption = False,
    data_dir: DataDirOption = None,
    dry_run: DryRunOption = False,
    max_cost: MaxCostOption = None,
    retry_failed: RetryFailedOption = False,
    executor: ExecutorOption = "local",
    workers: WorkersOption = None,
    address: AddressOption = None,
    seed: SeedOption = None,
    concurrency: ConcurrencyOption = None,
    limit: LimitOption = None,
) -> None:
    """Run a named preset (an eval, or another experiment type, e.g. judge-error-depth)."""
    from evals.experiments import overridden
    from evals.experiments import quick as quick_form
    from evals.presets import load_preset

    config = overridden(load_preset(preset), seed=seed, concurrency=concurrency, limit=limit)
    config = quick_form(config) if quick else config
    options = _options(
        resume, data_dir, dry_run, max_cost, retry_failed, executor, workers, address
    )
    _run(config, out or _default_out(preset), options)


@app.command()
@one_line_errors
def show(
    source: Annotated[Path, typer.Argument(help="transcripts file or run directory")],
    debate_id: Annotated[str | None, typer.Option("--id", help="show only this debate")] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="show at most N debates")] = 5,
) -> None:
    """Render stored transcripts (model text shown literally)."""
    from rich.rule import Rule

    from transcripts.render import render_transcript
    from transcripts.store import load_transcripts

    transcripts = load_transcripts(source, on_skip=warn)
    if debate_id is not None:
        transcripts = [t for t in transcripts if t.debate_id == debate_id]
        if not transcripts:
            raise DebateError(f"no debate with id {debate_id!r} in {source}")
    for transcript in transcripts[:limit]:
        console.print(Rule())
        console.print(render_transcript(transcript))
    if len(transcripts) > limit:
        say(f"... {len(transcripts) - limit} more (use --limit or --id)")


@app.command()
@one_line_errors
def report(run_dir: Annotated[Path, typer.Argument(help="run directory")]) -> None:
    """Recompute results.csv/json, report.md and plots of a run, by its recorded type."""
    from evals.eval_experiment import report_transcripts
    from evals.experiments import experiment_for, recorded_config

    if not run_dir.is_dir():
        raise DebateError(f"no such run directory: {run_dir}")
    config = recorded_config(run_dir)
    if config is None:  # transcripts gathered without a config: report what is stored
        report_transcripts(run_dir, ConsoleUI())
    else:
        experiment_for(config).report(config, run_dir, ConsoleUI())
    say(f"report: {run_dir / 'report.md'}")


COMMAND_MODULES: tuple[str, ...] = (
    "debate.commands.export",
    "debate.commands.judge",
    "debate.commands.local_models",
    "debate.commands.mnist",
)
"""Modules defining further commands; each registers on ``app`` when imported (lazily, so
``debate --help`` stays fast and a feature's heavy imports load only when it is used)."""


def main(args: list[str] | None = None) -> None:
    """Run the CLI; the command-line library's own errors (unknown option, bad value) are
    one line too, naming the command and where to find its help. Third-party libraries'
    warnings stay out of the output (``debate.quiet``); the project's own do not."""
    from debate.quiet import quiet_libraries

    for name in COMMAND_MODULES:
        importlib.import_module(name)
    try:
        with quiet_libraries():
            status = app(args=args, prog_name="debate", standalone_mode=False)
    except typer.TyperException as exc:
        ctx = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and ctx is not None:
            print(ctx.get_help())  # `debate` alone: the help, as before
            sys.exit(0)
        where = f" (see '{ctx.command_path} --help')" if ctx is not None else ""
        print(f"error: {_line(exc.format_message())}{where}", file=sys.stderr)
        sys.exit(2)
    except typer.Abort:
        print("aborted", file=sys.stderr)
        sys.exit(1)
    sys.exit(status if isinstance(status, int) else 0)


if __name__ == "__main__":
    # Run through the package module, not this __main__ copy, so command modules register on
    # the same ``app`` that runs.
    from debate.cli import main as package_main

    package_main()
