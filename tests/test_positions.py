"""Position swap is a swap: the orders of a question show the same answers, only reordered,
and the balanced mode puts every shown answer in every position equally often."""

from __future__ import annotations

import asyncio
from collections import Counter, defaultdict
from typing import ClassVar

import pytest

from debate.batch import run_many
from debate.domains.evidence import EvidenceDebater
from debate.engine import run_debate
from debate.positions import answer_orders, shown_answers
from debate.protocol import DebateRounds
from debate.types import Question
from evals.build import build_jobs
from evals.config import parse_config
from evals.datasets import load_questions
from judges.simulated import SimulatedJudge
from protocols.sequential import SequentialDebate


class ThreeWayDebate(DebateRounds):
    """A sequential debate over three shown answers (a user protocol by import path)."""

    name = "three-way"
    round_kind = "sequential"
    n_answers: ClassVar[int] = 3


def _config(protocol: str, n_options: int, swap: str = "both", n: int = 40) -> dict[str, object]:
    return {
        "protocols": [{"name": protocol, "settings": {"rounds": 1}}],
        "judges": [{"kind": "simulated"}],
        "dataset": {"kind": "evidence", "n": n, "settings": {"n_options": n_options}},
        "position_swap": swap,
    }


def _jobs_by_question(data: dict[str, object]) -> dict[str, list[tuple[int, ...]]]:
    config = parse_config(data)
    by_question: dict[str, list[tuple[int, ...]]] = defaultdict(list)
    for job in build_jobs(config, load_questions(config.dataset)):
        assert job.shown is not None
        by_question[job.question.id].append(job.shown)
    return by_question


@pytest.mark.parametrize("n_options", [2, 3, 4, 6])
def test_both_orders_of_a_question_show_the_same_answers(n_options: int) -> None:
    by_question = _jobs_by_question(_config("debate-sequential", n_options))
    assert len(by_question) == 40
    distinct_sets = set()
    for orders in by_question.values():
        assert len(orders) == 2
        first, second = orders
        assert set(first) == set(second), "the orders must differ only in order"
        assert list(second) == list(reversed(first))
        distinct_sets.add(frozenset(first))
    if n_options > 2:  # distractors still vary across questions
        assert len(distinct_sets) > 1


@pytest.mark.parametrize("n_options", [3, 4, 7])
def test_balanced_mode_puts_every_answer_in_every_position_once(n_options: int) -> None:
    name = f"{__name__}:ThreeWayDebate"
    for mode in ("both", "balanced"):
        by_question = _jobs_by_question(_config(name, n_options, mode, n=30))
        correct_positions: Counter[int] = Counter()
        for qid, orders in by_question.items():
            assert len(orders) == 3
            assert len({frozenset(o) for o in orders}) == 1, qid
            for position in range(3):
                assert sorted(o[position] for o in orders) == sorted(orders[0])
        dataset = parse_config(_config(name, n_options)).dataset
        questions = {q.id: q for q in load_questions(dataset)}
        for qid, orders in by_question.items():
            for order in orders:
                correct_positions[order.index(questions[qid].correct_index)] += 1
        assert correct_positions == {0: 30, 1: 30, 2: 30}, "the middle is not skipped"


def test_random_mode_runs_one_order_per_question_with_varied_positions() -> None:
    by_question = _jobs_by_question(_config("debate-sequential", 4, "random", n=60))
    assert all(len(orders) == 1 for orders in by_question.values())
    questions = {q.id: q for q in load_questions(parse_config(_config("naive", 4, n=60)).dataset)}
    first = Counter(o[0][0] == questions[q].correct_index for q, o in by_question.items())
    assert first[True] > 10 and first[False] > 10


def test_shown_answers_depend_on_the_question_and_seed_only() -> None:
    question = Question(id="q", text="?", options=list("abcdefg"), correct_index=3)
    sets = {tuple(shown_answers(question, 3, seed=1)) for _ in range(5)}
    assert len(sets) == 1
    assert {tuple(shown_answers(question, 3, seed=s)) for s in range(20)} != sets
    orders = answer_orders(question, 3, 1, "balanced")
    assert [o[0] for o in orders] == list(sets.pop())


def test_api_swap_pair_shows_the_same_answers_whatever_the_seeds() -> None:
    question = Question(id="q4", text="Who?", options=["w", "x", "y", "z"], correct_index=2)
    judge = SimulatedJudge()
    protocol = SequentialDebate(rounds=1)

    async def pair(seed: int) -> tuple[list[int], list[int]]:
        debater = EvidenceDebater()
        a = await run_debate(question, protocol, debater, judge, seed=seed, swap=False)
        b = await run_debate(question, protocol, debater, judge, seed=seed + 99, swap=True)
        return a.setup.shown, b.setup.shown

    for seed in range(10):
        first, second = asyncio.run(pair(seed))
        assert second == list(reversed(first))


def test_explicit_shown_is_validated() -> None:
    question = Question(id="q", text="?", options=["a", "b", "c"], correct_index=0)
    protocol = SequentialDebate(rounds=1)

    async def run(shown: list[int]) -> str | None:
        t = await run_debate(question, protocol, EvidenceDebater(), SimulatedJudge(), shown=shown)
        return t.error

    with pytest.raises(ValueError, match="leave out the correct answer"):
        asyncio.run(run([1, 2]))
    with pytest.raises(ValueError, match="distinct"):
        asyncio.run(run([0, 0]))
    assert asyncio.run(run([2, 0])) is None


def test_jobs_run_with_their_shown_order() -> None:
    config = parse_config(_config("debate-sequential", 4, n=10))
    jobs = build_jobs(config, load_questions(config.dataset))
    transcripts = asyncio.run(run_many(jobs))
    for job, transcript in zip(jobs, transcripts, strict=True):
        assert tuple(transcript.setup.shown) == job.shown
