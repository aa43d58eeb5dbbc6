"""A batch killed with SIGKILL midway and rerun with --resume records every debate once."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

CONFIG = """
name = "kill-and-resume"
concurrency = 4
position_swap = "both"

[dataset]
kind = "evidence"
n = 15

[[protocols]]
name = "debate-sequential"
settings = { rounds = 2 }

[debater]
kind = "model"
backend = { kind = "python", target = "tests.backends:slow_speech" }
model = { model = "slow-test-model" }

[[judges]]
kind = "model"
name = "leaning"
backend = { kind = "python", target = "tests.backends:leaning_judge" }
model = { model = "judge-test-model" }
"""
TOTAL = 30  # 15 questions x 2 answer orders


def _debate_cmd(config: Path, out: Path, *extra: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "debate.cli",
        "run",
        "--config",
        str(config),
        "--out",
        str(out),
        *extra,
    ]


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def _stored_ids(path: Path) -> list[str]:
    ids = []
    for line in path.read_bytes().split(b"\n"):
        try:
            ids.append(json.loads(line)["debate_id"])
        except ValueError:
            continue  # a torn line from the kill
    return ids


def test_sigkill_midway_then_resume_records_each_debate_once(tmp_path: Path) -> None:
    config = tmp_path / "kill.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    store = out / "transcripts.jsonl"
    proc = subprocess.Popen(
        _debate_cmd(config, out),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if store.exists() and len(_stored_ids(store)) >= 5:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    before = _stored_ids(store)
    assert 5 <= len(before) < TOTAL, "the kill should land midway through the batch"

    rerun = subprocess.run(
        _debate_cmd(config, out, "--resume"),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rerun.returncode == 0, rerun.stderr
    after = _stored_ids(store)
    counts = collections.Counter(after)
    assert len(counts) == TOTAL
    assert max(counts.values()) == 1, "no debate may be recorded twice"
    assert set(before) <= set(after)
    assert f"{len(before)} already stored" in rerun.stdout
    results = json.loads((out / "results.json").read_text())
    assert results[0]["n"] == TOTAL
