"""The tournament's outputs, recomputed from the stored debates: ratings with CIs, win
rates, the cross-play matrix, both analyses, their plots, and a section of ``report.md``.

Files: ``tournament.json`` (every statistic with its interval), ``ratings.csv`` (one row
per judge and player), ``crossplay.csv`` (one row per judge, honest and lying player).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path

from rich.table import Table

from evals.report import append_section, md_escape, shown
from evals.results import atomic_write, csv_text
from evals.rundir import TRANSCRIPTS
from evals.tournament.analysis import Analysis, Setting, analyse
from evals.tournament.config import TournamentConfig
from evals.tournament.matches import matches_of
from evals.tournament.oversight import fit_double_relu
from evals.tournament.ratings import DEFAULT_PRIOR
from transcripts.store import read_transcripts


@dataclass(frozen=True)
class TournamentReport:
    analysis: Analysis
    setting: Setting
    plots: list[Path]
    markdown: str


def setting_of(config: TournamentConfig) -> Setting:
    from debate.registry import label

    by_seats: dict[int, list[str]] = {}
    for spec in config.protocols:
        protocol = spec.build()
        names = by_seats.setdefault(min(len(protocol.speaking_seats()), 2), [])
        if protocol.name not in names:
            names.append(protocol.name)
    return Setting(
        players=[p.name for p in config.players],
        judges=[label(j) for j in config.judges],
        rating_protocol=config.rated_protocol(),
        player_capability=config.player_capability(),
        judge_capability=dict(config.judge_capability),
        oversight_start=config.oversight.start,
        gaps=list(config.oversight.gaps),
        max_steps=config.oversight.max_steps,
        prior=DEFAULT_PRIOR,
        houdini=config.oversight.houdini,
        reference=config.oversight.reference,
        consultancies=tuple(by_seats.get(1, [])),
        baselines=tuple(by_seats.get(0, [])),
    )


def _fmt(value: float, digits: int = 0) -> str:
    if not math.isfinite(value):
        return "n/a"
    text = f"{value:.{digits}f}"
    return text[1:] if text.startswith("-") and float(text) == 0 else text  # no "-0"


def _ci(a: Analysis, key: str, digits: int = 0) -> str:
    value, low, high = a.get(key)
    if not math.isfinite(low):
        return _fmt(value, digits)
    return f"{_fmt(value, digits)} [{_fmt(low, digits)}, {_fmt(high, digits)}]"


def _perfect(a: Analysis, key: str) -> bool:
    """A record of all wins or all losses (the key's value is exactly 1 or 0)."""
    value = a.value.get(key, math.nan)
    return value in (0.0, 1.0)


def rating_rows(a: Analysis, s: Setting) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for judge in s.judges:
        for p in s.players:
            row: dict[str, object] = {"judge": judge, "player": p}
            for name in (
                "rating",
                "elo_honest",
                "elo_liar",
                "win_honest",
                "win_liar",
                "rated_win_honest",
                "rated_win_liar",
                "self",
            ):
                value, low, high = a.get(f"{name}|{judge}|{p}")
                row |= {name: value, f"{name}_low": low, f"{name}_high": high}
            rows.append(row)
    return rows


def crossplay_rows(a: Analysis, s: Setting) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    for judge in s.judges:
        for h in s.players:
            for x in s.players:
                value, low, high = a.get(f"cross|{judge}|{h}|{x}")
                rows.append(
                    {
                        "judge": judge,
                        "honest": h,
                        "liar": x,
                        "accuracy": value,
                        "low": low,
                        "high": high,
                    }
                )
    return rows


def _md_table(headers: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


def markdown(a: Analysis, s: Setting, confidence: float) -> str:
    level = f"{confidence:.0%}"
    parts = [
        "## Tournament",
        "",
        f"Ratings are Bradley-Terry fits (choix) on the Elo scale from the verdicts of "
        f"protocol {md_escape(str(s.rating_protocol))}, per judge: each player is rated as "
        "honest debater and as liar, and its rating is the mean of the two. Debates that "
        "failed or whose verdict did not parse are left out of the ratings (they still count "
        f"as wrong in every accuracy). Intervals: {level} percentile intervals of "
        f"{a.resamples} bootstrap resamples of the {a.questions} questions.",
        "",
    ]
    for judge in s.judges:
        rows, marked = [], False
        for p in s.players:
            honest = _perfect(a, f"rated_win_honest|{judge}|{p}")
            liar = _perfect(a, f"rated_win_liar|{judge}|{p}")
            marked = marked or honest or liar
            rows.append(
                [
                    md_escape(p),
                    _ci(a, f"rating|{judge}|{p}") + (" †" if honest or liar else ""),
                    _ci(a, f"elo_honest|{judge}|{p}") + (" †" if honest else ""),
                    _ci(a, f"elo_liar|{judge}|{p}") + (" †" if liar else ""),
                    _ci(a, f"win_honest|{judge}|{p}", 3),
                    _ci(a, f"win_liar|{judge}|{p}", 3),
                ]
            )
        parts += [f"### Ratings, judge {md_escape(judge)}", ""]
        headers = ["player", "rating", "as honest", "as liar", "win rate honest", "win rate liar"]
        parts += [*_md_table(headers, rows), ""]
        if marked:
            parts += [
                "† won or lost every rated debate in that role: the data put no bound on the "
                "rating, which the fit's regularising prior sets (read it as a lower or upper "
                "bound, and its interval as the prior's, not the data's).",
                "",
            ]
        matrix = [
            [md_escape(h)]
            + [_fmt(a.value.get(f"cross|{judge}|{h}|{x}", math.nan), 3) for x in s.players]
            for h in s.players
        ]
        parts += [
            f"Cross-play accuracy, judge {md_escape(judge)} (rows: honest, columns: liar):",
            "",
        ]
        parts += [*_md_table(["honest \\ liar", *(md_escape(x) for x in s.players)], matrix), ""]
    parts += ["### Judge accuracy against debater rating (Khan et al. 2024)", ""]
    slope_rows = []
    for judge in s.judges:
        slope_rows.append(
            [
                md_escape(judge),
                f"{md_escape(str(s.rating_protocol))} self-play",
                _ci(a, f"slope_self|{judge}", 3),
            ]
        )
        slope_rows.append(
            [md_escape(judge), "cross-play (vs rating lead)", _ci(a, f"slope_cross|{judge}", 3)]
        )
        for protocol in s.consultancies:
            key = f"slope_consult|{judge}|{protocol}"
            slope_rows.append([md_escape(judge), md_escape(protocol), _ci(a, key, 3)])
    parts += [*_md_table(["judge", "accuracy of", "slope per 100 Elo"], slope_rows), ""]
    parts += _consultancy_split(a, s)
    parts += _oversight(a, s)
    parts += [
        "![Cross-play matrix](plots/crossplay.png)",
        "",
        "![Accuracy against rating](plots/accuracy_vs_rating.png)",
        "",
    ]
    return "\n".join(parts)


def _consultancy_split(a: Analysis, s: Setting) -> list[str]:
    rows = []
    for judge in s.judges:
        for protocol, p in ((c, p) for c in s.consultancies for p in s.players):
            key = f"consult|{judge}|{protocol}|{p}"
            rows.append(
                [
                    md_escape(judge),
                    md_escape(protocol),
                    md_escape(p),
                    _ci(a, key, 3),
                    _ci(a, f"consult_honest|{judge}|{protocol}|{p}", 3),
                    _ci(a, f"consult_liar|{judge}|{protocol}|{p}", 3),
                ]
            )
    if not rows:
        return []
    headers = ["judge", "protocol", "consultant", "accuracy", "when honest", "when lying"]
    return [
        "Consultancy accuracy, split by the consultant's assignment:",
        "",
        *_md_table(headers, rows),
        "",
    ]


def _oversight(a: Analysis, s: Setting) -> list[str]:
    guard_caps, houdini_caps = s.capability("guard"), s.capability("houdini")
    guards = [g for g in s.judges if g in guard_caps]
    houdinis = [p for p in s.players if p in houdini_caps]
    parts = ["### Oversight scaling (Engels et al. 2025)", ""]
    if len(guards) < 2 or len(houdinis) < 2:
        return [
            *parts,
            "Needs a capability for at least two judges (`judge_capability`) and two players "
            "(`capability`); not computed.",
            "",
        ]
    if s.houdini == "self-play":
        who = "the debater in self-play (the same player on both sides)"
    else:
        who = (
            f"the lying debater, against {md_escape(s.reference or s.players[0])} as honest debater"
        )
    parts += [
        f"Guard: the judge; Houdini: {who}; the Houdini wins when the judge picks the lie. "
        "Domain Elo from one Bradley-Terry fit over every Guard x Houdini debate of "
        f"{md_escape(str(s.rating_protocol))}; fits are double ReLUs chosen by AICc.",
        "",
    ]
    rows = [[md_escape(g), "Guard", f"{guard_caps[g]:g}", _ci(a, f"guard|{g}")] for g in guards]
    rows += [
        [md_escape(p), "Houdini", f"{houdini_caps[p]:g}", _ci(a, f"houdini|{p}")] for p in houdinis
    ]
    parts += [*_md_table(["model", "role", "capability", "domain Elo"], rows), ""]
    for (key, _), names in zip(s.roles(), (guards, houdinis), strict=True):
        caps = s.capability(key)
        fit = fit_double_relu([caps[x] for x in names], [a.value[f"{key}|{x}"] for x in names])
        parts.append(f"- {key.title()} fit: {'none' if fit is None else fit.describe()}")
    parts.append("")
    rows = [
        [
            f"{gap:g}",
            _ci(a, f"nested_steps|{gap:g}"),
            _ci(a, f"nested_success|{gap:g}", 3),
            _ci(a, f"nested_single|{gap:g}", 3),
        ]
        for gap in s.gaps
        if f"nested_steps|{gap:g}" in a.value
    ]
    if rows:
        parts += [
            *_md_table(
                ["capability gap", "best steps", "success at best", "success in one step"], rows
            ),
            "",
        ]
        parts += ["![Oversight scaling](plots/oversight.png)", ""]
    return parts


def write_tournament(run_dir: Path, config: TournamentConfig) -> TournamentReport:
    """Analyse the stored debates of a tournament and write its files and plots; append its
    section to ``report.md`` (written just before by the eval report)."""
    from evals.tournament.plots import plot_accuracy_vs_rating, plot_crossplay, plot_oversight

    _, stored = read_transcripts(run_dir / TRANSCRIPTS, allow_empty=True)
    matches = matches_of(stored.transcripts)
    s = setting_of(config)
    a = analyse(matches, s, config.bootstrap, config.confidence, config.seed)
    blob: dict[str, object] = {
        "resamples": a.resamples,
        "questions": a.questions,
        "confidence": config.confidence,
    }
    blob["statistics"] = {
        k: {"value": _json(v), "low": _json(a.low[k]), "high": _json(a.high[k])}
        for k, v in a.value.items()
    }
    atomic_write(run_dir / "tournament.json", json.dumps(blob, indent=1) + "\n")
    atomic_write(run_dir / "ratings.csv", csv_text(rating_rows(a, s)))
    atomic_write(run_dir / "crossplay.csv", csv_text(crossplay_rows(a, s)))
    plots: list[Path] = []
    if matches:
        folder = run_dir / "plots"
        folder.mkdir(parents=True, exist_ok=True)
        plots += plot_crossplay(folder / "crossplay.png", a, s)
        plots += plot_accuracy_vs_rating(folder / "accuracy_vs_rating.png", a, s)
        if any(k.startswith("nested_steps|") for k in a.value):
            plots += plot_oversight(folder / "oversight.png", a, s)
    text = markdown(a, s, config.confidence)
    append_section(run_dir, text)
    return TournamentReport(a, s, plots, text)


def _json(value: float) -> float | None:
    return value if math.isfinite(value) else None


def ratings_table(report: TournamentReport, title: str) -> Table:
    """The terminal table: each player's rating per judge, with its interval."""
    a, s = report.analysis, report.setting
    table = Table(title=shown(f"{title}: ratings (Elo) from {s.rating_protocol}"))
    table.add_column("player", no_wrap=True)
    for judge in s.judges:
        table.add_column(shown(f"judge {judge}"), justify="right", no_wrap=True)
    for p in s.players:
        table.add_row(shown(p), *(_ci(a, f"rating|{judge}|{p}") for judge in s.judges))
    return table
