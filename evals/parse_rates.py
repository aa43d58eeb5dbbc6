"""How often a model judge's verdicts parsed, by the backend and model that judged.

A verdict that never parsed counts wrong (``Verdict.score``), so a judge whose replies a
backend cannot make readable looks like a bad judge. The parse rate says which it is, and
it depends on where the judge runs: the same logprob judge parsed 7 of 20 verdicts on an
unconstrained llama.cpp server and all of them with its answer letters constrained (see
``debate.models.answer_letters``). So results name each model judge's backend, its model,
how it reads probabilities and its answer constraint, and give the parsed share per cell
(``CellResult.parse_rate``) and per backend (``parse_rates``). Simulated and human judges
have no backend and always parse: they are left out of the per-backend summary.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from debate.types import AgentInfo, Transcript

if TYPE_CHECKING:
    from evals.results import CellResult


def judge_backend(info: AgentInfo) -> str:
    """A model judge as results name it, ``kind:model`` then how it reads probabilities and
    its answer constraint (``openai:smollm2 logprobs grammar``); "" for any other judge."""
    if info.kind != "model":
        return ""
    settings: dict[str, Any] = info.settings
    backend = settings.get("backend")
    backend = backend if isinstance(backend, dict) else {}
    parts = [f"{backend.get('kind', 'model')}:{info.model or info.name}"]
    how = (settings.get("probabilities"), backend.get("answer_constraint"))
    parts += [str(v) for v in how if v]
    return " ".join(parts)


def cell_backends(transcripts: Iterable[Transcript]) -> str:
    """The model-judge backends of one cell's debates, joined (one, in an eval cell)."""
    names = {judge_backend(t.judge) for t in transcripts}
    return ", ".join(sorted(n for n in names if n))


def verdicts_given(transcripts: Iterable[Transcript]) -> tuple[int, int]:
    """(parsed verdicts, verdicts): a failed debate gave none, so it is in neither."""
    verdicts = [t.verdict for t in transcripts if t.verdict is not None]
    return sum(1 for v in verdicts if v.parsed), len(verdicts)


@dataclass(frozen=True)
class ParseRate:
    """The verdicts one model-judge backend gave in a run, and how many parsed."""

    backend: str
    parsed: int
    verdicts: int

    @property
    def rate(self) -> float:
        return self.parsed / self.verdicts if self.verdicts else float("nan")

    def __str__(self) -> str:
        return f"{self.backend} {self.parsed}/{self.verdicts} ({self.rate:.0%})"


def parse_rates(results: Sequence[CellResult]) -> list[ParseRate]:
    """Parsed verdicts per model-judge backend over all cells, in first-seen order."""
    totals: dict[str, tuple[int, int]] = {}
    for r in results:
        if r.judge_backend and r.verdicts:
            parsed, verdicts = totals.get(r.judge_backend, (0, 0))
            totals[r.judge_backend] = (
                parsed + r.verdicts - r.parse_failures,
                verdicts + r.verdicts,
            )
    return [ParseRate(name, parsed, n) for name, (parsed, n) in totals.items()]


def parse_rate_line(results: Sequence[CellResult]) -> str | None:
    """One line for a table caption or a report: the parse rate of each model-judge backend;
    None when no model judge gave a verdict."""
    rates = parse_rates(results)
    if not rates:
        return None
    return "verdicts parsed, by judge backend: " + "; ".join(str(r) for r in rates)
