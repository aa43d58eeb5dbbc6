"""The real ``debate judge`` program in a real terminal (tmux): whole sessions, keys typed,
screens read back. Nothing here calls the judging code in process."""

from __future__ import annotations

import asyncio
import json
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from debate import LiveJob, run_many
from debate.domains.evidence import EvidenceDebater, evidence_questions
from debate.models import GenerateRequest
from debate.types import Quote, Transcript
from judges import SimulatedJudge
from protocols import SequentialDebate
from transcripts.judgments import JudgmentStore
from transcripts.store import JsonlStore

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux")

REPO = Path(__file__).resolve().parents[1]
MARKUP, LINK, CLEAR = "[bold red]x[/bold red]", "[link=http://e.x]y[/link]", "\x1b[2J"
HOSTILE = f"Look: {MARKUP} {LINK}{CLEAR}gone. <quote>the real text</quote>"


class Terminal:
    """One tmux server of our own (its socket in a temporary folder), one window running
    one command."""

    def __init__(self, folder: Path, width: int = 110, height: int = 50) -> None:
        self.folder = folder
        self.socket: Path | None = None
        self.size = (str(width), str(height))

    def tmux(self, *args: str) -> str:
        assert self.socket is not None
        done = subprocess.run(
            ["tmux", "-S", str(self.socket), *args], capture_output=True, text=True
        )
        if done.returncode != 0:
            pytest.fail(f"tmux {' '.join(args[:2])} failed: {done.stderr.strip()}")
        return done.stdout

    def start(self, *args: str, env: dict[str, str] | None = None) -> None:
        """Run ``debate ARGS``; the window stays open after it exits, showing EXIT=<status>.

        Each run gets a server of its own: a server being killed may still hold its name.
        """
        self.close()
        self.socket = self.folder / f"tmux-{uuid.uuid4().hex[:8]}.sock"
        # COLUMNS/LINES from the test runner would override the pane's real size
        prefix = "env -u COLUMNS -u LINES " + " ".join(
            f"{k}={shlex.quote(v)}" for k, v in (env or {}).items()
        )
        command = shlex.join([sys.executable, "-m", "debate.cli", *args])
        width, height = self.size
        self.tmux(
            "new-session", "-d", "-x", width, "-y", height, "-c", str(REPO),
            f"{prefix} {command}; echo EXIT=$?; sleep 600",
        )  # fmt: skip

    def keys(self, *keys: str) -> None:
        self.tmux("send-keys", "-t", "0", *keys)

    def type(self, text: str) -> None:
        self.tmux("send-keys", "-t", "0", "-l", text)

    def screen(self, history: bool = False, styles: bool = False) -> str:
        args = ["capture-pane", "-p", "-t", "0"]
        return self.tmux(*args, *(["-S", "-"] if history else []), *(["-e"] if styles else []))

    def wait(self, check: Callable[[str], bool], what: str, timeout: float = 30.0) -> str:
        deadline = time.monotonic() + timeout
        while True:
            text = self.screen(history=True)
            if check(text):
                return text
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}; screen:\n{text}")
            time.sleep(0.05)

    def wait_for(self, text: str, timeout: float = 30.0) -> str:
        return self.wait(lambda s: text in s, repr(text), timeout)

    def wait_entry(self, marker: str) -> str:
        """Until the probability entry of the debate titled ``marker`` is on screen."""
        return self.wait(
            lambda s: marker in s and "choose an answer" in s.rsplit(marker, 1)[1],
            f"the entry after {marker!r}",
        )

    def close(self) -> None:
        if self.socket is not None:
            subprocess.run(["tmux", "-S", str(self.socket), "kill-server"], capture_output=True)
            self.socket.unlink(missing_ok=True)


@pytest.fixture
def terminal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Terminal]:
    term = Terminal(tmp_path_factory.mktemp("tmux"))
    yield term
    term.close()


def make_run(run_dir: Path, n: int = 3) -> list[Transcript]:
    """A run directory of ``n`` finished debates; the first one's opening is hostile text
    with an unverified quote, the second one's has a verified quote."""
    jobs = [
        LiveJob(
            debate_id=f"d{i}",
            question=q,
            protocol=SequentialDebate(rounds=1),
            debaters=EvidenceDebater(),
            judge=SimulatedJudge(name="perfect"),
            seed=i,
            cell={"protocol": "debate-sequential", "judge": "perfect", "rounds": 1},
        )
        for i, q in enumerate(evidence_questions(n, seed=21))
    ]
    transcripts = asyncio.run(run_many(jobs))
    start = HOSTILE.index("<quote>")
    first = (
        transcripts[0]
        .turns[0]
        .model_copy(
            update={
                "text": HOSTILE,
                "quotes": [
                    Quote(
                        text="the real text",
                        start=start,
                        end=len(HOSTILE),
                        verified=False,
                        score=40,
                    )
                ],
            }
        )
    )
    transcripts[0] = transcripts[0].model_copy(update={"turns": [first, *transcripts[0].turns[1:]]})
    good = "As the log says <quote>a verified line</quote>."
    second = (
        transcripts[1]
        .turns[0]
        .model_copy(
            update={
                "text": good,
                "quotes": [
                    Quote(
                        text="a verified line",
                        start=15,
                        end=len(good) - 1,
                        verified=True,
                        score=100,
                    )
                ],
            }
        )
    )
    transcripts[1] = transcripts[1].model_copy(
        update={"turns": [second, *transcripts[1].turns[1:]]}
    )
    store = JsonlStore(run_dir / "transcripts.jsonl")
    for t in transcripts:
        store.append(t)
    return transcripts


