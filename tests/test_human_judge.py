"""The human judge in process: probability entry, verdicts, live watching, questions.

Keys come from ``ScriptedKeys`` and the screen is a recording rich console, so these run
fast; tests/test_human_tui.py drives the real program in a real terminal.
"""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from debate import Judge, QuestioningJudge, run_debate
from debate.debaters import ModelDebater
from debate.domains.evidence import EvidenceDebater, evidence_questions
from debate.models import FunctionBackend, GenerateRequest, Model, ModelConfig
from debate.types import JudgeView, Turn, Verdict
from judges.human import Entry, HumanJudge, ScriptedKeys, SessionQuit, parse_line
from judges.human.judge import NO_QUESTION
from protocols import InteractiveDebate, SequentialDebate


def screen(width: int = 100) -> Console:
    return Console(file=io.StringIO(), record=True, width=width, force_terminal=False)


def judge_with(keys: list[str], lines: list[str], **kwargs: object) -> HumanJudge:
    return HumanJudge(
        "tester",
        console=screen(),
        keys=ScriptedKeys(keys, lines),
        **kwargs,  # type: ignore[arg-type]
    )


def view(answers: tuple[str, ...] = ("the red box", "the blue box"), **extra: object) -> JudgeView:
    return JudgeView(
        debate_id="q1-debate",
        protocol="debate-sequential",
        question="Which box holds the key?",
        answers=list(answers),
        turns=extra.pop("turns", []),  # type: ignore[arg-type]
        seed=1,
    )


# --- entering a probability ----------------------------------------------------------------


def entry(n: int = 2) -> Entry:
    letters = ["B", "A", "C"][:n]
    return Entry(letters=letters, answers=[f"answer {x}" for x in letters], colours=["red"] * n)


def press(e: Entry, *keys: str) -> str | None:
    action = None
    for key in keys:
        action = e.press(key)
    return action


def test_typed_digits_set_the_chosen_answer_and_the_other_gets_the_rest() -> None:
    e = entry()
    assert press(e, "a", "8", "0") is None
    assert e.percents == [20, 80]
    assert press(e, "enter") == "commit"
    # display order B, A maps back to view order [A, B] = [1, 0]
    assert e.probabilities([1, 0]) == pytest.approx([0.8, 0.2])


def test_arrows_move_to_the_next_multiple_of_five_and_stay_within_1_to_99() -> None:
    e = entry()
    press(e, "7", "3")
    press(e, "right")
    assert e.percents[0] == 75
    press(e, "7", "3", "left")
    assert e.percents[0] == 70
    press(e, *["right"] * 30)
    assert e.percents == [99, 1]
    press(e, *["left"] * 30)
    assert e.percents == [1, 99]


def test_a_tie_asks_once_more_and_is_recorded_if_meant() -> None:
    e = entry()
    assert press(e, "enter") is None
    assert "tie" in e.note and "Enter again" in e.note
    assert press(e, "enter") == "commit", "a confirmed tie is recorded"
    e = entry()
    assert press(e, "enter") is None
    press(e, "right")  # any other key withdraws the question
    press(e, "left")
    assert press(e, "enter") is None, "back at a tie: asked again, not committed"
    press(e, "5", "1")
    assert press(e, "enter") == "commit"


def test_a_typed_fifty_is_a_tie_and_scores_half() -> None:
    assert parse_line("a50", ["A", "B"]) == (0, 50)
    verdict = Verdict(probabilities=[0.5, 0.5])
    assert verdict.tied == [0, 1] and verdict.score(1) == 0.5


def test_third_digit_starts_a_new_number_and_zero_is_refused() -> None:
    e = entry()
    press(e, "8", "5", "6")
    assert e.percents[0] == 6
    press(e, "backspace", "0")
    assert "1 to 99" in e.note


def test_three_answers_share_the_rest_in_proportion() -> None:
    e = entry(3)
    press(e, "down", "6", "0")
    assert e.selected == 1
    assert e.percents == pytest.approx([20, 60, 20])
    press(e, "c", "3", "0")
    assert sum(e.percents) == pytest.approx(100)
    assert e.percents[2] == 30
    assert e.percents[0] == pytest.approx(e.percents[1] / 3)


@pytest.mark.parametrize(
    ("text", "parsed"),
    [("b80", (0, 80)), ("A = 65%", (1, 65)), ("70 a", (1, 70)), ("90", (0, 90))],
)
def test_line_entry_forms(text: str, parsed: tuple[int, int]) -> None:
    assert parse_line(text, ["B", "A"]) == parsed


@pytest.mark.parametrize("text", ["c80", "b0", "maybe", "b100"])
def test_line_entry_refusals_are_messages(text: str) -> None:
    assert isinstance(parse_line(text, ["B", "A"]), str)


# --- the judge role ------------------------------------------------------------------------


def test_human_judge_is_a_questioning_judge_and_describes_itself() -> None:
    human = judge_with([], [])
    assert isinstance(human, Judge)
    assert isinstance(human, QuestioningJudge)
    info = human.describe()
    assert (info.kind, info.name, info.settings) == (
        "human",
        "human:tester",
        {"judge_id": "tester"},
    )


