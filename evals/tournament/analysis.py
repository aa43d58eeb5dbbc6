"""Every tournament figure as one function of question weights, so the bootstrap resamples
questions once and recomputes all of them together (ratings, win rates, the cross-play
matrix, the Khan et al. slopes, the Engels et al. fits) from the same draw.

Matches are tallied once per group (protocol, judge, honest, liar, ...) and question; a
set of question weights (all 1 for the point estimate, the draw counts for a bootstrap
resample) then gives every group's total score and count with one matrix product.
Statistics are named ``kind|judge|...`` in a flat mapping.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from evals.tournament.matches import Match
from evals.tournament.oversight import fit_double_relu, plan_oversight
from evals.tournament.ratings import bootstrap, estimates, fit_wins

Stats = dict[str, float]


@dataclass(frozen=True)
class Setting:
    """What the analyses need besides the matches."""

    players: list[str]
    judges: list[str]
    rating_protocol: str | None
    player_capability: Mapping[str, float]
    judge_capability: Mapping[str, float]
    oversight_start: float | None
    gaps: list[float]
    max_steps: int
    prior: float
    houdini: str = "self-play"
    """Who the Houdini is: 'self-play' (a player on both sides) or 'liar' (against
    ``reference``, the honest player)."""
    reference: str | None = None
    consultancies: tuple[str, ...] = ()
    """Protocols with one debater (each player consults, honest or lying)."""
    baselines: tuple[str, ...] = ()
    """Protocols with no debater (the naive judge)."""

    def roles(self) -> tuple[tuple[str, list[str]], ...]:
        """The oversight game's two roles and who plays them: judges guard, players hide."""
        return (("guard", self.judges), ("houdini", self.players))

    def capability(self, role: str) -> Mapping[str, float]:
        """General capability by name, of the judges (``guard``) or the players."""
        return self.judge_capability if role == "guard" else self.player_capability


@dataclass(frozen=True)
class Group:
    protocol: str
    judge: str
    honest: str
    liar: str
    seats: int
    rated: bool
    consultant_honest: bool | None


class Tallies:
    """Score sums and debate counts per group and question, and the selections of groups
    the statistics ask for (each computed once, then reused by every resample)."""

    def __init__(self, matches: Sequence[Match]) -> None:
        self.questions = sorted({m.question for m in matches})
        column = {q: i for i, q in enumerate(self.questions)}
        rows: dict[Group, int] = {}
        keys = [
            Group(m.protocol, m.judge, m.honest, m.liar, m.seats, m.rated, m.consultant_honest)
            for m in matches
        ]
        for key in keys:
            rows.setdefault(key, len(rows))
        self.groups = list(rows)
        self.scores = np.zeros((len(rows), len(self.questions)))
        self.counts = np.zeros_like(self.scores)
        for m, key in zip(matches, keys, strict=True):
            self.scores[rows[key], column[m.question]] += m.score
            self.counts[rows[key], column[m.question]] += 1
        self._masks: dict[tuple[object, ...], np.ndarray] = {}

    def mask(self, *criteria: tuple[str, object]) -> np.ndarray:
        """Groups whose fields equal the given values (``("seats", 2)``: exactly two;
        ``("debated", True)``: two or more)."""
        found = self._masks.get(criteria)
        if found is None:
            found = np.array(
                [all(_field(g, k) == v for k, v in criteria) for g in self.groups], dtype=bool
            )
            self._masks[criteria] = found
        return found

    def totals(self, weight: np.ndarray) -> Totals:
        return Totals(self, self.scores @ weight, self.counts @ weight)


def _field(group: Group, name: str) -> object:
    return group.seats >= 2 if name == "debated" else getattr(group, name)


@dataclass(frozen=True)
class Totals:
    """Each group's total score and count under one set of question weights."""

    tallies: Tallies
    score: np.ndarray
    count: np.ndarray

    def mean(self, *criteria: tuple[str, object]) -> float:
        mask = self.tallies.mask(*criteria)
        count = float(self.count[mask].sum())
        return float(self.score[mask].sum()) / count if count else math.nan


