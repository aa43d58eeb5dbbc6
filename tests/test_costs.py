"""Costs: the price table, cost per debate and per run, --dry-run and --max-cost."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from debate import LiveJob, ModelDebater, run_many
from debate.cli import app
from debate.models import FunctionBackend, Model, ModelConfig
from debate.models.costs import Price, default_price
from debate.protocol import build_protocol
from debate.types import Question
from judges import ModelJudge
from transcripts import JsonlStore, load_transcripts

PRICE = Price(input_per_mtok=1000.0, output_per_mtok=2000.0)

CONFIG = """
name = "costed"
concurrency = 1
position_swap = "both"

[dataset]
kind = "evidence"
n = 3

[[protocols]]
name = "debate-interactive"
settings = { rounds = 2 }

[debater]
kind = "model"
backend = { kind = "python", target = "tests.api_replies:role_reply" }
model = { model = "debater-model", price = { input_per_mtok = 1000, output_per_mtok = 2000 } }

[[judges]]
kind = "model"
name = "judge"
backend = { kind = "python", target = "tests.api_replies:role_reply" }
model = { model = "judge-model"PRICE_FIELD }
"""


def write_config(tmp_path: Path, priced: bool = True) -> Path:
    field = ", price = { input_per_mtok = 500, output_per_mtok = 500 }" if priced else ""
    path = tmp_path / "costed.toml"
    path.write_text(CONFIG.replace("PRICE_FIELD", field))
    return path


def test_price_table_matches_dated_snapshots_by_longest_prefix() -> None:
    assert default_price("gpt-4o-mini-2024-07-18") == default_price("gpt-4o-mini")
    assert default_price("gpt-4o-2024-08-06") == default_price("gpt-4o")
    assert default_price("gpt-4o") != default_price("gpt-4o-mini")
    assert default_price("gpt2") is None and default_price("my-local-model") is None
    assert PRICE.cost(1_000_000, 500_000) == pytest.approx(2000.0)


async def test_max_cost_stops_scheduling_and_resume_runs_the_rest(tmp_path: Path) -> None:
    model = Model(FunctionBackend(lambda r: "ok words"), ModelConfig(model="m", price=PRICE))
    judge = Model(
        FunctionBackend(lambda r: "Probabilities: A=0.5, B=0.5"),
        ModelConfig(model="j", price=PRICE),
    )
    questions = [
        Question(id=f"q{i}", text="?", options=["a", "b"], correct_index=0) for i in range(6)
    ]
    protocol = build_protocol("debate-sequential", {"rounds": 1})
    jobs = [
        LiveJob(f"d{i}", q, protocol, ModelDebater(model), ModelJudge(judge), seed=i)
        for i, q in enumerate(questions)
    ]
    store = JsonlStore(tmp_path / "t.jsonl")
    first = await run_many(jobs[:1], concurrency=1)
    per_debate = first[0].usage.cost_usd
    assert per_debate > 0 and first[0].usage.calls == 3
    ran = await run_many(jobs, store=store, concurrency=1, max_cost_usd=2.5 * per_debate)
    assert [t.debate_id for t in ran] == ["d0", "d1", "d2"]  # stops once 2.5 debates are spent
    assert sum(t.usage.cost_usd for t in ran) == pytest.approx(3 * per_debate)
    rest = await run_many(jobs, store=JsonlStore(store.path), concurrency=1)
    assert [t.debate_id for t in rest] == ["d3", "d4", "d5"]
    assert len(load_transcripts(store.path)) == 6


def test_dry_run_plans_exactly_the_calls_a_run_makes_and_writes_nothing(tmp_path: Path) -> None:
    config, out = write_config(tmp_path), tmp_path / "run"
    runner = CliRunner()
    planned = runner.invoke(app, ["run", "--config", str(config), "--out", str(out), "--dry-run"])
    assert planned.exit_code == 0, planned.output
    assert not out.exists()
    text = " ".join(planned.output.split())
    # 3 questions x 2 orders; each debate: 4 speeches, 1 judge question, 1 verdict.
    assert "6 debates planned (0 already stored), 36 model calls" in text
    assert "estimated cost $" in text
    done = runner.invoke(app, ["run", "--config", str(config), "--out", str(out)])
    assert done.exit_code == 0, done.output
    transcripts = load_transcripts(out)
    assert sum(t.usage.calls for t in transcripts) == 36
    total = sum(t.usage.cost_usd for t in transcripts)
    assert total > 0 and f"cost ${total:.4f}" in " ".join(done.output.split())
    results = json.loads((out / "results.json").read_text())
    assert results[0]["cost_usd"] == pytest.approx(total)


def test_max_cost_on_the_cli_stops_and_says_so(tmp_path: Path) -> None:
    config, out = write_config(tmp_path), tmp_path / "run"
    runner = CliRunner()
    stopped = runner.invoke(
        app, ["run", "--config", str(config), "--out", str(out), "--max-cost", "0.000001"]
    )
    assert stopped.exit_code == 0, stopped.output
    text = " ".join(stopped.output.split())
    assert "ran 1 debates" in text and "5 debates not started" in text and "--resume" in text
    plan = runner.invoke(
        app, ["run", "--config", str(config), "--out", str(out), "--resume", "--dry-run"]
    )
    assert "5 debates planned (1 already stored)" in " ".join(plan.output.split())
    resumed = runner.invoke(app, ["run", "--config", str(config), "--out", str(out), "--resume"])
    assert resumed.exit_code == 0 and "not started" not in resumed.output
    assert len(load_transcripts(out)) == 6


def test_max_cost_needs_a_price_for_every_model(tmp_path: Path) -> None:
    config, out = write_config(tmp_path, priced=False), tmp_path / "run"
    result = CliRunner().invoke(
        app, ["run", "--config", str(config), "--out", str(out), "--max-cost", "5"]
    )
    assert result.exit_code == 2
    assert "needs a price for every model" in result.output and "'judge-model'" in result.output
    assert not (out / "transcripts.jsonl").exists()
