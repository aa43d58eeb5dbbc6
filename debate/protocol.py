"""Protocols as data: a protocol declares its seats and a schedule of typed rounds.

The engine executes rounds; a protocol never drives debaters itself. A new protocol is a
short subclass (see README), registered by name so configs can refer to it.
"""

from __future__ import annotations

import random
from abc import abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar, Literal, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from debate.errors import ConfigError, validation_message
from debate.imports import import_target
from debate.memo import IdentityMemo
from debate.registry import entry_point_names, load_entry_point
from debate.types import LETTERS, DebateSetup, Question, Seat, Turn, TurnKind, letter

RoundKind = Literal["simultaneous", "sequential", "judge_question"]
JUDGE = "judge"
"""The speaker of a ``judge_question`` round."""


class Round(BaseModel):
    """One round of a schedule.

    ``simultaneous``: every speaker sees only the turns before the round, and speaks
    concurrently. ``sequential``: speakers go in order, each seeing those before it.
    ``judge_question``: the judge (speakers ``["judge"]``, a ``QuestioningJudge``) asks a
    question, or makes a move such as a challenge, from its view so far; it is recorded as a
    ``judge_question`` turn. It is the only way a judge speaks: a judge holds no seat.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    kind: RoundKind
    speakers: list[str] = Field(min_length=1, description="seat names, in speaking order")
    label: str = Field(default="argument", description="what the round is for")
    instruction: str = Field(default="", description="extra instruction given to speakers")
    turn: Literal["speech", "answer", "question"] = Field(
        default="speech",
        description="kind of the turns debaters give: 'answer' replies to the question before",
    )

    @model_validator(mode="after")
    def _judge_speaks_alone(self) -> Round:
        if (self.kind == "judge_question") != (self.speakers == [JUDGE]):
            raise ValueError("a judge_question round has exactly the speakers ['judge']")
        return self

    @property
    def asks_judge(self) -> bool:
        return self.kind == "judge_question"

    @property
    def turn_kind(self) -> TurnKind:
        """The kind of this round's turns: the one place that says what a judge's turn is."""
        return "judge_question" if self.asks_judge else self.turn


MAX_ROUNDS = 100
"""Upper bound on any protocol's rounds: far above any debate studied, low enough that a
typo (``rounds = 1e9``) is refused at once instead of running until killed."""


def round_label(index: int, total: int) -> str:
    """Conventional labels: opening, rebuttal..., closing."""
    if index == 0:
        return "opening"
    return "closing" if index == total - 1 else "rebuttal"


DEFAULT_ANSWERS = 2
MAX_ANSWERS = len(LETTERS)
"""Most answers a judge can be shown: one letter (A-Z) each."""


_SCHEDULES = IdentityMemo(1024)


class Protocol(BaseModel):
    """Base class of every protocol. Subclass fields are the protocol's settings.

    ``answers`` (shown answers, one debater each in debates) is a setting of every protocol,
    recorded only when it is not the default 2, so the settings, eval cells and debate ids
    of two-answer runs are those of the versions before it was a setting.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: ClassVar[str]
    max_answers: ClassVar[int] = MAX_ANSWERS
    """Most answers the protocol can show: 2 for two-sided ones (recursive, pixels)."""
    protagonist: ClassVar[str | None] = None
    """The one seat whose side results are split on (``protagonist_correct``): the
    consultant, or the chooser of open roles; None where both sides speak."""

    answers: int = Field(
        default=DEFAULT_ANSWERS,
        ge=2,
        le=MAX_ANSWERS,
        description="answers shown to the judge (the correct one plus distractors)",
    )

    @model_validator(mode="after")
    def _answers_fit(self) -> Self:
        if self.answers > self.max_answers:
            sides = "is two-sided: it shows" if self.max_answers == 2 else "shows at most"
            raise ValueError(
                f"protocol {self.name!r} {sides} {self.max_answers} answers, not {self.answers}"
            )
        return self

    @property
    def n_answers(self) -> int:
        """How many answers are shown to the judge (the correct one plus distractors)."""
        return self.answers

    @abstractmethod
    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        """Who speaks, and which shown answer each defends."""

    @abstractmethod
    def schedule(self) -> list[Round]:
        """The rounds, in order."""

    def cached_schedule(self) -> tuple[Round, ...]:
        """``schedule()``, built once per protocol object (a protocol is immutable, and the
        engine asks for it in every debate)."""
        return _SCHEDULES.get(self, "schedule", lambda: tuple(self.schedule()))

    def check_question(self, question: Question) -> None:
        """Raise ``ConfigError`` (one line, naming the question) if this protocol cannot run
        ``question``. Called for every question when a run is built, before anything is
        written, so a mismatch of protocol and dataset never surfaces mid-run."""
        if len(question.options) < self.n_answers:
            raise ConfigError(
                f"protocol {self.name!r} shows {self.n_answers} answers but question "
                f"{question.id!r} has only {len(question.options)} options"
            )

    def has_debaters(self) -> bool:
        """Whether any round has a debater speak (the naive judge has none)."""
        return any(r.speakers and not r.asks_judge for r in self.cached_schedule())

    def speaking_seats(self) -> list[str]:
        """The seats that speak in the debaters' rounds, in order of first speech (two in a
        debate, one in consultancy, none for the naive judge)."""
        names = [n for r in self.cached_schedule() if not r.asks_judge for n in r.speakers]
        return list(dict.fromkeys(names))

    def needs_questioning_judge(self) -> bool:
        """Whether the schedule has judge questions (the judge must be a QuestioningJudge)."""
        return any(r.asks_judge for r in self.cached_schedule())

    def check_turn(self, setup: DebateSetup, turns: Sequence[Turn], turn: Turn) -> None:
        """Rules of game-like protocols: raise ValueError, naming the rule, if ``turn`` (given
        the ``turns`` before it) is illegal. The engine checks a sequential round's turn as soon
        as it is spoken (a later speaker never reads an illegal turn), a simultaneous round's
        when the round ends; the debate then fails with that reason. Default: anything goes."""

    def bind(self, setup: DebateSetup, turns: Sequence[Turn]) -> DebateSetup:
        """The setup the next turns see, given the turns so far: open roles bind their seats
        once the choosing seat has stated its answer (``ChosenSides``). The engine calls it
        after every turn; the transcript records the last setup. Default: unchanged."""
        return setup

    def protagonist_correct(self, setup: DebateSetup) -> bool | None:
        """Whether the protagonist holds the correct answer in ``setup`` (assigned, or
        chosen: open roles); None with no protagonist, or one that has not chosen yet."""
        if self.protagonist is None:
            return None
        seat = setup.seat(self.protagonist)
        return None if seat.open else seat.position == setup.correct_position

    def settings(self) -> dict[str, Any]:
        """Settings as recorded in transcripts and eval cells (``answers`` only when it is
        not the default: see the class docstring)."""
        settings = self.model_dump(mode="json")
        if self.answers == DEFAULT_ANSWERS:
            del settings["answers"]
        return settings