def _slope(x: Sequence[float], y: Sequence[float]) -> float:
    """Least-squares slope of y on x, per 100 x (nan with fewer than two distinct x)."""
    pts = [(a, b) for a, b in zip(x, y, strict=True) if math.isfinite(a) and math.isfinite(b)]
    if len({a for a, _ in pts}) < 2:
        return math.nan
    slope = np.polyfit([a for a, _ in pts], [b for _, b in pts], 1)[0]
    return float(slope) * 100.0


def statistics(totals: Totals, s: Setting) -> Stats:
    out: Stats = {}
    for judge in s.judges:
        _judge_stats(out, judge, totals, s)
    _oversight_stats(out, totals, s)
    return out


def _judge_stats(out: Stats, judge: str, t: Totals, s: Setting) -> None:
    n = len(s.players)
    rated = (("judge", judge), ("protocol", s.rating_protocol), ("debated", True))
    # Items 0..n-1: each player as honest debater; n..2n-1: the same players as liars.
    honest = {p: i for i, p in enumerate(s.players)}
    liars = {p: n + i for i, p in enumerate(s.players)}
    wins = _role_wins(t, honest, liars, rated)
    elo = fit_wins(wins, s.prior)
    rating: dict[str, float] = {}
    for p, i in honest.items():
        out[f"elo_honest|{judge}|{p}"] = elo[i]
        out[f"elo_liar|{judge}|{p}"] = elo[n + i]
        rating[p] = out[f"rating|{judge}|{p}"] = (elo[i] + elo[n + i]) / 2
        out[f"win_honest|{judge}|{p}"] = t.mean(*rated, ("honest", p))
        out[f"win_liar|{judge}|{p}"] = 1 - t.mean(*rated, ("liar", p))
        # Over the rated debates alone: a record of all wins or all losses leaves the
        # rating to the prior (the report marks it).
        out[f"rated_win_honest|{judge}|{p}"] = t.mean(*rated, ("rated", True), ("honest", p))
        out[f"rated_win_liar|{judge}|{p}"] = 1 - t.mean(*rated, ("rated", True), ("liar", p))
    for h in s.players:
        for x in s.players:
            out[f"cross|{judge}|{h}|{x}"] = t.mean(*rated, ("honest", h), ("liar", x))
    # Khan et al.: accuracy in self-play and in consultancy against the debater's rating,
    # and in cross-play against the honest debater's rating lead.
    ratings = [rating[p] for p in s.players]
    self_play = [out[f"cross|{judge}|{p}|{p}"] for p in s.players]
    for p, acc in zip(s.players, self_play, strict=True):
        out[f"self|{judge}|{p}"] = acc
    out[f"slope_self|{judge}"] = _slope(ratings, self_play)
    pairs = [(h, x) for h in s.players for x in s.players if h != x]
    out[f"slope_cross|{judge}"] = _slope(
        [rating[h] - rating[x] for h, x in pairs],
        [out[f"cross|{judge}|{h}|{x}"] for h, x in pairs],
    )
    for protocol in s.consultancies:
        consulted = (("judge", judge), ("protocol", protocol), ("seats", 1))
        accs = []
        for p in s.players:
            accs.append(t.mean(*consulted, ("honest", p)))
            out[f"consult|{judge}|{protocol}|{p}"] = accs[-1]
            for side, truthful in (("honest", True), ("liar", False)):
                out[f"consult_{side}|{judge}|{protocol}|{p}"] = t.mean(
                    *consulted, ("honest", p), ("consultant_honest", truthful)
                )
        out[f"slope_consult|{judge}|{protocol}"] = _slope(ratings, accs)
    for protocol in s.baselines:
        out[f"naive|{judge}|{protocol}"] = t.mean(("judge", judge), ("protocol", protocol))


