"""Failed debates can be rerun exactly once, a rejected key stops a run at once, and errors
name the role that failed (issue 11, items 3-4)."""

from __future__ import annotations

import json
import sys
import textwrap
from pathlib import Path

import pytest

from tests.cli_helpers import run_cli as _cli
from transcripts.store import JsonlStore

BACKEND = textwrap.dedent(
    """
    import os
    import zlib
    from pathlib import Path

    from debate.models.api_errors import AuthError

    CALLS = Path(os.environ["FLAKY_CALLS"])


    def reply(request):
        mode = os.environ.get("FLAKY_MODE", "ok")
        text = request.messages[-1].content
        with CALLS.open("a") as log:
            log.write(mode + "\\n")
        if mode == "auth":
            raise AuthError("openai API error 401: invalid key [redacted]", status=401)
        if mode == "some" and zlib.crc32(text.encode()) % 3 == 0:
            raise ValueError("the backend fell over")
        return "I defend my answer."
    """
)


def _config(tmp_path: Path, n: int = 6) -> Path:
    config = {
        "name": "flaky",
        "dataset": {"kind": "evidence", "n": n},
        "protocols": [{"name": "consultancy", "settings": {"rounds": 1}}],
        "debater": {
            "kind": "model",
            "backend": {"kind": "python", "target": "flaky_backend:reply"},
            "model": {"model": "flaky", "max_retries": 0, "backoff_initial_s": 0.01},
        },
        "judges": [{"kind": "simulated"}],
        "concurrency": 2,
    }
    path = tmp_path / "flaky.json"
    path.write_text(json.dumps(config))
    return path


@pytest.fixture
def flaky(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A backend module in the working directory (importable without PYTHONPATH)."""
    (tmp_path / "flaky_backend.py").write_text(BACKEND)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "path", list(sys.path))  # the cwd entry the CLI adds goes again
    monkeypatch.delitem(sys.modules, "flaky_backend", raising=False)
    monkeypatch.setenv("FLAKY_CALLS", str(tmp_path / "calls.log"))
    return tmp_path


def _lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def test_retry_failed_reruns_exactly_the_failed_debates(
    flaky: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, out = _config(flaky), flaky / "run"
    monkeypatch.setenv("FLAKY_MODE", "some")
    code, _, err = _cli(capsys, "run", "--config", str(config), "--out", str(out))
    records = _lines(out / "transcripts.jsonl")
    failed = {r["debate_id"] for r in records if r["error"]}
    assert len(records) == 12 and 0 < len(failed) < 12, "the backend should fail some calls"
    assert code == 0 and "--retry-failed" in err
    errors = [str(r["error"]) for r in records if r["error"]]
    assert all(e.startswith("consultant: ValueError: the backend fell over") for e in errors)

    # Plain --resume runs nothing: failures are results until asked to rerun them.
    calls = flaky / "calls.log"
    before = len(calls.read_text().splitlines())
    code, out_text, _ = _cli(capsys, "run", "--config", str(config), "--out", str(out), "--resume")
    assert code == 0 and "ran 0 debates" in out_text
    assert len(calls.read_text().splitlines()) == before

    code, out_text, _ = _cli(
        capsys, "run", "--config", str(config), "--out", str(out), "--retry-failed", "--dry-run"
    )
    assert code == 0 and f"dry run: {len(failed)} debates planned" in out_text

    monkeypatch.setenv("FLAKY_MODE", "ok")
    code, out_text, _ = _cli(
        capsys, "run", "--config", str(config), "--out", str(out), "--retry-failed"
    )
    assert code == 0 and f"ran {len(failed)} debates" in out_text
    records = _lines(out / "transcripts.jsonl")
    ids = [r["debate_id"] for r in records]
    assert len(ids) == len(set(ids)) == 12, "each debate once: failures replaced"
    assert not any(r["error"] for r in records)
    results = json.loads((out / "results.json").read_text())
    assert results[0]["n"] == 12 and results[0]["errors"] == 0


def test_a_superseded_failure_is_never_counted_twice_even_before_compaction(
    tmp_path: Path,
) -> None:
    from debate.domains.evidence import EvidenceDebater, evidence_questions
    from debate.engine import run_debate
    from debate.protocol import build_protocol
    from judges.simulated import SimulatedJudge

    question = evidence_questions(1, seed=0)[0]
    protocol = build_protocol("consultancy", {"rounds": 1})
    import asyncio

    good = asyncio.run(
        run_debate(question, protocol, EvidenceDebater(), SimulatedJudge(), debate_id="d")
    )
    bad = good.model_copy(update={"error": "debater_A: ValueError: boom", "verdict": None})
    store = JsonlStore(tmp_path / "t.jsonl")
    assert store.ids() == store.failed_ids() == set()  # cached from here on, kept up to date
    seen = []
    for record in (bad, bad, good, bad):  # a second failure, the rerun, then a stray failure
        store.append(record)
        seen.append((store.ids(), store.failed_ids()))
    assert seen == [({"d"}, {"d"}), ({"d"}, {"d"}), ({"d"}, set()), ({"d"}, set())]
    loaded = store.load()
    assert [t.error for t in loaded.transcripts] == [None]
    assert store.failed_ids() == set()
    assert store.compact() == 2
    assert len((tmp_path / "t.jsonl").read_text().splitlines()) == 2  # the good one stays first


def test_a_rejected_key_stops_the_run_at_once_with_one_line(
    flaky: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    config, out = _config(flaky, n=20), flaky / "run"
    monkeypatch.setenv("FLAKY_MODE", "auth")
    code, _, err = _cli(capsys, "run", "--config", str(config), "--out", str(out))
    lines = err.strip().splitlines()
    assert code == 2 and lines[-1].startswith("error: stopped:")
    assert "401" in lines[-1] and "consultant" in lines[-1] and "--resume" in lines[-1]
    calls = len((flaky / "calls.log").read_text().splitlines())
    assert calls <= 2, f"{calls} requests sent: no debate may start after the first 401"
    store = out / "transcripts.jsonl"
    assert not store.exists() or not store.read_text().strip(), "no failure recorded"

    monkeypatch.setenv("FLAKY_MODE", "ok")
    code, out_text, _ = _cli(capsys, "run", "--config", str(config), "--out", str(out), "--resume")
    assert code == 0 and "ran 40 debates" in out_text
    assert len(_lines(out / "transcripts.jsonl")) == 40


def test_a_run_in_which_every_debate_failed_does_not_exit_zero(
    flaky: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (flaky / "flaky_backend.py").write_text(
        BACKEND.replace('mode == "some" and zlib.crc32(text.encode()) % 3 == 0', "True")
    )
    config, out = _config(flaky, n=3), flaky / "run"
    code, _, err = _cli(capsys, "run", "--config", str(config), "--out", str(out))
    assert code == 1
    assert err.strip().splitlines()[-1].startswith("error: all 6 debates failed")
    assert len(_lines(out / "transcripts.jsonl")) == 6, "what ran is kept"
