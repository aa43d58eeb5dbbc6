"""Eval configs become jobs with stable ids that do not reveal the answer order."""

from __future__ import annotations

from evals.build import build_jobs
from evals.config import parse_config
from evals.datasets import load_questions


def test_debate_ids_are_stable_unique_and_do_not_encode_the_answer_order() -> None:
    config = parse_config(
        {
            "protocols": [{"name": "naive"}],
            "judges": [{"kind": "simulated"}],
            "dataset": {"kind": "evidence", "n": 50},
        }
    )
    jobs = build_jobs(config, load_questions(config.dataset))
    again = build_jobs(config, load_questions(config.dataset))
    assert [j.debate_id for j in jobs] == [j.debate_id for j in again]
    assert len({j.debate_id for j in jobs}) == len(jobs) == 100
    correct_first: dict[bool, set[str]] = {True: set(), False: set()}
    for job in jobs:
        assert job.shown is not None
        first = job.shown[0] == job.question.correct_index
        correct_first[first].add(job.debate_id.rsplit(":", 1)[1])
    assert not correct_first[False] & correct_first[True]
    assert len(correct_first[False]) == 50, "the order part varies with the question"
