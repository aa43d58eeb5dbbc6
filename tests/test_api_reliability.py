"""API runs under faults: nothing lost or duplicated, resume makes no repeat call, no key leaks."""

from __future__ import annotations

import collections
import json
import logging
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from debate import LiveJob, ModelDebater, run_many
from debate.batch import RunStopped
from debate.domains.evidence import evidence_questions
from debate.models import FunctionBackend, Model, ModelConfig
from debate.models.fake_server import FakeAPIServer, FaultPlan
from debate.models.openai_backend import OpenAIBackend
from debate.protocol import build_protocol
from judges import ModelJudge
from tests.api_replies import FAST, KEY, role_reply
from transcripts import JsonlStore

pytest.importorskip("openai")
pytest.importorskip("aiohttp")

ROOT = Path(__file__).resolve().parents[1]
FAULTS = FaultPlan(
    rate_limit=0.10,
    server_error=0.05,
    timeout=0.02,
    malformed=0.01,
    retry_after_s=0.01,
    hang_s=5.0,
    seed=11,
)


def api_model(server: FakeAPIServer, name: str, **config: Any) -> Model:
    backend = OpenAIBackend(base_url=server.base_url, api_key=KEY)
    settings = {**FAST, "max_concurrency": 64, "timeout_s": 0.5, **config}
    return Model(backend, ModelConfig(model=name, **settings))


def jobs_for(n: int, debater: Model, judge: Model) -> list[LiveJob]:
    protocol = build_protocol("debate-sequential", {"rounds": 2})
    return [
        LiveJob(f"d{i}", q, protocol, ModelDebater(debater), ModelJudge(judge), seed=i)
        for i, q in enumerate(evidence_questions(n, seed=5))
    ]


async def test_200_debates_under_faults_each_complete_or_failed_once(tmp_path: Path) -> None:
    store = JsonlStore(tmp_path / "transcripts.jsonl")
    async with FakeAPIServer(FunctionBackend(role_reply), faults=FAULTS, api_key=KEY) as server:
        debater, judge = api_model(server, "gpt-4o-mini"), api_model(server, "gpt-4o")
        async with debater, judge:
            ran = await run_many(jobs_for(200, debater, judge), store=store, concurrency=64)
    assert len(ran) == 200
    lines = [json.loads(line) for line in store.path.read_text().splitlines()]
    counts = collections.Counter(line["debate_id"] for line in lines)
    assert set(counts) == {f"d{i}" for i in range(200)} and max(counts.values()) == 1
    for t in ran:
        complete = t.error is None and t.verdict is not None and len(t.turns) == 4
        failed = t.error is not None and t.verdict is None and t.correct is False
        assert complete or failed, t.debate_id
        if failed:
            assert "API" in (t.error or "") or "Timeout" in (t.error or "")
    for fault in ("rate_limit", "server_error", "timeout", "malformed"):
        assert server.counts[fault] > 0, fault  # every kind of fault was really injected
    succeeded = sum(t.usage.calls for t in ran)
    assert server.counts["ok"] >= succeeded  # each stored call was one good reply


def _stored_seeds(path: Path) -> tuple[set[str], set[int]]:
    ids, seeds = set(), set()
    for raw in path.read_bytes().split(b"\n"):
        try:
            t = json.loads(raw)
        except ValueError:
            continue  # the line torn by the kill
        ids.add(t["debate_id"])
        seeds |= {turn["request"]["seed"] for turn in t["turns"]}
        if t["verdict"]:
            seeds |= {a["seed"] for a in t["verdict"]["request"]["attempts"]}
    return ids, seeds


def _server(tmp_path: Path, log: Path, *extra: str) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "debate.models.fake_server",
            "--reply",
            "tests.api_replies:role_reply",
            "--log",
            str(log),
            *extra,
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line.startswith("listening on "), line
    return proc, line.split()[-1]


