"""Open roles (Kenton et al. 2024): the protagonist chooses its answer in its first speech,
the seats are bound to that choice, and results split by whether the choice was correct."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from debate.domains.evidence import EvidenceDebater, evidence_questions
from debate.engine import run_debate
from debate.errors import ConfigError
from debate.moves import Stance
from debate.prompts import PromptSet
from debate.protocol import build_protocol
from debate.types import AgentInfo, DebaterView, Speech
from judges.simulated import SimulatedJudge
from protocols.consultancy import Consultancy
from protocols.open_roles import OpenConsultancy, OpenDebate
from tests.cli_helpers import run_cli


class Chooser:
    """States ``stance`` (None: none) in an open seat; records the seats it was shown."""

    def __init__(self, stance: int | None) -> None:
        self.stance = stance
        self.seen: list[tuple[str, int, bool]] = []

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="test", name="chooser")

    async def __call__(self, view: DebaterView) -> Speech:
        self.seen.append((view.seat.name, view.seat.position, view.seat.open))
        if not view.seat.open:
            return Speech(text=f"I defend {view.answer}.")
        data = {} if self.stance is None else Stance(position=self.stance).to_data()
        return Speech(text="I choose.", data=data)


@pytest.mark.parametrize("stance", [0, 1])
async def test_the_protagonists_first_stance_binds_both_seats(stance: int) -> None:
    question = evidence_questions(1, seed=3)[0]
    debater = Chooser(stance)
    t = await run_debate(question, OpenDebate(rounds=3), debater, SimulatedJudge())
    assert t.error is None
    seats = {s.name: (s.position, s.open) for s in t.setup.seats}
    assert seats == {"protagonist": (stance, False), "antagonist": (1 - stance, False)}
    assert [turn.position for turn in t.turns] == [stance, 1 - stance] * 3
    # Only the protagonist's first turn was open; the antagonist spoke bound, even in round 1.
    assert debater.seen[0] == ("protagonist", 0, True)
    assert debater.seen[1] == ("antagonist", 1 - stance, False)
    assert all(not was_open for _, _, was_open in debater.seen[1:])


async def test_a_protagonist_that_chooses_nothing_fails_the_debate_naming_it() -> None:
    question = evidence_questions(1, seed=3)[0]
    t = await run_debate(question, OpenConsultancy(), Chooser(None), SimulatedJudge())
    assert t.error is not None and "consultant" in t.error and "no stance" in t.error
    assert not t.correct and OpenConsultancy().protagonist_correct(t.setup) is None


def test_open_debate_is_two_sided_and_opens_sequentially() -> None:
    with pytest.raises(ConfigError, match="two-sided"):
        build_protocol("open-debate", {"answers": 3})
    rounds = OpenDebate(rounds=3, round_kind="simultaneous").schedule()
    assert [r.kind for r in rounds] == ["sequential", "simultaneous", "simultaneous"]
    assert rounds[0].speakers[0] == "protagonist"


async def test_an_open_consultancy_is_the_assigned_one_with_the_chosen_side() -> None:
    """Once bound, the debate is the assigned protocol's: the same turns and verdict as a
    consultancy assigned the side the consultant chose, question by question."""
    judge = SimulatedJudge()
    for i, question in enumerate(evidence_questions(40, seed=5)):
        debater = EvidenceDebater(belief=0.5)
        opened = await run_debate(
            question, OpenConsultancy(), debater, judge, seed=i, debate_id="d"
        )
        chose_correct = OpenConsultancy().protagonist_correct(opened.setup)
        assert chose_correct is not None
        assignment = "correct" if chose_correct else "incorrect"
        assigned = await run_debate(
            question, Consultancy(assignment=assignment), debater, judge, seed=i, debate_id="d"
        )
        assert assigned.setup.shown == opened.setup.shown
        assert opened.setup.seats[0].position == assigned.setup.seats[0].position
        assert [t.evidence for t in opened.turns] == [t.evidence for t in assigned.turns]
        assert opened.verdict == assigned.verdict


@pytest.mark.parametrize("belief", [0.0, 0.3, 1.0])
async def test_the_simulated_chooser_is_right_at_its_belief_alike_everywhere(
    belief: float,
) -> None:
    questions = evidence_questions(300, seed=7)
    debater = EvidenceDebater(belief=belief)
    picks: dict[str, set[int]] = {}
    right = 0
    for question in questions:
        for protocol in (OpenConsultancy(), OpenDebate()):
            for swap in (False, True):
                t = await run_debate(
                    question, protocol, debater, SimulatedJudge(), swap=swap, seed=len(picks)
                )
                seat = t.setup.seat(protocol.protagonist)
                picks.setdefault(question.id, set()).add(t.setup.shown[seat.position])
        chosen = next(iter(picks[question.id]))
        right += chosen == question.correct_index
    assert all(len(options) == 1 for options in picks.values())  # one belief per question
    share = right / len(questions)
    if belief in (0.0, 1.0):
        assert share == belief
    else:  # binomial(300, 0.3): sd 0.026, so 4 sd
        assert abs(share - belief) < 0.11


def test_an_open_seat_is_prompted_to_choose_and_a_bound_one_as_assigned() -> None:
    prompts = PromptSet()
    choose = prompts.get("debater_system", "open-consultancy", "consultant", open_seat=True)
    bound = prompts.get("debater_system", "open-consultancy", "consultant")
    assert "First choose" in choose and "consultant" in choose
    assert bound == prompts.get("debater_system", "consultancy", "consultant")
    generic = prompts.get("debater_turn", "open-debate", "protagonist", open_seat=True)
    assert "Choose your answer" in generic and "You defend" not in generic
    assert "You defend" in prompts.get("debater_turn", "open-debate", "antagonist")
    # Multi-agent agents are open too: their own templates still win.
    agent = prompts.get("debater_system", "multi-agent", "agent_1", open_seat=True)
    assert agent == prompts.get("debater_system", "multi-agent", "agent_1")
    no_passage = prompts.get("debater_turn", "open-debate", "p", passage=False, open_seat=True)
    assert "Background" not in no_passage and "Choose your answer" in no_passage
    custom = PromptSet(debater_system={"open-debate.open": "Pick one: {letters}."})
    assert custom.get("debater_system", "open-debate", "protagonist", open_seat=True) == (
        "Pick one: {letters}."
    )


def model_reply(request: Any) -> str:
    """A model that, asked to choose, chooses B; asked to argue, argues; asked to judge,
    believes B."""
    system = request.messages[0].content
    if system.startswith("You are the judge"):
        return "Probabilities: A=0.2, B=0.8"
    if "First choose" in system:
        return "B is right.\nAnswer: B"
    return "My side is right."


def test_model_debaters_choose_then_argue_as_assigned(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from transcripts.store import load_transcripts

    model = {
        "kind": "model",
        "backend": {"kind": "python", "target": "tests.test_open_roles:model_reply"},
        "model": {"model": "model_reply"},
    }
    data = {
        "dataset": {"kind": "logical-deduction", "limit": 2},
        "protocols": [{"name": "open-debate"}, {"name": "open-consultancy"}],
        "debater": model,
        "judges": [model],
    }
    config = tmp_path / "c.json"
    config.write_text(json.dumps(data))
    out = tmp_path / "run"
    args = ["run", "--config", str(config), "--out", str(out), "--data-dir", "../shared/data"]
    code, stdout, err = run_cli(capsys, *args)
    assert code == 0, err
    transcripts = load_transcripts(out / "transcripts.jsonl")
    assert transcripts and all(t.error is None for t in transcripts)
    for t in transcripts:
        first = t.turns[0]
        assert first.position == 1 and first.data == {"stance": 1}
        systems = [turn.request["messages"][0]["content"] for turn in t.turns]
        assert "First choose" in systems[0]
        assert all("First choose" not in s for s in systems[1:])
        assert all(
            t.setup.answer_text(turn.position) in s
            for turn, s in zip(t.turns[1:], systems[1:], strict=True)
        )
    assert "by the protagonist's side" in stdout
    rows = (out / "open_roles.csv").read_text().splitlines()
    assert rows[0] == "protocol,judge,protagonist,n,share,accuracy,ci_low,ci_high,followed"
    assert len(rows) == 1 + 2 * 2  # two open protocols x two sides
    assert "Kenton et al. 2024" in (out / "report.md").read_text()
    assert (out / "plots" / "open_roles.png").exists()
    for _ in range(2):  # a report rebuilds the section, never adds it twice
        code, _, err = run_cli(capsys, "report", str(out))
        assert code == 0, err
    assert (out / "report.md").read_text().count("Kenton et al. 2024") == 1


def test_an_eval_without_a_protagonist_writes_no_split(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = {
        "dataset": {"kind": "evidence", "n": 4},
        "protocols": [{"name": "debate-sequential"}],
        "debater": {"kind": "simulated"},
        "judges": [{"kind": "simulated"}],
    }
    config = tmp_path / "c.json"
    config.write_text(json.dumps(data))
    code, stdout, err = run_cli(
        capsys, "run", "--config", str(config), "--out", str(tmp_path / "r")
    )
    assert code == 0, err
    assert not (tmp_path / "r" / "open_roles.csv").exists()
    assert "protagonist" not in stdout


def test_the_split_counts_by_choice_and_the_judge_follows_a_lone_consultant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Perfect judge on the evidence domain: a lone consultant is always followed, an
    honest opponent in open debate refutes a wrong chooser (the domain's construction)."""
    from evals.open_roles import open_role_rows
    from transcripts.store import load_transcripts

    data = {
        "dataset": {"kind": "evidence", "n": 60},
        "protocols": [
            {"name": "open-consultancy"},
            {"name": "open-debate", "settings": {"rounds": 3}},
        ],
        "debater": {"kind": "simulated", "belief": 0.6},
        "judges": [{"kind": "simulated"}],
    }
    config = tmp_path / "c.json"
    config.write_text(json.dumps(data))
    out = tmp_path / "r"
    code, _, err = run_cli(capsys, "run", "--config", str(config), "--out", str(out))
    assert code == 0, err
    transcripts = load_transcripts(out / "transcripts.jsonl")
    rows = {(r.protocol, r.side): r for r in open_role_rows(transcripts)}
    for protocol in ("open-consultancy", "open-debate"):
        right, wrong = rows[protocol, "correct"], rows[protocol, "wrong"]
        assert right.n + wrong.n == 120  # 60 questions x 2 answer orders
        assert right.share + wrong.share == pytest.approx(1)
        mine = [t for t in transcripts if t.protocol == protocol]
        chose = [build_protocol(protocol).protagonist_correct(t.setup) for t in mine]
        assert right.n == sum(1 for c in chose if c)
        assert right.accuracy == pytest.approx(
            sum(t.score for t, c in zip(mine, chose, strict=True) if c) / right.n
        )
    assert rows["open-consultancy", "wrong"].followed == 1.0
    assert rows["open-consultancy", "wrong"].accuracy == 0.0
    assert rows["open-debate", "wrong"].accuracy == 1.0
    assert rows["open-debate", "wrong"].followed == 0.0


async def test_a_protocol_that_cannot_be_rebuilt_by_name_has_no_split() -> None:
    from evals.open_roles import open_role_rows

    question = evidence_questions(1, seed=3)[0]
    t = await run_debate(question, OpenConsultancy(), EvidenceDebater(), SimulatedJudge())
    assert [r.side for r in open_role_rows([t])] == ["correct", "wrong"]
    unknown = t.model_copy(update={"protocol": "a-users-unregistered-protocol"})
    assert open_role_rows([unknown]) == []


@pytest.mark.parametrize(
    ("preset", "calls"), [("open-roles-evidence", 0), ("open-roles-local", 12)]
)
def test_the_open_roles_presets_plan(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], preset: str, calls: int
) -> None:
    """Both presets build and plan offline, calling nothing (the local one: 4 debates of the
    local model, its planned calls counted; the simulated one: none)."""
    args = ["eval", "--preset", preset, "--quick", "--dry-run", "--out", str(tmp_path / "r")]
    code, stdout, err = run_cli(capsys, *args, "--data-dir", "../shared/data")
    assert code == 0, err
    assert f"{calls} model calls" in stdout
    assert not (tmp_path / "r").exists()
