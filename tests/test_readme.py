"""The README's examples are real: they run here, and the custom protocol works in batches."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest

from debate import LiveJob, Protocol, run_debate, run_many
from debate.domains.evidence import EvidenceDebater, evidence_questions
from judges import SimulatedJudge
from transcripts import JsonlStore

README = Path(__file__).resolve().parents[1] / "README.md"


def example(name: str) -> str:
    match = re.search(rf"<!-- tested: {name} -->\n```python\n(.*?)```", README.read_text(), re.S)
    assert match, f"README has no tested example {name!r}"
    return match.group(1)


def run_example(name: str, module: str | None = None) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": module or f"readme_{name.replace('-', '_')}"}
    exec(compile(example(name), f"README:{name}", "exec"), namespace)
    return namespace


def test_api_example_runs(capsys: pytest.CaptureFixture[str]) -> None:
    run_example("api")
    assert "correct:" in capsys.readouterr().out


def test_custom_protocol_is_short_and_runs_alone_and_in_batches(tmp_path: Path) -> None:
    code = example("adding-protocol")
    assert len(code.strip().splitlines()) <= 60
    # The module name its config's plugins line imports (tests/test_readme_adding.py runs
    # that config): the protocol registry then takes either as the same class, re-registered.
    namespace = run_example("adding-protocol", module="my_protocols")
    cls = namespace["OpeningsThenCrossfire"]
    transcript = asyncio.run(
        run_debate(
            evidence_questions(1, seed=0)[0],
            cls(exchanges=2),
            EvidenceDebater(),
            SimulatedJudge(),
            seed=1,
        )
    )
    assert len(transcript.turns) == 6  # 2 openings + 2 x 2 crossfire

    assert issubclass(cls, Protocol)
    assert [t.speaker for t in transcript.turns] == [
        "debater_A",
        "debater_B",
        "debater_B",
        "debater_A",
        "debater_B",
        "debater_A",
    ]
    assert transcript.turns[0].round == transcript.turns[1].round == 0

    protocol = cls(exchanges=1)
    jobs = [
        LiveJob(
            debate_id=q.id,
            question=q,
            protocol=protocol,
            debaters=EvidenceDebater(),
            judge=SimulatedJudge(),
            seed=i,
        )
        for i, q in enumerate(evidence_questions(40, seed=5))
    ]
    store = JsonlStore(tmp_path / "t.jsonl")
    results = asyncio.run(run_many(jobs, store=store, concurrency=8))
    assert len(results) == 40 and all(t.error is None for t in results)
    assert {t.protocol for t in store} == {"openings-then-crossfire"}
    assert sum(t.correct for t in results) > 20, "debate should beat chance here"