def flat(text: str) -> str:
    """Screen text with line wrapping undone (long paths wrap at the terminal's width)."""
    return " ".join(text.split())


def judgments(run_dir: Path) -> list[dict[str, object]]:
    path = run_dir / "judgments.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_whole_session_judge_two_quit_resume_finish_summary(
    terminal: Terminal, tmp_path: Path
) -> None:
    transcripts = make_run(tmp_path)
    args = ("judge", str(tmp_path), "--judge-id", "alice", "--in-order")
    terminal.start(*args)

    screen = terminal.wait_entry("debate 1 of 3")
    visible = terminal.screen()
    # model text is shown as typed characters: no markup, no link, no clearing the screen
    assert MARKUP in visible and LINK in visible and "\\x1b[2J" in visible
    assert "question" in visible.split(MARKUP)[0], "the screen above the text was not cleared"
    assert "⟦✗ unverified “the real text”⟧" in visible
    styled = terminal.screen(styles=True)
    assert "\x1b[1;31mx" not in styled and "\x1b]8;" not in styled
    assert "(correct)" not in screen and "right" not in screen.split("debate 1 of 3")[1]

    terminal.keys("b", "8", "0", "Enter")
    terminal.wait_for("Why? one line")
    terminal.type("the log is older")
    terminal.keys("Enter")
    screen = terminal.wait_entry("debate 2 of 3")
    assert "⟦✓ verified “a verified line”⟧" in screen
    terminal.keys("a", "7", "0", "Left", "Enter")
    terminal.wait(lambda s: s.count("Why? one line") == 2, "the second rationale prompt")
    terminal.keys("Enter")
    terminal.wait_entry("debate 3 of 3")
    terminal.keys("q")
    screen = terminal.wait_for("EXIT=0")
    assert "2 judgments by alice are saved" in flat(screen)
    assert "Session summary" not in screen, "blind: no summary before the session ends"

    saved = judgments(tmp_path)
    assert [j["debate_id"] for j in saved] == ["d0", "d1"]
    assert {j["judge"]["name"] for j in saved} == {"human:alice"}  # type: ignore[index]
    assert saved[0]["verdict"]["raw"] == "the log is older"  # type: ignore[index]
    order = saved[1]["verdict"]["request"]["display_order"]  # type: ignore[index]
    assert saved[1]["verdict"]["probabilities"][0] == pytest.approx(0.65)  # type: ignore[index]
    assert order in ([0, 1], [1, 0])

    terminal.start(*args)
    screen = terminal.wait_entry("debate 3 of 3")
    assert "2 done, 1 to go" in flat(screen) and "debate 1 of 3" not in screen
    terminal.keys("b", "9", "0", "Enter")
    terminal.wait_for("Why? one line")
    terminal.keys("Enter")
    screen = terminal.wait_for("EXIT=0")
    summary = screen.split("Session summary for human:alice", 1)[1]
    assert "debates judged     3" in summary
    for label in ("accuracy", "Brier score", "calibration", "your verdicts"):
        assert label in summary

    # the summary's figures are those of the saved judgments
    saved = judgments(tmp_path)
    assert len(saved) == 3
    by_id = {t.debate_id: t for t in transcripts}
    hits = sum(
        max(range(2), key=j["verdict"]["probabilities"].__getitem__)  # type: ignore[index]
        == by_id[str(j["debate_id"])].setup.correct_position
        for j in saved
    )
    assert f"accuracy           {hits}/3" in summary


def test_ctrl_c_keeps_every_judgment_given(terminal: Terminal, tmp_path: Path) -> None:
    make_run(tmp_path)
    terminal.start("judge", str(tmp_path), "--judge-id", "bo")
    terminal.wait_entry("debate 1 of 3")
    terminal.keys("a", "6", "0", "Enter")
    terminal.wait_for("Why? one line")
    terminal.keys("Enter")
    terminal.wait_entry("debate 2 of 3")
    terminal.keys("b", "C-c")
    screen = terminal.wait_for("EXIT=130")
    assert "interrupted: 1 judgments by bo are saved" in flat(screen)
    assert len(judgments(tmp_path)) == 1
    assert JudgmentStore(tmp_path / "judgments.jsonl").read(strict=True).bad_lines == []
    # Ctrl-C while typing the rationale keeps the probability just given, then stops
    terminal.start("judge", str(tmp_path), "--judge-id", "bo")
    terminal.wait_entry("debate 2 of 3")
    terminal.keys("b", "5", "5", "Enter")
    terminal.wait_for("Why? one line")
    terminal.type("half a tho")
    terminal.keys("C-c")
    terminal.wait_for("EXIT=130")
    assert len(judgments(tmp_path)) == 2


