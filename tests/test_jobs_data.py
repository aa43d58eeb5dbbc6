"""Jobs are data: they round-trip through JSON, run in worker processes with the same
transcripts as in process, and let different debaters face each other by seat or side."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from debate.components import Components
from debate.errors import ConfigError, DebateError, StopsRun
from debate.jobs import DebateJob, LiveJob, ProtocolSpec, SeatSpecs, job_from_wire, job_to_wire
from debate.models import GenerateRequest
from debate.process_pool import ProcessPoolExecutor
from debate.progress import NullObserver
from debate.runner import InProcessExecutor, RunStopped, run_jobs
from debate.types import AgentInfo, JudgeView, Transcript, Verdict
from evals.build import build_jobs
from evals.config import parse_config
from evals.datasets import load_questions
from evals.runner import run_eval
from judges import SimulatedJudge
from judges.specs import SimulatedJudgeSpec
from protocols import NaiveJudge

TIMING = {"started_at", "finished_at", "duration_s"}


def eval_data(**extra: Any) -> dict[str, Any]:
    return {
        "dataset": {"kind": "evidence", "n": 6, "seed": 3},
        "protocols": [
            {"name": "debate-sequential", "settings": {"rounds": 3}},
            {"name": "consultancy", "settings": {"rounds": 2}},
        ],
        "judges": [
            {"kind": "simulated", "name": "noisy", "errors": [{"kind": "random", "epsilon": 0.3}]},
            {
                "kind": "simulated",
                "name": "persuaded",
                "errors": [{"kind": "persuasion", "strength": 0.4, "toward": "last"}],
            },
        ],
        **extra,
    }


def jobs_of(data: dict[str, Any]) -> list[DebateJob]:
    config = parse_config(data)
    return build_jobs(config, load_questions(config.dataset))


def without_timing(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_timing(v) for k, v in value.items() if k not in TIMING}
    if isinstance(value, list):
        return [without_timing(v) for v in value]
    return value


def model_reply(request: GenerateRequest) -> str:
    """A model that argues briefly and, as judge, always backs answer B."""
    return "Probabilities: A=0.3, B=0.7" if "Probabilities" in str(request.messages) else "x"


def test_jobs_round_trip_through_json_for_every_role_kind() -> None:
    model = {
        "kind": "model",
        "name": "fn",
        "backend": {"kind": "python", "target": "tests.test_jobs_data:model_reply"},
        "model": {"model": "fn-model"},
    }
    data = eval_data(
        sides={"liar": {**model, "best_of": 2}}, judges=[{**model, "probabilities": "stated"}]
    )
    jobs = jobs_of(data)
    assert len(jobs) == 2 * 6 * 2  # protocols x questions x both orders, one judge
    for job in jobs:
        text = job.model_dump_json()
        again = DebateJob.model_validate_json(text)
        assert again == job and again.model_dump_json() == text
        assert type(again.judge).__name__ == "ModelJudgeSpec"
        assert type(again.debaters.sides["liar"]).__name__ == "ModelDebaterSpec"
        target, wire, plugins = job_to_wire(job)
        assert job_from_wire(target, wire, plugins) == job


def test_a_job_names_its_protocol_and_roles_not_objects() -> None:
    job = jobs_of(eval_data())[0]
    dumped = json.loads(job.model_dump_json())
    assert dumped["protocol"] == {"name": "debate-sequential", "settings": {"rounds": 3}}
    assert dumped["judge"]["kind"] == "simulated" and dumped["debaters"]["default"] == {
        "kind": "simulated",
        "name": None,
        "skill": 1.0,
        "belief": 1.0,
    }


def run_pool(jobs: list[DebateJob], workers: int = 2) -> list[Transcript]:
    return asyncio.run(run_jobs(jobs, executor=ProcessPoolExecutor(workers)))


def test_worker_processes_give_the_same_transcripts_as_in_process() -> None:
    jobs = jobs_of(eval_data())
    here = asyncio.run(run_jobs(jobs, executor=InProcessExecutor(8)))
    there = run_pool(jobs)
    assert len(here) == len(there) == len(jobs) == 48
    assert [t.debate_id for t in there] == [j.debate_id for j in jobs]
    for a, b in zip(here, there, strict=True):
        assert a.verdict is not None and b.verdict is not None
        assert a.verdict.model_dump_json() == b.verdict.model_dump_json()  # byte-identical
        assert without_timing(a.model_dump(mode="json")) == without_timing(
            b.model_dump(mode="json")
        )
    assert 0 < sum(t.correct for t in there) < len(there)  # noisy judges: not trivial


def test_worker_processes_refuse_live_jobs_and_observers() -> None:
    job = LiveJob(
        "d",
        load_questions(parse_config(eval_data()).dataset)[0],
        NaiveJudge(),
        {},
        SimulatedJudge(),
        0,
    )

    pool = ProcessPoolExecutor(1)  # refused before any worker would start
    with pytest.raises(ConfigError, match="live objects"):
        asyncio.run(pool.run(job))
    with pytest.raises(ConfigError, match="observer"):
        asyncio.run(pool.run(jobs_of(eval_data())[0], observer=NullObserver()))
    with pytest.raises(RuntimeError, match="enter the executor"):
        asyncio.run(pool.run(jobs_of(eval_data())[0]))


def test_an_eval_runs_on_worker_processes_from_the_runner(tmp_path: Path) -> None:
    config = parse_config(eval_data())
    local = run_eval(config, tmp_path / "here")
    pooled = run_eval(config, tmp_path / "there", executor=ProcessPoolExecutor(2))
    assert (local.ran, pooled.ran, pooled.failed) == (48, 48, 0)
    a = (tmp_path / "here" / "results.csv").read_text()
    b = (tmp_path / "there" / "results.csv").read_text()
    assert a == b  # every figure the same


def test_honest_and_lying_sides_can_be_different_debaters(tmp_path: Path) -> None:
    model = {
        "kind": "model",
        "name": "liar-model",
        "backend": {"kind": "python", "target": "tests.test_jobs_data:model_reply"},
        "model": {"model": "fn-model"},
    }
    config = parse_config(eval_data(sides={"liar": model}))
    outcome = run_eval(config, tmp_path / "run")
    assert outcome.failed == 0
    seen = 0
    for line in (tmp_path / "run" / "transcripts.jsonl").read_text().splitlines():
        t = Transcript.model_validate_json(line)
        for turn in t.turns:
            honest = t.setup.shown[turn.position or 0] == t.setup.question.correct_index
            agent = t.debaters[turn.speaker]
            assert agent.name == ("evidence-sim" if honest else "liar-model"), (turn.speaker, agent)
            seen += 1
    assert seen > 0


def test_seats_by_name_override_the_default() -> None:
    model = {
        "kind": "model",
        "backend": {"kind": "python", "target": "tests.test_jobs_data:model_reply"},
        "model": {"model": "b-model"},
    }
    jobs = jobs_of(eval_data(seats={"debater_B": model}))
    components = Components()
    debaters, _ = jobs[0].roles(components)
    question = jobs[0].question
    from debate.types import DebateSetup, Seat

    setup = DebateSetup(question=question, shown=[0, 1], seed=0)
    picked = [
        debaters.for_seat(setup, Seat(name=n, position=p))
        for n, p in (("debater_A", 0), ("debater_B", 1))
    ]  # type: ignore[union-attr]
    assert type(picked[0]).__name__ == "EvidenceDebater"
    assert type(picked[1]).__name__ == "ModelDebater"


def test_equal_specs_build_one_role_and_components_close_what_they_opened() -> None:
    closed: list[str] = []
    components = Components()
    spec = SimulatedJudgeSpec(name="a")
    assert components.build("judge", spec) is components.build(
        "judge", SimulatedJudgeSpec(name="a")
    )
    assert components.build("judge", spec) is not components.build(
        "judge", SimulatedJudgeSpec(name="b")
    )

    async def close() -> None:
        closed.append("x")

    components.on_close(close)
    asyncio.run(components.aclose())
    assert closed == ["x"]


def test_a_job_without_a_debater_for_a_seat_names_the_seat() -> None:
    job = jobs_of(eval_data())[0].model_copy(update={"debaters": SeatSpecs()})
    with pytest.raises(KeyError, match="no debater given for seat 'debater_A'"):
        asyncio.run(run_jobs([job]))


def test_protocol_specs_build_their_protocol() -> None:
    assert ProtocolSpec(name="naive").build() == NaiveJudge()
    with pytest.raises(ConfigError, match="unknown protocol"):
        ProtocolSpec(name="nope").build()


def test_worker_processes_know_the_kinds_this_process_registered(tmp_path: Path) -> None:
    """A judge kind registered outside the package (here, by a test module named by path)
    is imported by each worker before it reads a job; the saved config records it."""
    config = parse_config(
        eval_data(judges=[{"kind": "tests.test_registry:first_judge", "confidence": 0.8}])
    )
    assert config.plugins == ["tests.test_registry"]
    outcome = run_eval(config, tmp_path / "run", executor=ProcessPoolExecutor(2))
    assert outcome.failed == 0 and outcome.ran == 24
    assert [r.cell["judge"] for r in outcome.results] == ["first-0.8", "first-0.8"]


class KeyRevoked(DebateError, StopsRun):
    """An error every later debate would hit too (as a rejected API key is)."""


class RevokedJudge:
    def describe(self) -> AgentInfo:
        return AgentInfo(kind="revoked", name="revoked")

    async def __call__(self, view: JudgeView) -> Verdict:
        raise KeyRevoked("key revoked")


def test_an_error_that_stops_the_run_stops_it_from_a_worker_too(tmp_path: Path) -> None:
    config = parse_config(eval_data(judges=[{"kind": "tests.test_jobs_data:RevokedJudge"}]))
    with pytest.raises(RunStopped, match="key revoked"):
        run_eval(config, tmp_path / "run", executor=ProcessPoolExecutor(1, per_worker=2))
    assert (
        not (tmp_path / "run" / "transcripts.jsonl").exists()
        or not (tmp_path / "run" / "transcripts.jsonl").read_text().strip()
    )  # nothing recorded for the debates it hit
