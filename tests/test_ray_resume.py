"""The driver of a Ray run killed with SIGKILL midway, then ``--resume`` on Ray: every
debate is stored exactly once (workers never write; the driver alone appends)."""

from __future__ import annotations

import collections
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.test_resume_kill import CONFIG, TOTAL, _debate_cmd, _env, _stored_ids

pytest.importorskip("ray", reason="the Ray tests need the ray extra (make setup)")
ROOT = Path(__file__).resolve().parents[1]
RAY = ("--executor", "ray", "--workers", "2")


def _leftovers(session: int) -> list[int]:
    """Processes still in the killed driver's session (the local cluster it started)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getsid(int(entry.name)) == session:
                    found.append(int(entry.name))
            except (ProcessLookupError, PermissionError):
                continue
    return found


def test_driver_killed_midway_then_resumed_on_ray_stores_each_debate_once(
    tmp_path: Path,
) -> None:
    config = tmp_path / "kill.toml"
    config.write_text(CONFIG)
    out = tmp_path / "run"
    store = out / "transcripts.jsonl"
    proc = subprocess.Popen(
        _debate_cmd(config, out, *RAY),
        cwd=ROOT,
        env=_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its local cluster lives in this session: cleaned up below
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if store.exists() and len(_stored_ids(store)) >= 5:
                break
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    finally:
        for pid in _leftovers(proc.pid):
            os.kill(pid, signal.SIGKILL)
    before = _stored_ids(store)
    assert 5 <= len(before) < TOTAL, "the kill should land midway through the batch"

    rerun = subprocess.run(
        _debate_cmd(config, out, "--resume", *RAY),
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert rerun.returncode == 0, rerun.stderr
    counts = collections.Counter(_stored_ids(store))
    assert len(counts) == TOTAL
    assert max(counts.values()) == 1, "no debate may be recorded twice"
    assert set(before) <= set(counts)
    assert f"{len(before)} already stored" in rerun.stdout
    assert json.loads((out / "results.json").read_text())[0]["n"] == TOTAL
