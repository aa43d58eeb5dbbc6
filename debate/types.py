"""Core data types shared by protocols, debaters, judges, transcripts and evals.

Everything that crosses a boundary (a file, a process, a role) is a pydantic model, so a
transcript written today can be validated, re-judged and re-analysed later.
"""

from __future__ import annotations

import string
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from debate.memo import IdentityMemo
from debate.moves import Move, MoveError
from debate.values import Frozen as Frozen
from debate.values import Usage as Usage
from debate.verdict import TIE_TOLERANCE as TIE_TOLERANCE
from debate.verdict import Verdict as Verdict

SCHEMA_VERSION = 1
"""Version of the transcript schema; bump it when a stored field changes meaning."""

LETTERS = string.ascii_uppercase


def letter(position: int) -> str:
    """The label a judge sees for the answer shown at ``position`` (A, B, ...)."""
    return LETTERS[position]


M = TypeVar("M", bound=Move)


class Question(Frozen):
    """A question with known answer options and the index of the correct one.

    ``context`` is visible to debaters but never to the judge: it is what makes debate
    useful (the judge lacks information the debaters have).
    """

    id: str
    text: str
    options: list[str] = Field(min_length=2)
    correct_index: int = Field(ge=0)
    context: str | None = None
    public_data: dict[str, Any] = Field(
        default_factory=dict,
        description="material the judge may consult (e.g. the program of a computation)",
    )
    metadata: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _correct_in_range(self) -> Question:
        if self.correct_index >= len(self.options):
            raise ValueError(
                f"correct_index {self.correct_index} is out of range for "
                f"{len(self.options)} options"
            )
        return self


class AgentInfo(Frozen):
    """Who played a role: enough to rebuild it (model id, sampling settings, seed)."""

    kind: str
    name: str
    model: str | None = None
    settings: dict[str, Any] = Field(default_factory=dict)


class Seat(Frozen):
    """A speaking role in a debate, bound to the answer (by shown position) it defends, or
    ``open``: free to hold any answer, which each of its turns states (a ``Stance`` move)."""

    name: str
    position: int = Field(ge=0, description="index into DebateSetup.shown (0 when open)")
    open: bool = Field(
        default=False,
        description="the seat defends no assigned answer: each turn states the one it holds "
        "(multi-agent debate); the turn's position is that answer",
    )
    role: Literal["debater", "judge"] = Field(
        default="debater",
        description=(
            "'judge' only in transcripts written before the judge spoke in judge_question "
            "rounds alone (recursive consultancy's challenger seat); the engine refuses it"
        ),
    )


TurnKind = Literal["speech", "judge_question", "answer", "question"]
"""``question``: a debater questioning its opponent (cross-examination); ``answer``: a reply
to the question just before it (the judge's, or the opponent's)."""


class Speech(Frozen):
    """What a debater returns for one turn: the text plus bookkeeping."""

    text: str
    evidence: list[str] = Field(
        default_factory=list, description="ids of context items the speech cites"
    )
    data: dict[str, Any] = Field(
        default_factory=dict,
        description="structured move, for game-like protocols (build it with Move.to_data)",
    )
    confidence: float | None = Field(
        default=None, ge=0, le=1, description="how sure the speaker says it is"
    )
    usage: Usage = Usage()
    request: dict[str, Any] | None = Field(
        default=None, description="the model request that produced it, for reproduction"
    )

    def move(self, kind: type[M]) -> M | None:
        """The ``kind`` move this speech carries, validated; None if none (see debate.moves)."""
        return kind.read(self.data)


class Said(str):
    """Text that also carries the usage and request of the model call that produced it.

    A ``str``, so a role whose method returns ``str`` (``QuestioningJudge.ask``) can report
    what its question cost without changing that signature; a plain ``str`` costs nothing.
    """

    usage: Usage
    request: dict[str, Any] | None

    def __new__(
        cls, text: str, usage: Usage | None = None, request: dict[str, Any] | None = None
    ) -> Said:
        said = super().__new__(cls, text)
        said.usage = usage or Usage()
        said.request = request
        return said


class Quote(Frozen):
    """One quote in a turn, checked against the hidden passage (see debate.quotes)."""

    text: str
    start: int = Field(description="offset of the opening tag in the turn's text")
    end: int = Field(description="offset just past the closing tag")
    verified: bool
    score: float = Field(description="best match score against the passage, 0-100")


_MOVES_READ = IdentityMemo()