def debater_seats(n_answers: int) -> list[Seat]:
    """One debater per shown answer, named by the answer's letter."""
    return [Seat(name=f"debater_{letter(p)}", position=p) for p in range(n_answers)]


class DebateRounds(Protocol):
    """Base of the classic debates: one debater per shown answer, ``rounds`` rounds of one
    kind. Subclasses set ``name`` and ``round_kind``."""

    round_kind: ClassVar[RoundKind]

    rounds: int = Field(
        default=2, ge=1, le=MAX_ROUNDS, description="rounds; every debater speaks once a round"
    )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        return debater_seats(len(shown))

    def schedule(self) -> list[Round]:
        speakers = [seat.name for seat in debater_seats(self.n_answers)]
        return [
            Round(kind=self.round_kind, speakers=speakers, label=round_label(i, self.rounds))
            for i in range(self.rounds)
        ]


_REGISTRY: dict[str, type[Protocol]] = {}
PROTOCOL_ENTRY_POINTS = "debate_lab.protocols"
"""Plug-ins add protocols as ``[project.entry-points."debate_lab.protocols"] name = "pkg.mod"``."""


P = TypeVar("P", bound=type[Protocol])


def register(cls: P) -> P:
    """Class decorator: make a protocol available by its ``name`` in configs."""
    existing = _REGISTRY.get(cls.name)
    reloaded = existing is not None and (existing.__module__, existing.__qualname__) == (
        cls.__module__,
        cls.__qualname__,
    )
    if existing is not None and not reloaded:
        raise ValueError(f"protocol name {cls.name!r} is already registered by {existing}")
    _REGISTRY[cls.name] = cls
    return cls


def registered_protocols() -> dict[str, type[Protocol]]:
    import protocols  # noqa: F401  (importing registers the built-in protocols)

    return dict(_REGISTRY)


def resolve_protocol(name: str) -> type[Protocol]:
    """A registered name, or ``package.module:ClassName`` for a protocol defined elsewhere."""
    if ":" in name:
        cls = import_target(name)
        if not (isinstance(cls, type) and issubclass(cls, Protocol)):
            raise ConfigError(f"{name!r} is not a Protocol subclass")
        return cls
    known = registered_protocols()
    if name not in known and load_entry_point(
        PROTOCOL_ENTRY_POINTS, name, "protocol", lambda: name in _REGISTRY
    ):
        known = registered_protocols()
    if name not in known:
        names = sorted({*known, *entry_point_names(PROTOCOL_ENTRY_POINTS)})
        raise ConfigError(f"unknown protocol {name!r}; known: {', '.join(names)}")
    return known[name]


def unregister(name: str) -> None:
    """Forget the protocol ``name`` (a notebook or test redefining it); unknown: no-op."""
    _REGISTRY.pop(name, None)


def build_protocol(name: str, settings: dict[str, Any] | None = None) -> Protocol:
    """Instantiate a protocol from config, with a one-line error for bad settings."""
    cls = resolve_protocol(name)
    try:
        return cls(**(settings or {}))
    except ValidationError as exc:
        message = validation_message(exc)
        raise ConfigError(f"bad settings for protocol {name!r}: {message}") from None