def _role_wins(
    t: Totals,
    honest: Mapping[str, int],
    liars: Mapping[str, int],
    rated: tuple[tuple[str, object], ...],
) -> np.ndarray:
    """Wins of each player as honest debater (item ``honest[name]``) against each as liar
    (item ``liars[name]``)."""
    size = len(honest) + len(liars)
    wins = np.zeros((size, size))
    mask = t.tallies.mask(("rated", True), *rated)
    for row in np.flatnonzero(mask):
        group = t.tallies.groups[row]
        a, b = honest.get(group.honest), liars.get(group.liar)
        if a is not None and b is not None:
            wins[a, b] += t.score[row]
            wins[b, a] += t.count[row] - t.score[row]
    return wins


def _oversight_stats(out: Stats, t: Totals, s: Setting) -> None:
    """Engels et al.: the judge as Guard, the debater as Houdini (in self-play, or lying
    against the reference player); the Guard wins when it finds the truth. Domain Elo of
    both against general capability."""
    guards = {g: i for i, g in enumerate(s.judges)}
    houdinis = {p: len(guards) + i for i, p in enumerate(s.players)}
    wins = np.zeros((len(guards) + len(houdinis),) * 2)
    mask = t.tallies.mask(("rated", True), ("protocol", s.rating_protocol), ("debated", True))
    for row in np.flatnonzero(mask):
        group = t.tallies.groups[row]
        g, h = guards.get(group.judge), houdinis.get(group.liar)
        if s.houdini == "self-play":
            faced = group.honest == group.liar
        else:
            faced = group.honest == (s.reference or s.players[0])
        if g is not None and h is not None and faced:
            wins[g, h] += t.score[row]
            wins[h, g] += t.count[row] - t.score[row]
    elo = fit_wins(wins, s.prior)
    for name, i in guards.items():
        out[f"guard|{name}"] = elo[i]
    for name, i in houdinis.items():
        out[f"houdini|{name}"] = elo[i]
    fits = {}
    for role, names in s.roles():
        caps = s.capability(role)
        named = [x for x in names if x in caps]
        fit = fit_double_relu([caps[x] for x in named], [out[f"{role}|{x}"] for x in named])
        fits[role] = fit
        out[f"{role}_slope"] = math.nan if fit is None else fit.slope
    guard_fit, houdini_fit = fits["guard"], fits["houdini"]
    if guard_fit is None or houdini_fit is None:
        return
    start = s.oversight_start
    if start is None:
        start = min(s.judge_capability.values())
    for gap in s.gaps:
        plan = plan_oversight(guard_fit, houdini_fit, start, gap, s.max_steps)
        out[f"nested_steps|{gap:g}"] = plan.steps
        out[f"nested_success|{gap:g}"] = plan.success
        out[f"nested_single|{gap:g}"] = plan.single_step
        for k, value in enumerate(plan.by_steps, start=1):
            out[f"nested_curve|{gap:g}|{k}"] = value


@dataclass(frozen=True)
class Analysis:
    """Point estimates of every statistic, with bootstrap percentile intervals."""

    value: Stats
    low: Stats
    high: Stats
    resamples: int
    questions: int

    def get(self, key: str) -> tuple[float, float, float]:
        return (
            self.value.get(key, math.nan),
            self.low.get(key, math.nan),
            self.high.get(key, math.nan),
        )


def analyse(
    matches: Sequence[Match], s: Setting, resamples: int, confidence: float, seed: int
) -> Analysis:
    """Every statistic from all the questions, and its interval from ``resamples``
    resamples of the questions (clustered: a question's debates move together)."""
    tallies = Tallies(matches)
    questions = tallies.questions
    point = statistics(tallies.totals(np.ones(len(questions))), s)
    keys = list(point)

    def resampled(weight: Mapping[str, int]) -> np.ndarray:
        w = np.array([weight.get(q, 0) for q in questions], dtype=float)
        found = statistics(tallies.totals(w), s)
        return np.array([found.get(k, math.nan) for k in keys])

    if resamples and questions:
        draws = bootstrap(questions, resampled, resamples, seed)
    else:
        draws = np.empty((0, len(keys)))
    found = estimates(np.array([point[k] for k in keys]), draws, confidence)
    return Analysis(
        value=dict(point),
        low={k: e.low for k, e in zip(keys, found, strict=True)},
        high={k: e.high for k, e in zip(keys, found, strict=True)},
        resamples=resamples,
        questions=len(questions),
    )
