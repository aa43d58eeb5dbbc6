"""The JSONL store: whole lines, torn tails survived, resume without duplicates."""

from __future__ import annotations

from pathlib import Path

import pytest

from debate import LiveJob, run_many
from debate.domains.evidence import EvidenceDebater, evidence_questions
from debate.errors import DataError
from judges import SimulatedJudge
from protocols import SequentialDebate
from transcripts import JsonlStore, load_transcripts


def jobs(n: int) -> list[LiveJob]:
    judge, debater, protocol = SimulatedJudge(), EvidenceDebater(), SequentialDebate(rounds=2)
    return [
        LiveJob(
            debate_id=f"d{q.id}",
            question=q,
            protocol=protocol,
            debaters=debater,
            judge=judge,
            seed=i,
        )
        for i, q in enumerate(evidence_questions(n, seed=3))
    ]


async def test_resume_skips_stored_debates(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "t.jsonl")
    first = await run_many(jobs(10)[:4], store=store, concurrency=3)
    assert len(first) == 4
    second = await run_many(jobs(10), store=JsonlStore(store.path), concurrency=3)
    assert sorted(t.debate_id for t in second) == sorted(j.debate_id for j in jobs(10)[4:])
    loaded = store.load()
    assert len(loaded.transcripts) == 10 and loaded.duplicates == 0 and not loaded.bad_lines


async def test_torn_last_line_is_reported_skipped_and_isolated(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "t.jsonl")
    await run_many(jobs(3), store=store)
    whole = store.path.read_bytes()
    torn_copy = whole.splitlines()[0][:57]  # a kill mid-write leaves half a line
    store.path.write_bytes(whole + torn_copy)

    loaded = JsonlStore(store.path).load()
    assert len(loaded.transcripts) == 3
    assert loaded.bad_lines == [4]

    more = await run_many(jobs(5), store=JsonlStore(store.path))
    assert len(more) == 2
    reloaded = JsonlStore(store.path).load()
    assert len(reloaded.transcripts) == 5, "the append after a torn line must stay readable"
    assert reloaded.bad_lines == [4]
    assert store.path.read_bytes().startswith(whole + torn_copy), "nothing written is lost"


def test_malformed_middle_line_is_an_error_in_strict_loads(tmp_path: Path) -> None:
    path = tmp_path / "t.jsonl"
    path.write_text('{"oops": 1}\n{"also": "bad"}\n')
    with pytest.raises(DataError, match=r"t.jsonl:1"):
        load_transcripts(path)


def test_duplicate_ids_in_one_batch_are_refused() -> None:
    batch = jobs(2)
    with pytest.raises(ValueError, match="unique"):
        import asyncio

        asyncio.run(run_many([batch[0], batch[0]]))


async def test_torn_line_in_the_middle_after_resume_is_skipped_not_fatal(tmp_path: Path) -> None:
    """Killed mid-write, then resumed: the torn line ends up between valid ones."""
    store = JsonlStore(tmp_path / "t.jsonl")
    await run_many(jobs(4)[:2], store=store)
    store.path.write_bytes(store.path.read_bytes() + store.path.read_bytes()[:80])
    await run_many(jobs(4), store=JsonlStore(store.path))
    assert len(load_transcripts(store.path)) == 4
    malformed = tmp_path / "m.jsonl"
    malformed.write_bytes(b"{not json}\n" + store.path.read_bytes())
    with pytest.raises(DataError, match=r"m.jsonl:1"):
        load_transcripts(malformed)
