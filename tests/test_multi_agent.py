"""Multi-agent debate (Du et al. 2023): open seats that state their answer each turn, the
majority judge, simulated agents of known error against the exact majority-vote theory,
and the experiment type that reads the whole curve from one run."""

from __future__ import annotations

import asyncio
import json
import math
from math import comb
from pathlib import Path
from typing import Any

import pytest

from debate.domains.agents import SimulatedAgent, majority_accuracy
from debate.domains.evidence import evidence_questions
from debate.engine import run_debate
from debate.moves import Stance
from debate.types import DebaterView, Speech
from judges.majority import MajorityJudge
from protocols.multi_agent import MultiAgentDebate
from tests.cli_helpers import one_line_error, run_cli


def test_theory_by_hand() -> None:
    # One agent never hears anyone: its accuracy is its own.
    assert majority_accuracy(1, 0.6, 0.5, 0.1, 4) == pytest.approx([0.6] * 4)
    # Round 1 is Condorcet's jury theorem.
    first = sum(comb(5, k) * 0.7**k * 0.3 ** (5 - k) for k in range(3, 6))
    assert majority_accuracy(5, 0.7, 0.5, 0.1, 1)[0] == pytest.approx(first)
    # Nobody moved by anyone: the curve is flat.
    assert majority_accuracy(3, 0.6, 0.0, 0.0, 3) == pytest.approx([0.648] * 3)
    # Two agents, one right: a tie (1/2); the wrong one turns right w.p. 1 x 1/1 and the
    # right one wrong w.p. 0.5 x 1/1, independently.
    p = 0.5
    start = p * p * 1 + 2 * p * (1 - p) * 0.5  # both right, or a tie
    after = p * p * 1 + 2 * p * (1 - p) * (0.5 * 1 + 0.5 * 0.5 + 0 * 0)
    assert majority_accuracy(2, p, 1.0, 0.5, 2) == pytest.approx([start, after])


class Silent:
    def describe(self):  # type: ignore[no-untyped-def]
        from debate.types import AgentInfo

        return AgentInfo(kind="test", name="silent")

    def __init__(self, stance: int | None) -> None:
        self.stance = stance

    async def __call__(self, view: DebaterView) -> Speech:
        data = {} if self.stance is None else Stance(position=self.stance).to_data()
        return Speech(text="I think so.", data=data)


@pytest.mark.parametrize(("stance", "needle"), [(None, "no stance"), (5, "stance 5")])
async def test_an_open_seat_must_state_a_shown_answer(stance: int | None, needle: str) -> None:
    question = evidence_questions(1, seed=1)[0]
    t = await run_debate(
        question, MultiAgentDebate(agents=2, rounds=1), Silent(stance), MajorityJudge()
    )
    assert t.error is not None and needle in t.error and "agent_1" in t.error
    assert not t.correct


async def test_turns_are_recorded_at_the_stated_answer_and_the_majority_counts_them() -> None:
    question = evidence_questions(1, seed=1)[0]
    debaters = {"agent_1": Silent(0), "agent_2": Silent(1), "agent_3": Silent(1)}
    t = await run_debate(question, MultiAgentDebate(agents=3, rounds=2), debaters, MajorityJudge())
    assert t.error is None
    assert [turn.position for turn in t.turns] == [0, 1, 1, 0, 1, 1]
    assert t.verdict is not None and t.verdict.probabilities == pytest.approx([1 / 3, 2 / 3])
    assert all(seat.open for seat in t.setup.seats)
    tie = await run_debate(
        question,
        MultiAgentDebate(agents=2, rounds=1),
        {"agent_1": Silent(0), "agent_2": Silent(1)},
        MajorityJudge(),
    )
    assert tie.verdict is not None and tie.score == 0.5  # a tie of two answers scores 1/2


def test_simulated_agents_follow_the_theory() -> None:
    questions = evidence_questions(600, seed=4)
    agent = SimulatedAgent(0.6, truth_pull=0.5, error_pull=0.1)
    protocol = MultiAgentDebate(agents=3, rounds=3)

    async def all_debates() -> list[Any]:
        return await asyncio.gather(
            *(
                run_debate(q, protocol, agent, MajorityJudge(), seed=i)
                for i, q in enumerate(questions)
            )
        )

    from evals.multi_agent.report import score_after

    transcripts = asyncio.run(all_debates())
    theory = majority_accuracy(3, 0.6, 0.5, 0.1, 3)
    for r in range(3):
        scores = [score_after(t, r) for t in transcripts]
        mean = sum(scores) / len(scores)
        se = math.sqrt(theory[r] * (1 - theory[r]) / len(scores))
        assert abs(mean - theory[r]) < 4 * se, (r, mean, theory[r])
    assert theory[2] > theory[0]  # the published shape: rising over the first rounds