FORGED = "I quote “Ivo took it” [✓], ⟦✓ verified “Ivo took it”⟧ and [✔]. "


def test_forged_marks_are_told_apart_without_colour_and_in_the_pager(
    terminal: Terminal, tmp_path: Path
) -> None:
    """NO_COLOR and a pager that shows plain text (cat): the genuine ✓ marks are exactly
    the verified quotes, on the screen and in the pager."""
    forged = make_run(tmp_path / "base")[1]  # its opening has a verified quote
    opening = forged.turns[0]
    shift = len(FORGED)
    quotes = [
        q.model_copy(update={"start": q.start + shift, "end": q.end + shift})
        for q in opening.quotes
    ]
    opening = opening.model_copy(update={"text": FORGED + opening.text, "quotes": quotes})
    forged = forged.model_copy(update={"turns": [opening, *forged.turns[1:]]})
    verified = sum(q.verified for t in forged.turns for q in t.quotes)
    assert verified >= 1
    JsonlStore(tmp_path / "run" / "transcripts.jsonl").append(forged)
    env = {"NO_COLOR": "1", "PAGER": "cat", "MANPAGER": "cat"}
    terminal.start("judge", str(tmp_path / "run"), "--judge-id", "dee", env=env)
    screen = terminal.wait_entry("debate 1 of 1").split("debate 1 of 1", 1)[1]
    assert screen.count("✓") == verified
    assert "[\\u2713]" in screen and "\\u27e6\\u2713 verified" in screen
    terminal.keys("p")
    screen = terminal.wait(
        lambda s: (
            s.split("debate 1 of 1", 1)[1].count("protocol debate-sequential") == 2
            and s.rsplit("protocol debate-sequential", 1)[1].count("choose an answer") == 1
        ),
        "the debate again, paged, then the entry",
    ).split("debate 1 of 1", 1)[1]
    assert screen.count("✓") == 2 * verified
    terminal.keys("q")
    terminal.wait_for("EXIT=0")


async def slow_debater(request: GenerateRequest) -> str:
    """A live debater that takes a moment (so the waiting indicator shows) and says hostile
    things (so the live path is shown to draw them literally)."""
    await asyncio.sleep(0.8)
    return f"Trust me: {MARKUP} {LINK}{CLEAR}"


@pytest.mark.slow
def test_live_interactive_session_streams_turns_and_takes_questions(
    terminal: Terminal, tmp_path: Path
) -> None:
    config = tmp_path / "live.toml"
    config.write_text(
        'name = "live test"\n'
        '[dataset]\nkind = "evidence"\nn = 2\n'
        '[[protocols]]\nname = "debate-interactive"\nsettings = { rounds = 2 }\n'
        '[debater]\nkind = "model"\n'
        'backend = { kind = "python", target = "tests.test_human_tui:slow_debater" }\n'
        'model = { model = "slow" }\n'
        '[[judges]]\nkind = "simulated"\n'
    )
    run_dir = tmp_path / "run"
    terminal.start(
        "judge", "--live", "--judge-id", "cy", "--config", str(config),
        "--limit", "1", "--out", str(run_dir),
    )  # fmt: skip
    terminal.wait_for("waiting for Debater A and Debater B")
    screen = terminal.wait_for("Your question for the debaters")
    opening = screen.split("debate 1 of 1", 1)[1]
    assert opening.count(MARKUP) == 2 and "\\x1b[2J" in opening
    terminal.type("Where was the ledger at noon?")
    terminal.keys("Enter")
    terminal.wait(lambda s: "Judge  round 2" in s, "the question drawn as a judge turn")
    terminal.wait_entry("debate 1 of 1")
    terminal.keys("a", "6", "0", "Enter")
    terminal.wait_for("Why? one line")
    terminal.keys("Enter")
    screen = terminal.wait_for("EXIT=0")
    assert "Session summary for human:cy" in screen

    stored = JsonlStore(run_dir / "transcripts.jsonl").load(strict=True).transcripts
    assert len(stored) == 1
    t = stored[0]
    assert t.judge.name == "human:cy" and t.cell["judge"] == "human:cy"
    assert [x.text for x in t.turns if x.kind == "judge_question"] == [
        "Where was the ledger at noon?"
    ]
    assert t.verdict is not None and max(t.verdict.probabilities) == pytest.approx(0.6)


def test_bad_input_is_one_line(tmp_path: Path) -> None:
    run = [sys.executable, "-m", "debate.cli", "judge", "--judge-id", "x"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"debate_id": "half a line"\n{"version": 1}\n')
    for args, message in [
        ([str(bad)], "bad.jsonl:1: not a valid transcript"),
        ([str(tmp_path / "missing")], "no such transcripts file"),
        (["--live", str(bad)], "give a run directory or transcripts file to judge, or --live"),
    ]:
        done = subprocess.run([*run, *args], capture_output=True, text=True, cwd=REPO)
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and message in done.stderr
