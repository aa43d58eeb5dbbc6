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
    from evals.config import EvalConfig
    from evals.sweep.grid import SweepConfig

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="AI safety via debate: run debates, evals and reports.",
)
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


def _run(
    config_name: str,
    config: object,
    out: Path,
    resume: bool,
    data_dir: Path | None,
    dry_run: bool = False,
    max_cost: float | None = None,
    retry_failed: bool = False,
) -> None:
    """Run an eval or a sweep: the one place that dispatches on the kind of config."""
    from debate.progress import progress_for
    from evals.config import EvalConfig
    from evals.report import results_table
    from evals.runner import run_eval
    from evals.sweep.grid import SweepConfig

    if isinstance(config, SweepConfig):
        if dry_run or max_cost is not None or retry_failed:
            raise DebateError(
                "--dry-run, --max-cost and --retry-failed apply to evals of debates, not sweeps"
            )
        _run_sweep(config, out, resume)
        return
    from evals.mnist.config import MnistDebateConfig

    if isinstance(config, MnistDebateConfig):
        if dry_run or max_cost is not None or retry_failed:
            raise DebateError(
                "--dry-run, --max-cost and --retry-failed do not apply to the MNIST preset"
            )
        from debate.commands.mnist import run_mnist_preset

        run_mnist_preset(config, out, resume, data_dir)
        return
    assert isinstance(config, EvalConfig)
    if dry_run:
        _dry_run(config, out if resume or retry_failed else None, data_dir, retry_failed)
        return
    outcome = run_eval(
        config,
        out,
        resume=resume or retry_failed,
        progress=progress_for(err_console),
        data_root=data_dir,
        max_cost_usd=max_cost,
        retry_failed=retry_failed,
    )
    console.print(results_table(outcome.results, config.name))
    if config.note:
        say(f"note: {config.note}")
    say(
        f"ran {outcome.ran} debates in {outcome.seconds:.1f} s "
        f"({outcome.skipped} already stored, {outcome.failed} failed); "
        f"cost ${outcome.cost_usd:.4f}"
    )
    if outcome.not_started:
        say(
            f"stopped: --max-cost ${max_cost:g} reached; {outcome.not_started} debates not "
            "started (rerun with --resume to continue)"
        )
    say(f"run directory: {outcome.run_dir}")
    if outcome.ran and outcome.failed == outcome.ran:
        _fail(
            f"all {outcome.ran} debates failed (first: {outcome.first_error}); they are "
            "stored as failures: fix the cause and rerun with --retry-failed",
            status=1,
        )
    if outcome.failed:
        warn(
            f"{outcome.failed} of {outcome.ran} debates failed (first: {outcome.first_error}); "
            "they count as wrong; rerun them with --retry-failed"
        )


def _dry_run(
    config: EvalConfig, run_dir: Path | None, data_dir: Path | None, retry_failed: bool = False
) -> None:
    """Print the calls and estimated cost of a run; call no model and write nothing."""
    from evals.plan import plan_eval, plan_table

    plan = plan_eval(config, run_dir, data_dir, retry_failed=retry_failed)
    console.print(plan_table(plan, config.name))
    say(
        f"dry run: {plan.debates} debates planned ({plan.stored} already stored), "
        f"{plan.usage.calls} model calls, estimated cost ${plan.usage.cost_usd:.4f} "
        "(outputs counted at max_tokens; nothing was called or written)"
    )


def _run_sweep(config: SweepConfig, out: Path, resume: bool) -> None:
    from evals.sweep.report import headline_table
    from evals.sweep.runner import CellProgress, run_sweep

    with CellProgress(err_console) as progress:
        outcome = run_sweep(config, out, resume=resume, progress=progress)
    console.print(headline_table(outcome.rows, config.name))
    debates = outcome.ran * config.debates_per_cell
    say(
        f"simulated {outcome.ran} cells ({debates} debates) in {outcome.seconds:.1f} s wall time "
        f"({outcome.skipped} cells already stored); report in {outcome.report_seconds:.1f} s"
    )
    say(f"run directory: {outcome.run_dir}")


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
) -> None:
    """Run the eval or sweep described by a config file."""
    from evals.sweep.grid import load_any_config

    cfg = load_any_config(config)
    _run(
        config.stem,
        cfg.quick() if quick else cfg,
        out or _default_out(config.stem),
        resume,
        data_dir,
        dry_run,
        max_cost,
        retry_failed,
    )


@app.command("eval")
@one_line_errors
def eval_(
    preset: Annotated[str, typer.Option("--preset", help="preset name, e.g. smoke")] = "smoke",
    out: OutOption = None,
    resume: ResumeOption = False,
    quick: QuickOption = False,
    data_dir: DataDirOption = None,
    dry_run: DryRunOption = False,
    max_cost: MaxCostOption = None,
    retry_failed: RetryFailedOption = False,
) -> None:
    """Run a named preset eval (or sweep, e.g. judge-error-depth)."""
    from evals.presets import load_preset

    config = load_preset(preset, quick=quick)
    out = out or _default_out(preset)
    _run(preset, config, out, resume, data_dir, dry_run, max_cost, retry_failed)


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
    """Recompute results.csv/json, report.md and plots from a run's transcripts or cells."""
    from evals.report import results_table
    from evals.runner import write_outputs
    from evals.sweep.report import headline_table, is_sweep_run, rebuild_sweep_report

    if not run_dir.is_dir():
        raise DebateError(f"no such run directory: {run_dir}")
    from evals.mnist.report import mnist_run_config

    if is_sweep_run(run_dir):
        console.print(headline_table(rebuild_sweep_report(run_dir), str(run_dir)))
    elif (mnist := mnist_run_config(run_dir)) is not None:
        from evals.mnist.report import write_outputs as write_mnist_outputs
        from evals.mnist.table import results_table as mnist_table

        console.print(mnist_table(write_mnist_outputs(run_dir, mnist), mnist))
    else:
        results = write_outputs(run_dir, on_skip=warn)
        if not results:
            warn(f"{run_dir} holds no finished debate yet: the report is empty")
        console.print(results_table(results, str(run_dir)))
    say(f"report: {run_dir / 'report.md'}")


COMMAND_MODULES: tuple[str, ...] = (
    "debate.commands.judge",
    "debate.commands.local_models",
    "debate.commands.mnist",
)
"""Modules defining further commands; each registers on ``app`` when imported (lazily, so
``debate --help`` stays fast and a feature's heavy imports load only when it is used)."""


def main(args: list[str] | None = None) -> None:
    """Run the CLI; the command-line library's own errors (unknown option, bad value) are
    one line too, naming the command and where to find its help."""
    for name in COMMAND_MODULES:
        importlib.import_module(name)
    try:
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
