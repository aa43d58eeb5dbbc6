"""Results give the share of verdicts that parsed, per cell and per model-judge backend.

An unparsed verdict counts wrong, so a judge whose backend cannot make its replies readable
looks like a bad judge; the parse rate, next to the backend that judged, says which it is.
"""

from __future__ import annotations

import json
from pathlib import Path

from rich.console import Console

from debate.types import AgentInfo, DebateSetup, Question, Transcript, Verdict
from evals import results_table, summarize, write_report, write_results
from evals.parse_rates import judge_backend, parse_rates

QUESTION = Question(id="q1", text="Who?", options=["the cook", "the gardener"], correct_index=0)
SETUP = DebateSetup(question=QUESTION, shown=[0, 1], seats=[], seed=0)
GRAMMAR = AgentInfo(
    kind="model",
    name="llama",
    model="smollm2",
    settings={
        "probabilities": "logprobs",
        "backend": {"kind": "openai", "base_url": "http://h/v1", "answer_constraint": "grammar"},
    },
)
PLAIN = AgentInfo(
    kind="model",
    name="llama",
    model="smollm2",
    settings={
        "probabilities": "logprobs",
        "backend": {"kind": "openai", "base_url": "http://h/v1"},
    },
)
LOCAL = AgentInfo(
    kind="model", name="local", model="local", settings={"backend": {"kind": "local"}}
)
SIMULATED = AgentInfo(kind="simulated", name="perfect")


def transcript(
    n: int, judge: AgentInfo, cell: dict[str, str], *, parsed: bool = True, error: bool = False
) -> Transcript:
    verdict = None
    if not error:
        verdict = Verdict(probabilities=[0.8, 0.2]) if parsed else Verdict.unparsed(2, "The")
    return Transcript(
        debate_id=f"{cell['judge']}-{n}",
        cell=cell,
        protocol="naive",
        setup=SETUP,
        judge=judge,
        verdict=verdict,
        correct=parsed and not error,
        error="boom" if error else None,
        started_at=0.0,
        finished_at=1.0,
    )


def runs() -> list[Transcript]:
    grammar, plain = {"judge": "grammar"}, {"judge": "plain"}
    return [
        *(transcript(i, GRAMMAR, grammar) for i in range(4)),
        *(transcript(i, PLAIN, plain, parsed=i < 1) for i in range(4)),
        transcript(9, PLAIN, plain, error=True),  # no verdict: not in the parse rate
    ]


def test_each_cell_names_its_judge_backend_and_parse_rate() -> None:
    constrained, plain = summarize(runs())
    assert (constrained.verdicts, constrained.parse_rate) == (4, 1.0)
    assert constrained.judge_backend == "openai:smollm2 logprobs grammar"
    assert (plain.n, plain.verdicts, plain.parse_rate, plain.errors) == (5, 4, 0.25, 1)
    assert plain.judge_backend == "openai:smollm2 logprobs"


def test_backend_names() -> None:
    assert judge_backend(LOCAL) == "local:local"
    assert judge_backend(SIMULATED) == ""
    assert judge_backend(AgentInfo(kind="model", name="m")) == "model:m"


def test_parse_rates_add_up_per_backend_across_cells() -> None:
    more = [transcript(i, PLAIN, {"judge": "plain", "rounds": "2"}) for i in range(4)]
    rates = {r.backend: (r.parsed, r.verdicts) for r in parse_rates(summarize([*runs(), *more]))}
    assert rates == {"openai:smollm2 logprobs grammar": (4, 4), "openai:smollm2 logprobs": (5, 8)}


def test_results_files_carry_the_parse_rate(tmp_path: Path) -> None:
    write_results(tmp_path, summarize(runs()))
    rows = json.loads((tmp_path / "results.json").read_text())
    assert [(r["judge_backend"], r["parse_rate"], r["verdicts"]) for r in rows] == [
        ("openai:smollm2 logprobs grammar", 1.0, 4),
        ("openai:smollm2 logprobs", 0.25, 4),
    ]
    assert "parse_rate" in (tmp_path / "results.csv").read_text().splitlines()[0]


def test_the_table_and_report_show_the_parse_rate(tmp_path: Path) -> None:
    results = summarize(runs())
    console = Console(record=True, width=200)
    console.print(results_table(results, "run"))
    text = " ".join(console.export_text().split())  # the caption wraps at the table's width
    assert "parsed" in text and "100%" in text and "25%" in text
    assert (
        "verdicts parsed, by judge backend: openai:smollm2 logprobs grammar 4/4 (100%); "
        "openai:smollm2 logprobs 1/4 (25%)"
    ) in text
    report = write_report(tmp_path, results, title="run", meta={}).read_text()
    assert "| parsed |" in report and "Verdicts parsed, by judge backend:" in report


def test_simulated_judges_add_no_caption() -> None:
    results = summarize([transcript(i, SIMULATED, {"judge": "perfect"}) for i in range(2)])
    assert results[0].parse_rate == 1.0 and results[0].judge_backend == ""
    console = Console(record=True, width=200)
    console.print(results_table(results, "run"))
    assert "by judge backend" not in console.export_text()