async def test_verdict_maps_the_display_order_back_and_records_how_it_was_given() -> None:
    v = view()
    human = judge_with([], [])
    order = human.display_order(v)
    first = "AB"[order[0]]
    human.keys = ScriptedKeys([first.lower(), "9", "0", "enter"], ["the log settles it"])
    verdict = await human(v)
    assert verdict.probabilities[order[0]] == pytest.approx(0.9)
    assert verdict.decision == order[0]
    assert verdict.raw == "the log settles it"
    assert verdict.request is not None
    assert verdict.request["display_order"] == order
    assert verdict.request["entered"] == f"{first.lower()} 9 0 enter"
    assert human.done == 1


def test_display_order_is_fixed_per_judge_and_debate_and_varies_across_judges() -> None:
    orders = set()
    for i in range(40):
        v = view().model_copy(update={"debate_id": f"d{i}"})
        a, b = HumanJudge("ann", console=screen()), HumanJudge("ann", console=screen())
        assert a.display_order(v) == b.display_order(v)
        orders.add(tuple(a.display_order(v)))
    assert orders == {(0, 1), (1, 0)}


async def test_q_stops_the_session_and_is_not_an_ordinary_exception() -> None:
    human = judge_with(["b", "q"], [])
    with pytest.raises(SessionQuit):
        await human(view())
    assert not issubclass(SessionQuit, Exception)


async def test_line_mode_when_input_is_not_a_terminal() -> None:
    class Lines(ScriptedKeys):
        @property
        def keyed(self) -> bool:
            return False

    human = HumanJudge("tester", console=screen(), keys=Lines([], ["huh", "a70", "why not"]))
    verdict = await human(view())
    assert verdict.probabilities == pytest.approx([0.7, 0.3])
    assert verdict.raw == "why not"
    assert "type a letter and a number" in human.console.export_text()


async def test_hostile_text_reaches_the_screen_as_plain_characters() -> None:
    hostile = "[bold red]x[/bold red] [link=http://e.x]y[/link]\x1b[2J"
    turn = Turn(
        index=0, round=0, speaker="debater_A", position=0, text=hostile, started_at=0, duration_s=0
    )
    console = Console(file=io.StringIO(), record=True, width=120, force_terminal=True)
    human = HumanJudge("tester", console=console, keys=ScriptedKeys(["a", "6", "0", "enter"], [""]))
    await human(view(turns=[turn]))
    raw = console.file.getvalue()  # type: ignore[attr-defined]
    assert "[bold red]x[/bold red] [link=http://e.x]y[/link]\\x1b[2J" in console.export_text()
    assert "\x1b[2J" not in raw and "\x1b]8;" not in raw


# --- live debates: the judge watches, then judges, through the engine -------------------


class WatchingJudge(HumanJudge):
    """Notes what was on screen when the verdict was asked for."""

    before_verdict = ""

    async def __call__(self, view: JudgeView) -> Verdict:
        self.before_verdict = self.console.export_text(clear=False)
        return await super().__call__(view)


async def test_live_debate_shows_each_turn_as_it_arrives_and_never_the_answer() -> None:
    question = evidence_questions(1, seed=3)[0]
    human = WatchingJudge(
        "tester", console=screen(), keys=ScriptedKeys(["a", "7", "0", "enter"], [""])
    )
    transcript = await run_debate(
        question, SequentialDebate(rounds=2), EvidenceDebater(), human, observer=human, seed=2
    )
    assert transcript.error is None and transcript.verdict is not None
    # every turn was drawn by the observer, as it arrived, before the verdict was asked for
    for turn in transcript.turns:
        assert turn.text in human.before_verdict
    text = human.console.export_text()
    assert text.count("waiting for Debater") == 4
    assert "(correct)" not in text
    assert question.context is not None
    cited = {f"[{fid}]" for t in transcript.turns for fid in t.evidence}
    uncited = [line for line in question.context.splitlines() if line.split(" ")[0] not in cited]
    assert uncited, "the hidden passage has facts no debater cited"
    for line in uncited:
        assert line.split("] ", 1)[1] not in text


async def test_quit_during_a_live_debate_escapes_the_engine_instead_of_being_recorded() -> None:
    question = evidence_questions(1, seed=3)[0]
    human = judge_with(["q"], [])
    with pytest.raises(SessionQuit):
        await run_debate(
            question, SequentialDebate(rounds=1), EvidenceDebater(), human, observer=human
        )


async def test_interactive_debate_takes_the_typed_question_as_a_judge_turn() -> None:
    def debater(request: GenerateRequest) -> str:
        return "Ivo was in the vault."

    human = judge_with(["b", "6", "5", "enter"], ["Where was Ivo at ten?", "", "because"])
    model = Model(FunctionBackend(debater), ModelConfig(model="scripted"))
    question = evidence_questions(1, seed=4)[0]
    transcript = await run_debate(
        question,
        InteractiveDebate(rounds=3),
        ModelDebater(model),
        human,
        observer=human,
        raise_errors=True,
    )
    questions = [t for t in transcript.turns if t.kind == "judge_question"]
    assert [t.text for t in questions] == ["Where was Ivo at ten?", NO_QUESTION]
    assert transcript.verdict is not None and transcript.verdict.raw == "because"
    screen_text = human.console.export_text()
    assert "Judge  round 2" in screen_text
    assert "Where was Ivo at ten?" in screen_text.split("Judge  round 2")[1]
