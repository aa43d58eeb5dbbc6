"""The sparse-pixel MNIST debate of Irving et al. 2018, as a schedule of one-pixel turns.

Two seats, ``first`` and ``second``, alternate; each turn reveals one pixel of the image, ``k``
in all. Which seat is honest is the ``first`` setting (honest first or liar first). The rules
(a legal pixel, never one already revealed, nonzero when ``nonzero_only``, its true value) are
checked by ``check_turn`` on every turn, so a debater that breaks them loses the debate with
the reason recorded. The questions come from ``debate.domains.pixels.digit_questions``: with
``precommit`` the liar's claim is a digit, without it the claim is "not <true digit>".
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from typing import Literal

from pydantic import Field

from debate.domains.mnist import N_PIXELS
from debate.domains.pixels import Claim, check_reveal, code
from debate.errors import ConfigError
from debate.moves import PixelReveal
from debate.protocol import Protocol, Round, register
from debate.types import DebateSetup, Question, Seat, Turn


@register
class PixelDebate(Protocol):
    name = "pixel-debate"
    max_answers = 2  # an honest claim against a lie

    pixels: int = Field(default=6, ge=1, le=N_PIXELS, description="pixels revealed in all")
    first: Literal["honest", "liar"] = Field(default="honest", description="who reveals first")
    precommit: bool = Field(default=True, description="the liar commits to one wrong digit")
    nonzero_only: bool = Field(
        default=True, description="only nonzero pixels may be revealed (the judge's training)"
    )

    def seats(self, question: Question, shown: list[int], rng: random.Random) -> list[Seat]:
        image = question.metadata.get("image")
        if not (isinstance(image, list) and len(image) == N_PIXELS):
            raise ConfigError(f"question {question.id!r} carries no 28x28 image in its metadata")
        try:
            claims = [Claim.parse(option) for option in question.options]
        except ValueError as exc:
            raise ConfigError(f"question {question.id!r}: {exc}") from None
        liar = claims[1 - question.correct_index]
        if len(claims) != 2 or liar.negated == self.precommit:
            kind = "a wrong digit" if self.precommit else "'not <digit>'"
            raise ConfigError(
                f"{self.name} with precommit={self.precommit} needs questions whose liar "
                f"claims {kind}; question {question.id!r} has {[str(c) for c in claims]}"
            )
        honest = shown.index(question.correct_index)
        opener = honest if self.first == "honest" else 1 - honest
        return [Seat(name="first", position=opener), Seat(name="second", position=1 - opener)]

    def schedule(self) -> list[Round]:
        return [
            Round(
                kind="sequential",
                speakers=["first" if i % 2 == 0 else "second"],
                label=f"reveal {i + 1} of {self.pixels}",
            )
            for i in range(self.pixels)
        ]

    def check_turn(self, setup: DebateSetup, turns: Sequence[Turn], turn: Turn) -> None:
        """Reject an illegal reveal, naming the rule it breaks."""
        earlier = [t.expect_move(PixelReveal) for t in turns]  # each passed this check already
        revealed = [code(move.pixel, move.value) for move in earlier]
        image = setup.question.metadata["image"]
        try:
            move = turn.expect_move(PixelReveal)
            check_reveal(image, revealed, move.pixel, move.value, self.nonzero_only)
        except ValueError as exc:
            raise ValueError(f"{turn.speaker} broke the rules: {exc}") from None