@pytest.mark.slow  # two CLI processes and a server process: about 15 s
def test_sigkill_then_resume_makes_no_call_for_a_stored_debate(tmp_path: Path) -> None:
    log, out = tmp_path / "calls.jsonl", tmp_path / "run"
    server, url = _server(tmp_path, log, "--latency", "0.05")
    try:
        config = tmp_path / "api.toml"
        config.write_text(
            f"""
name = "kill"
concurrency = 4
[dataset]
kind = "evidence"
n = 15
[[protocols]]
name = "debate-sequential"
settings = {{ rounds = 2 }}
[debater]
kind = "model"
backend = {{ kind = "openai", base_url = "{url}/v1" }}
model = {{ model = "gpt-4o-mini" }}
[[judges]]
kind = "model"
name = "judge"
backend = {{ kind = "openai", base_url = "{url}/v1", logprobs = false }}
model = {{ model = "gpt-4o" }}
"""
        )
        env = {**os.environ, "PYTHONPATH": str(ROOT), "OPENAI_API_KEY": KEY}
        cmd = [
            sys.executable,
            "-m",
            "debate.cli",
            "run",
            "--config",
            str(config),
            "--out",
            str(out),
        ]
        errors = (tmp_path / "stderr.txt").open("w")
        run = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=errors)
        store = out / "transcripts.jsonl"
        deadline = time.monotonic() + 60
        while (
            run.poll() is None
            and time.monotonic() < deadline
            and not (store.exists() and len(_stored_seeds(store)[0]) >= 5)
        ):
            time.sleep(0.02)
        run.send_signal(signal.SIGKILL)
        run.wait()
        errors.close()
        assert store.exists(), (tmp_path / "stderr.txt").read_text()[-2000:]
        stored_ids, stored_seeds = _stored_seeds(store)
        assert 5 <= len(stored_ids) < 30, "the kill should land midway"
        calls_before = len(log.read_text().splitlines())
        rerun = subprocess.run(
            [*cmd, "--resume"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )
        assert rerun.returncode == 0, rerun.stderr
    finally:
        server.kill()
        server.wait()
    new_calls = [json.loads(line) for line in log.read_text().splitlines()[calls_before:]]
    assert new_calls, "the resumed run must call for the debates not stored"
    assert not {c["seed"] for c in new_calls} & stored_seeds
    all_ids, _ = _stored_seeds(store)
    assert len(all_ids) == 30
    assert len(new_calls) == 5 * (30 - len(stored_ids))  # 4 speeches + 1 verdict each


async def test_the_api_key_appears_in_no_transcript_cache_log_or_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
) -> None:
    caplog.set_level(logging.DEBUG)  # the SDKs' and HTTP clients' debug logs included
    store = JsonlStore(tmp_path / "transcripts.jsonl")
    cache = tmp_path / "cache"
    faults = FaultPlan(rate_limit=0.3, retry_after_s=0.0, seed=2)
    good = FakeAPIServer(FunctionBackend(role_reply), faults=faults, api_key=KEY)
    # A server that rejects the key and quotes it back in its error, as careless ones do.
    bad = FakeAPIServer(FunctionBackend(role_reply), api_key="other", echo_key_in_errors=True)
    async with good, bad:
        debater = api_model(good, "gpt-4o-mini", cache_dir=cache)
        judge = api_model(bad, "gpt-4o", cache_dir=cache)
        async with debater, judge:
            # A rejected key stops the batch (issue 11) once the debates in flight end.
            with pytest.raises(RunStopped) as stopped:
                await run_many(jobs_for(4, debater, judge), store=store, concurrency=4)
    assert bad.counts["unauthorized"] == 4
    message = str(stopped.value)
    assert "401" in message and "[redacted]" in message and "judge" in message
    assert stopped.value.transcripts == [] and not store.path.exists()
    assert good.counts["rate_limit"] > 0  # retries were logged too
    captured = capsys.readouterr()
    texts = {
        "logs": caplog.text + "\n".join(str(r.args) for r in caplog.records),
        "stdout/stderr": captured.out + captured.err,
        "errors": message,
    }
    assert "retrying" in texts["logs"]
    for where, text in texts.items():
        assert KEY not in text, f"the API key leaked into {where}"
    cache_files = [p for p in cache.rglob("*") if p.is_file()]
    assert cache_files
    for path in cache_files:
        assert KEY.encode() not in path.read_bytes(), f"the API key leaked into {path}"