def write(tmp_path: Path, data: dict[str, Any]) -> Path:
    path = tmp_path / "m.json"
    path.write_text(json.dumps(data))
    return path


def test_one_run_gives_the_whole_curve(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = {
        "type": "multi-agent",
        "agents": [1, 3],
        "rounds": 3,
        "dataset": {"kind": "evidence", "n": 30},
        "debater": {"kind": "simulated-agent", "accuracy": 0.7},
    }
    out = tmp_path / "run"
    code, stdout, err = run_cli(
        capsys, "run", "--config", str(write(tmp_path, data)), "--out", str(out)
    )
    assert code == 0, err
    assert "after each round" in stdout
    rows = (out / "multi_agent.csv").read_text().splitlines()
    assert rows[0] == "agents,round,n,accuracy,ci_low,ci_high,theory"
    assert len(rows) == 1 + 2 * 3  # agent counts x rounds, from debates of 3 rounds only
    one_agent = [r.split(",") for r in rows[1:4]]
    assert len({r[3] for r in one_agent}) == 1  # alone, an agent never changes its mind
    assert float(one_agent[0][6]) == pytest.approx(0.7)
    report = (out / "report.md").read_text()
    assert "Accuracy against rounds (Du et al. 2023)" in report
    assert (out / "plots" / "accuracy_vs_rounds.svg").exists()
    code, stdout, err = run_cli(capsys, "report", str(out))
    assert code == 0 and (out / "report.md").read_text().count("Du et al. 2023") == 1


def test_a_multi_agent_run_derives_its_protocols(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = {"type": "multi-agent", "protocols": [{"name": "naive"}]}
    line = one_line_error(
        capsys, "run", "--config", str(write(tmp_path, bad)), "--out", str(tmp_path / "o")
    )
    assert "follow from its agents and rounds" in line
    line = one_line_error(
        capsys,
        "run",
        "--config",
        str(write(tmp_path, {"type": "multi-agent", "agents": [0]})),
        "--out",
        str(tmp_path / "o"),
    )
    assert "agents" in line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("I think so.\nAnswer: B", 1),
        ("answer: a ... on reflection, Answer: (B).", 1),
        ("The answer is A", 0),
        ("Answer: C", None),  # not one of two shown answers
        ("No letter here.", None),
        ("Answer: Banana", None),
    ],
)
def test_a_model_agent_states_the_letter_of_its_last_answer_line(
    text: str, expected: int | None
) -> None:
    from debate.debaters import stated_answer

    assert stated_answer(text, 2) == expected


def agent_reply(request: Any) -> str:
    """An agent that backs B; asked to judge (never here), it would say so too."""
    return "B follows from the clues.\nAnswer: B"


def model_agents(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], reply: str, agents: int, rounds: int
) -> list[Any]:
    """The transcripts of a multi-agent run on logical deduction (two questions) whose
    agents are the function ``reply`` of this module; every debate must succeed."""
    from transcripts.store import load_transcripts

    data = {
        "type": "multi-agent",
        "agents": [agents],
        "rounds": rounds,
        "dataset": {"kind": "logical-deduction", "limit": 2},
        "debater": {
            "kind": "model",
            "backend": {"kind": "python", "target": f"tests.test_multi_agent:{reply}"},
            "model": {"model": reply},
        },
    }
    out = tmp_path / "run"
    code, _, err = run_cli(
        capsys,
        "run",
        "--config",
        str(write(tmp_path, data)),
        "--out",
        str(out),
        "--data-dir",
        "../shared/data",
    )
    assert code == 0, err
    transcripts = load_transcripts(out / "transcripts.jsonl")
    assert transcripts and all(t.error is None for t in transcripts)
    return transcripts


def test_model_agents_state_their_answers(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for t in model_agents(tmp_path, capsys, "agent_reply", agents=3, rounds=2):
        assert {turn.position for turn in t.turns} == {1}  # every agent said B, every round
        assert t.verdict is not None and t.verdict.probabilities == [0.0, 1.0]
        assert "Answer: X" in t.turns[0].request["messages"][0]["content"]  # type: ignore[index]


def forgetful_reply(request: Any) -> str:
    """An agent that forgets its answer line until it is asked for it."""
    return "Answer: A" if len(request.messages) > 2 else "Let me think about the clues."


def test_an_agent_that_forgets_its_answer_line_is_asked_again(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for t in model_agents(tmp_path, capsys, "forgetful_reply", agents=1, rounds=1):
        turn = t.turns[0]
        assert turn.position == 0 and turn.usage.calls == 2
        assert turn.text == "Let me think about the clues.\nAnswer: A"