class Turn(Frozen):
    """One recorded contribution to a debate."""

    index: int
    round: int
    kind: TurnKind = "speech"
    speaker: str
    position: int | None = Field(
        default=None, description="shown position of the answer the speaker defends"
    )
    text: str
    evidence: list[str] = Field(default_factory=list)
    data: dict[str, Any] = Field(default_factory=dict)
    confidence: float | None = None
    quotes: list[Quote] = Field(default_factory=list, description="quotes, checked")
    started_at: float
    duration_s: float
    usage: Usage = Usage()
    request: dict[str, Any] | None = None

    def has_move(self, kind: type[Move]) -> bool:
        """Whether this turn carries a ``kind`` move (read it with ``move``)."""
        return kind.marker in self.data

    def move(self, kind: type[M]) -> M | None:
        """The ``kind`` move this turn carries, validated; None if it carries none, and a
        one-line ``MoveError`` if it carries a malformed one (see debate.moves). Game judges
        and players re-read every turn each level, so reads of a turn are remembered."""
        return _MOVES_READ.get(self, kind, lambda: kind.read(self.data))

    def expect_move(self, kind: type[M]) -> M:
        """The ``kind`` move this turn must carry; ``MoveError`` naming the turn if absent."""
        move = self.move(kind)
        if move is None:
            raise MoveError(f"turn {self.index} by {self.speaker} carries no {kind.label}")
        return move


class DebateSetup(Frozen):
    """The concrete instance a protocol runs: which answers are shown, in which order."""

    question: Question
    shown: list[int] = Field(
        min_length=2, description="option indices shown to the judge, in display order"
    )
    seats: list[Seat] = Field(default_factory=list)
    seed: int

    @property
    def correct_position(self) -> int:
        """Shown position of the correct answer."""
        return self.shown.index(self.question.correct_index)

    def answer_text(self, position: int) -> str:
        return self.question.options[self.shown[position]]

    def seat(self, name: str) -> Seat:
        for seat in self.seats:
            if seat.name == name:
                return seat
        raise KeyError(f"no seat named {name!r}; seats are {[s.name for s in self.seats]}")


class JudgeView(Frozen):
    """Everything the judge may see: never the hidden context, never the correct index."""

    debate_id: str
    protocol: str
    question: str
    answers: list[str]
    turns: list[Turn]
    seed: int
    question_id: str = ""
    public_data: dict[str, Any] = Field(default_factory=dict)
    protocol_settings: dict[str, Any] = Field(default_factory=dict)


class DebaterView(Frozen):
    """What a debater sees when it must speak.

    Debaters see the hidden context and, for simulated players of known-truth domains,
    the question object itself (so an honest or lying strategy can be simulated).
    """

    debate_id: str
    protocol: str
    setup: DebateSetup
    seat: Seat
    round: int
    rounds: int
    label: str = Field(description="what this round is for, e.g. 'opening' or 'rebuttal'")
    turns: list[Turn]
    instruction: str = ""

    @property
    def answer(self) -> str:
        return self.setup.answer_text(self.seat.position)

    @property
    def opponent_answers(self) -> list[str]:
        return [
            self.setup.answer_text(p)
            for p in range(len(self.setup.shown))
            if p != self.seat.position
        ]


class Transcript(BaseModel):
    """The whole record of one debate, written once when it finishes.

    Holds all that is needed to reproduce or re-judge it: schema version, protocol and its
    settings, who played each role with which settings and seeds, every turn, the verdict.
    """

    model_config = ConfigDict(extra="forbid")

    version: int = SCHEMA_VERSION
    debate_id: str
    cell: dict[str, Any] = Field(
        default_factory=dict, description="eval cell parameters this debate belongs to"
    )
    protocol: str
    protocol_settings: dict[str, Any] = Field(default_factory=dict)
    setup: DebateSetup
    debaters: dict[str, AgentInfo] = Field(default_factory=dict)
    judge: AgentInfo
    turns: list[Turn] = Field(default_factory=list)
    verdict: Verdict | None = None
    correct: bool = False
    p_correct: float | None = None
    error: str | None = None
    started_at: float
    finished_at: float
    usage: Usage = Usage()

    @property
    def usable(self) -> bool:
        """Whether the debate ended in a parsed verdict (no error)."""
        return self.error is None and self.verdict is not None and self.verdict.parsed

    @property
    def score(self) -> float:
        """The debate's score under ``Verdict.score``; a failed debate scores 0."""
        if not self.usable or self.verdict is None:
            return 0.0
        return self.verdict.score(self.setup.correct_position)

    @property
    def tie(self) -> bool:
        return self.usable and self.verdict is not None and bool(self.verdict.tied)

    @property
    def p_scored(self) -> float:
        """The probability on the correct answer as every probability metric counts it: a
        failed debate or unparsed verdict puts 0 on it, just as accuracy counts it wrong."""
        if not self.usable or self.verdict is None:
            return 0.0
        return self.verdict.probabilities[self.setup.correct_position]
