"""``debate judge``: a person judges stored debates, or debates run live, at this terminal.

Every judgment is on disk (appended and synced) before the next debate is shown, so
quitting (``q``), Ctrl-C or a closed terminal loses nothing already given, and rerunning
the same command resumes where this judge stopped. Judging is blind: correctness appears
only in the summary at the end of the session (or after each verdict with ``--reveal``).
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.text import Text

from debate.cli import app, one_line_errors, warn
from debate.errors import ConfigError

if TYPE_CHECKING:  # the judging modules load only when the command runs
    from debate.types import Transcript
    from judges.human import HumanJudge

RUNS = Path("runs")


@app.command()
@one_line_errors
def judge(
    judge_id: Annotated[
        str, typer.Option("--judge-id", help="who is judging; recorded with every judgment")
    ],
    source: Annotated[
        Path | None, typer.Argument(help="run directory or transcripts file to judge")
    ] = None,
    live: Annotated[
        bool, typer.Option("--live", help="judge debates run now by model debaters")
    ] = False,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            help="judgments file (default: judgments.jsonl beside the transcripts); "
            "with --live the run directory (default: runs/live-<judge id>)",
        ),
    ] = None,
    preset: Annotated[
        str | None, typer.Option("--preset", help="--live: the eval preset to debate")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="--live: the eval config to debate")
    ] = None,
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="judge at most N debates (questions)")
    ] = None,
    in_order: Annotated[
        bool, typer.Option("--in-order", help="stored debates in file order, not shuffled")
    ] = False,
    reveal: Annotated[
        bool, typer.Option("--reveal", help="practice: show the correct answer after each")
    ] = False,
) -> None:
    """Judge debates in this terminal: stored ones (SOURCE) or live ones (--live)."""
    if live == (source is not None):
        raise ConfigError("give a run directory or transcripts file to judge, or --live")
    if not live and (preset or config):
        raise ConfigError("--preset and --config choose what to debate with --live")
    if preset and config:
        raise ConfigError("give --preset or --config, not both")
    from judges.human import HumanJudge, SessionQuit

    human = HumanJudge(judge_id, blind=not reveal)
    try:
        if source is not None:
            _stored(human, source, out, limit, in_order, reveal)
        else:
            _live(human, preset, config, out or RUNS / f"live-{judge_id}", limit, reveal)
        if human.interrupted:  # Ctrl-C at the last rationale: the verdict is saved
            raise KeyboardInterrupt
    except SessionQuit:
        human.console.print(
            Text(
                f"Stopped. {human.done} judgments by {judge_id} are saved; "
                "run the same command again to go on."
            )
        )
    except KeyboardInterrupt:
        human.close()
        print(
            f"\ninterrupted: {human.done} judgments by {judge_id} are saved; "
            "run the same command again to go on",
            file=sys.stderr,
        )
        raise typer.Exit(130) from None
    finally:
        human.close()


def _stored(
    human: HumanJudge,
    source: Path,
    out: Path | None,
    limit: int | None,
    in_order: bool,
    reveal: bool,
) -> None:
    from evals.judging import rejudge, session_order
    from transcripts.judgments import JUDGMENTS, JudgmentStore, rejudged_all
    from transcripts.safe import safe_text
    from transcripts.store import load_transcripts

    transcripts = load_transcripts(source, on_skip=warn)
    path = out or (source if source.is_dir() else source.parent) / JUDGMENTS
    store = JudgmentStore(path / JUDGMENTS if path.is_dir() else path)
    unreadable = store.load().bad_lines  # not a judgments file at all: stop before asking
    if unreadable:
        human.console.print(
            Text(
                f"note: {safe_text(str(store.path))} has {len(unreadable)} unreadable line(s), "
                f"skipped (line {', '.join(map(str, unreadable))}; a write cut short?)"
            )
        )
    order = session_order(transcripts, human.name, shuffle=not in_order)[:limit]
    done = len(store.judged_by(human.name) & {t.debate_id for t in order})
    human.plan(total=len(order), done=done)
    human.console.print(
        Text(
            f"Judging {len(order)} debates from {safe_text(str(source))} as {human.judge_id}: "
            f"{done} done, {len(order) - done} to go. Each judgment is saved in "
            f"{safe_text(str(store.path))} as you give it; q quits, and the same command "
            "resumes.",
            style="bold",
        )
    )

    def show_answer(transcript: Transcript, _: object) -> None:
        _reveal(human, transcript)

    asyncio.run(rejudge(order, human, store, on_judged=show_answer if reveal else None))
    if human.interrupted:
        return
    mine = [j for j in store.load().records if j.judge.name == human.name]
    judged, _ = rejudged_all(order, mine)
    _summary(human, judged)


def _live(
    human: HumanJudge,
    preset: str | None,
    config_path: Path | None,
    run_dir: Path,
    limit: int | None,
    reveal: bool,
) -> None:
    from evals.config import EvalConfig, load_config
    from evals.judging import default_live_config, live_config
    from evals.presets import load_preset
    from evals.runner import run_eval
    from transcripts.safe import safe_text
    from transcripts.store import load_transcripts

    base = (
        load_config(config_path)
        if config_path
        else load_preset(preset)
        if preset
        else default_live_config(human.judge_id)
    )
    if not isinstance(base, EvalConfig):
        raise ConfigError(f"preset {preset!r} is a sweep; live judging needs an eval config")
    config = live_config(base, human.judge_id, limit)
    run_eval(
        config,
        run_dir,
        resume=True,
        progress=_LiveProgress(human, run_dir, reveal),
        judges={human.name: human},
        observer=human,
    )
    if human.interrupted:
        return
    _summary(human, load_transcripts(run_dir, on_skip=warn))
    shown = safe_text(str(run_dir))
    human.console.print(Text(f"Transcripts and results: {shown} (debate report {shown})"))


class _LiveProgress:
    """Tells the judge where the session stands; with ``reveal``, the answer after each."""

    def __init__(self, human: HumanJudge, run_dir: Path, reveal: bool) -> None:
        self.human, self.run_dir, self.reveal = human, run_dir, reveal

    def start(self, total: int, skipped: int) -> None:
        from transcripts.safe import safe_text

        self.human.plan(total=total, done=skipped)
        self.human.console.print(
            Text(
                f"Judging {total} live debates as {self.human.judge_id}: {skipped} done, "
                f"{total - skipped} to go. Each debate is saved in "
                f"{safe_text(str(self.run_dir))} when you "
                "give your verdict; q quits, and the same command resumes.",
                style="bold",
            )
        )

    def advance(self, transcript: Transcript | None = None, *, count: int = 1) -> None:
        if self.reveal and transcript is not None and transcript.verdict is not None:
            _reveal(self.human, transcript)

    def finish(self) -> None:
        pass


def _reveal(human: HumanJudge, transcript: Transcript) -> None:
    from debate.types import letter
    from transcripts.render import literal

    position = transcript.setup.correct_position
    human.console.print(
        Text.assemble(
            ("correct answer: ", "bold"),
            f"{letter(position)} ",
            literal(transcript.setup.answer_text(position), multiline=False),
            ("  you were right" if transcript.correct else "  you were wrong", "bold"),
        )
    )


def _summary(human: HumanJudge, judged: list[Transcript]) -> None:
    from evals.judge_summary import render_summary
    from evals.judging import summarize_judge

    summary = summarize_judge(judged, human.name)
    if summary.n + summary.failed == 0:
        human.console.print(Text("No debates judged yet."))
        return
    human.console.rule()
    human.console.print(render_summary(summary, [t for t in judged if t.judge.name == human.name]))
