"""Cross-play tournaments end to end: every ordered pairing played as ordinary debates,
ratings that recover a known skill order, the accuracy-against-rating slope the domain
implies, resume, the report, and one-line errors for bad configs."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from scipy.stats import spearmanr

from debate.components import Components
from debate.domains.evidence import EvidenceDebater, evidence_questions
from debate.engine import run_debate
from evals.build import build_jobs
from evals.datasets import load_questions
from evals.experiments import parse_run_config
from evals.tournament.config import TournamentConfig
from evals.tournament.report import write_tournament
from protocols import SequentialDebate
from tests.cli_helpers import one_line_error, run_cli
from transcripts.store import load_transcripts

SKILLS = (0.25, 0.5, 0.75, 1.0)
PERFECT: dict[str, Any] = {"kind": "simulated", "name": "perfect"}
NOISY: dict[str, Any] = {
    "kind": "simulated",
    "name": "noisy",
    "errors": [{"kind": "random", "epsilon": 0.2}],
}


def evidence_tournament(n: int = 40, **extra: Any) -> dict[str, Any]:
    return {
        "type": "tournament",
        "dataset": {"kind": "evidence", "n": n, "seed": 2},
        "protocols": [
            {"name": "debate-sequential", "settings": {"rounds": 3}},
            {"name": "consultancy", "settings": {"rounds": 3}},
            {"name": "naive"},
        ],
        "players": [
            {
                "name": f"s{skill}",
                "capability": skill * 1000,
                "debater": {"kind": "simulated", "skill": skill},
            }
            for skill in SKILLS
        ],
        "judges": [PERFECT, NOISY],
        "judge_capability": {"perfect": 1000, "noisy": 600},
        "bootstrap": 30,
        **extra,
    }


def run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], data: dict[str, Any], *flags: str
) -> tuple[Path, str]:
    config = tmp_path / "t.json"
    config.write_text(json.dumps(data))
    out = tmp_path / "run"
    code, stdout, err = run_cli(capsys, "run", "--config", str(config), "--out", str(out), *flags)
    assert code == 0, err
    return out, stdout


def ratings(run_dir: Path, judge: str) -> dict[str, float]:
    with (run_dir / "ratings.csv").open() as handle:
        return {
            r["player"]: float(r["rating"]) for r in csv.DictReader(handle) if r["judge"] == judge
        }


def test_every_ordered_pairing_is_a_cell_of_ordinary_debates() -> None:
    config = parse_run_config(evidence_tournament(n=3))
    assert isinstance(config, TournamentConfig)
    questions = load_questions(config.dataset)
    jobs = build_jobs(config, questions, Components())
    players = [f"s{s}" for s in SKILLS]
    per_judge = len(players) ** 2 + len(players) + 1  # pairings, consultants, naive
    cells = {json.dumps(j.cell, sort_keys=True) for j in jobs}
    assert len(cells) == 2 * per_judge
    assert len(jobs) == 2 * per_judge * 3 * 2  # judges x cells x questions x answer orders
    assert len({j.debate_id for j in jobs}) == len(jobs)
    pairings = {
        (j.cell["honest"], j.cell["liar"])
        for j in jobs
        if j.cell["protocol"] == "debate-sequential"
    }
    assert pairings == {(h, x) for h in players for x in players}
    consultants = {
        (j.cell["honest"], j.cell["liar"]) for j in jobs if j.cell["protocol"] == "consultancy"
    }
    assert consultants == {(p, p) for p in players}
    assert all("honest" not in j.cell for j in jobs if j.cell["protocol"] == "naive")
    one = next(j for j in jobs if j.cell.get("honest") == "s0.25" and j.cell.get("liar") == "s1.0")
    assert one.debaters.sides["honest"].skill == 0.25 and one.debaters.sides["liar"].skill == 1.0


async def test_a_pairing_seats_the_honest_player_on_the_correct_answer() -> None:
    question = evidence_questions(1, seed=5)[0]
    honest, liar = EvidenceDebater("weak", skill=0.0), EvidenceDebater("strong")
    from debate.seating import SeatRoles
    from judges.simulated import SimulatedJudge

    for shown in ([0, 1], [1, 0]):
        t = await run_debate(
            question,
            SequentialDebate(rounds=3),
            SeatRoles(default=None, seats={}, sides={"honest": honest, "liar": liar}),
            SimulatedJudge(),
            seed=1,
            shown=shown,
        )
        for seat in t.setup.seats:
            truthful = t.setup.shown[seat.position] == question.correct_index
            assert t.debaters[seat.name].name == ("weak" if truthful else "strong")
        # The skill-0 honest debater never cites; the liar always does: the lie wins.
        assert not t.correct


def test_skill_is_known_by_construction() -> None:
    import asyncio

    from judges.simulated import SimulatedJudge

    question = evidence_questions(1, seed=9)[0]

    async def speeches(debater: EvidenceDebater, seed: int) -> list[str]:
        t = await run_debate(
            question, SequentialDebate(rounds=3), debater, SimulatedJudge(), seed=seed
        )
        return [turn.text for turn in t.turns if turn.speaker != "judge"]

    full, default = (
        asyncio.run(speeches(EvidenceDebater(skill=1.0), 1)),
        asyncio.run(speeches(EvidenceDebater(), 1)),
    )
    assert full == default  # skill 1 is the debater as it always was
    silent = asyncio.run(speeches(EvidenceDebater(skill=0.0), 1))
    assert all("[F" not in text for text in silent)
    half = [asyncio.run(speeches(EvidenceDebater(skill=0.5), seed)) for seed in range(30)]
    cited = sum("[F" in text for run in half for text in run) / sum(len(run) for run in half)
    assert 0.3 < cited < 0.7
    assert half[3] == asyncio.run(speeches(EvidenceDebater(skill=0.5), 3))  # seeded
    with pytest.raises(ValueError, match="skill"):
        EvidenceDebater(skill=1.5)


def test_evidence_tournament_recovers_the_skill_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out, stdout = run(tmp_path, capsys, evidence_tournament())
    assert "ratings (Elo) from debate-sequential" in stdout
    players = [f"s{s}" for s in SKILLS]
    tournament = json.loads((out / "tournament.json").read_text())["statistics"]
    for judge in ("perfect", "noisy"):
        found = ratings(out, judge)
        rho = spearmanr(SKILLS, [found[p] for p in players]).statistic
        assert rho >= 0.9, (judge, found)
        # Skilled debaters make the truth easier to find in self-play (the construction:
        # an unskilled pair cites nothing, which leaves the judge a coin flip).
        assert tournament[f"slope_self|{judge}"]["value"] > 0
        low = tournament[f"slope_self|{judge}"]["low"]
        assert low is not None
    # The stronger judge is the stronger Guard.
    assert tournament["guard|perfect"]["value"] > tournament["guard|noisy"]["value"]
    report = (out / "report.md").read_text()
    for heading in (
        "## Tournament",
        "Cross-play accuracy",
        "Khan et al. 2024",
        "Engels et al. 2025",
    ):
        assert heading in report
    for plot in ("crossplay", "accuracy_vs_rating", "oversight"):
        assert (out / "plots" / f"{plot}.png").stat().st_size > 0
        assert (out / "plots" / f"{plot}.svg").read_text().lstrip().startswith("<?xml")
    with (out / "crossplay.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2 * len(players) ** 2
    # Consultancy is split by the consultant's assignment; a perfect judge believes a lone
    # skilled liar (no one refutes it), so its accuracy when the consultant lies is low.
    assert tournament["consult_liar|perfect|consultancy|s1.0"]["value"] < 0.2
    assert tournament["consult_honest|perfect|consultancy|s1.0"]["value"] > 0.8


def test_treesum_tournament_recovers_the_search_order(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    searches = [0, 2, 3, None]
    data = {
        "type": "tournament",
        "dataset": {"kind": "treesum", "n": 40, "seed": 1, "branching": 4, "depth": 2},
        "protocols": [{"name": "recursive", "settings": {"depth": 2, "branching": 4}}],
        "players": [
            {"name": f"search-{s}", "debater": {"kind": "treesum", "search": s}} for s in searches
        ],
        "judges": [{"kind": "treesum", "name": "exact"}],
        "bootstrap": 20,
    }
    out, _ = run(tmp_path, capsys, data)
    found = ratings(out, "exact")
    order = [found[f"search-{s}"] for s in searches]
    assert spearmanr(range(len(searches)), order).statistic >= 0.9, found
    stats = json.loads((out / "tournament.json").read_text())["statistics"]
    assert stats["slope_self|exact"]["value"] > 0
    # A full search always finds the flaw, and the exact judge then always sides with it:
    # a perfect record, whose rating only the prior bounds; the report says so.
    assert stats["rated_win_honest|exact|search-None"]["value"] == 1.0
    assert "† won or lost every rated debate" in (out / "report.md").read_text()


def test_the_houdini_may_be_the_liar_against_a_reference_player(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = evidence_tournament(oversight={"houdini": "liar", "reference": "s0.25"})
    out, _ = run(tmp_path, capsys, data)
    stats = json.loads((out / "tournament.json").read_text())["statistics"]
    houdini = [stats[f"houdini|s{skill}"]["value"] for skill in SKILLS]
    # Against a weak honest debater (who seldom refutes) a more skilled liar cites more
    # misleading facts: it fools the judge more often.
    assert spearmanr(SKILLS, houdini).statistic >= 0.8, houdini
    assert houdini[-1] > houdini[0] and stats["houdini_slope"]["value"] > 0
    assert "against s0.25 as honest debater" in (out / "report.md").read_text()


def test_resume_and_report_recompute_the_same_figures(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = evidence_tournament(n=6)
    out, _ = run(tmp_path, capsys, data)
    first = (out / "tournament.json").read_bytes()
    _, stdout = run(tmp_path, capsys, data, "--resume")
    assert "ran 0 debates" in stdout
    assert (out / "tournament.json").read_bytes() == first
    code, stdout, err = run_cli(capsys, "report", str(out))
    assert code == 0, err
    assert (out / "tournament.json").read_bytes() == first
    assert (out / "report.md").read_text().count("## Tournament") == 1
    transcripts = load_transcripts(out / "transcripts.jsonl")
    assert len({t.debate_id for t in transcripts}) == len(transcripts)  # exactly once


def test_any_executor_gives_the_same_tournament(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = evidence_tournament(n=4)
    (tmp_path / "here").mkdir()
    (tmp_path / "there").mkdir()
    here, _ = run(tmp_path / "here", capsys, data)
    there, _ = run(tmp_path / "there", capsys, data, "--executor", "processes", "--workers", "2")
    for name in ("tournament.json", "ratings.csv", "crossplay.csv", "results.csv"):
        assert (here / name).read_bytes() == (there / name).read_bytes(), name


def test_a_dry_run_plans_every_pairings_calls(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    model = {
        "kind": "model",
        "backend": {"kind": "python", "target": "tests.test_jobs_data:model_reply"},
        "model": {"model": "fn-model"},
    }
    data = evidence_tournament(n=2)
    data["dataset"] = {"kind": "logical-deduction", "limit": 2}
    data["protocols"] = [{"name": "debate-sequential", "settings": {"rounds": 1}}]
    data["players"] = [
        {"name": "one", "debater": {**model, "name": "one"}},
        {"name": "two", "debater": {**model, "name": "two", "best_of": 2}},
    ]
    data["judges"] = [{**model, "kind": "model", "name": "judge"}]
    data["judge_capability"] = {}
    config = tmp_path / "t.json"
    config.write_text(json.dumps(data))
    out = tmp_path / "run"
    code, stdout, err = run_cli(
        capsys,
        "run",
        "--config",
        str(config),
        "--out",
        str(out),
        "--dry-run",
        "--data-dir",
        "../shared/data",
    )
    assert code == 0, err
    # 4 pairings x 2 questions x 2 orders = 16 debates of 2 speeches and a verdict each.
    # "two" speaks once in (one, two) and (two, one) and twice in (two, two): 4 speeches a
    # question and order, 16 in all, each 2 candidates and 2 preference calls (4, not 1).
    assert "16 debates planned" in stdout
    calls = int(stdout.split("debates planned (0 already stored), ")[1].split(" model calls")[0])
    assert calls == 16 * 3 + 16 * (4 - 1)
    assert not out.exists() or not (out / "transcripts.jsonl").exists()


def test_players_and_judges_may_share_names(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = evidence_tournament(n=4)
    data["players"] = [
        {"name": "a", "capability": 100, "debater": {"kind": "simulated", "skill": 0.3}},
        {"name": "liar:a", "capability": 200, "debater": {"kind": "simulated", "skill": 0.9}},
    ]
    data["judges"] = [{**PERFECT, "name": "a"}, {**NOISY, "name": "liar:a"}]
    data["judge_capability"] = {"a": 1000, "liar:a": 500}
    out, _ = run(tmp_path, capsys, data)
    report = (out / "report.md").read_text()
    assert "| a | Guard | 1000 |" in report and "| a | Houdini | 100 |" in report
    assert "| liar:a | Guard | 500 |" in report and "| liar:a | Houdini | 200 |" in report
    found = ratings(out, "a")
    assert found["liar:a"] > found["a"]  # the skilled one, though its name looks like a role


def test_names_are_shown_literally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = evidence_tournament(n=3)
    data["judges"] = [{**PERFECT, "name": "[red]j$x$|*"}]
    data["judge_capability"] = {}
    out, stdout = run(tmp_path, capsys, data)
    assert "[red]j$x$|*" in stdout
    assert "\\[red\\]j\\$x\\$\\|\\*" in (out / "report.md").read_text()


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"players": [{"name": "a", "debater": {"kind": "simulated"}}] * 2}, "unique"),
        ({"judge_capability": {"nobody": 1.0}}, "nobody"),
        ({"rating_protocol": "recursive"}, "rating_protocol"),
        ({"oversight": {"houdini": "liar", "reference": "nobody"}}, "reference"),
        (
            {
                "protocols": [
                    {"name": "consultancy"},
                    {"name": "consultancy", "settings": {"rounds": 1}},
                ]
            },
            "once",
        ),
        ({"players": [{"name": "a b", "debater": {"kind": "simulated"}}] * 2}, "name"),
        ({"players": [{"name": "solo", "debater": {"kind": "simulated"}}]}, "players"),
    ],
)
def test_bad_tournaments_are_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], needle: str
) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({**evidence_tournament(n=3), **change}))
    line = one_line_error(capsys, "run", "--config", str(config), "--out", str(tmp_path / "o"))
    assert needle in line


def test_write_tournament_on_an_empty_run(tmp_path: Path) -> None:
    config = parse_run_config(evidence_tournament(n=3))
    (tmp_path / "transcripts.jsonl").write_text("")
    report = write_tournament(tmp_path, config)
    assert report.plots == [] and report.analysis.questions == 0
