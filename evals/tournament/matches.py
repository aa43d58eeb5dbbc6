"""A tournament's debates as matches: who was honest, who lied, which judge, what it scored.

Every figure of the tournament analyses is computed from these records, read back from the
stored transcripts, so ``debate report`` after a resumed run recomputes them exactly.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from debate.types import Transcript


@dataclass(frozen=True)
class Match:
    """One tournament debate. ``score`` is the honest side's: the verdict's score for the
    correct answer under the project's one rule (1 right, 1/k for a k-way tie, 0 wrong; a
    failed debate or unparsed verdict 0). ``rated``: it ended in a parsed verdict, so it
    counts for the ratings (a failure says nothing about who persuaded)."""

    protocol: str
    judge: str
    honest: str
    liar: str
    question: str
    score: float
    rated: bool
    seats: int
    """Debaters who spoke: 2 in a debate, 1 in consultancy, 0 for the naive judge."""
    consultant_honest: bool | None = None
    """One-seat protocols: whether the consultant defended the correct answer."""

    @property
    def self_play(self) -> bool:
        return self.honest == self.liar


def match_of(t: Transcript) -> Match:
    cell = t.cell
    setup = t.setup
    seats = [s for s in setup.seats if s.name]
    consultant = None
    if len(seats) == 1:
        consultant = setup.shown[seats[0].position] == setup.question.correct_index
    return Match(
        protocol=str(cell.get("protocol", t.protocol)),
        judge=str(cell.get("judge", t.judge.name)),
        honest=str(cell.get("honest", "")),
        liar=str(cell.get("liar", "")),
        question=setup.question.id,
        score=t.score,
        rated=t.usable,
        seats=len(seats),
        consultant_honest=consultant,
    )


def matches_of(transcripts: Iterable[Transcript]) -> list[Match]:
    return [match_of(t) for t in transcripts]


def mean_score(matches: Sequence[Match]) -> float:
    return sum(m.score for m in matches) / len(matches) if matches else float("nan")
