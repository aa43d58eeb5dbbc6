"""Playing the pixel debate with search players: one game as a generator of judge requests.

``play_game`` is the whole game (setting up each player's candidate pixels, then one search
per move, then the verdict) written as a generator that yields sets of revealed-pixel codes
and is sent the judge's logits for them. The batched runner drives hundreds of these at once
and answers all their requests with one judge call; ``PixelSearchDebater`` drives the same
code one move at a time inside the engine, so both paths play identical games.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Sequence
from typing import TYPE_CHECKING, Literal, TypeVar

from pydantic import Field

from debate.domains.pixels import (
    HONEST,
    Claim,
    First,
    check_reveal,
    code,
    decode,
    honest_value,
    legal_codes,
    margin,
    movers,
    pixel_name,
)
from debate.moves import PixelReveal
from debate.search.game import Player, Search, SetGame, State, drive
from debate.seeds import derive_seed
from debate.types import AgentInfo, DebaterView, Frozen, Speech

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    Logits = npt.NDArray[np.float32]

T = TypeVar("T")
Exchange = Generator[list[State], "Logits", T]
"""Yields sets of revealed codes, is sent the judge's (n, 10) logits for them."""


class PoolSettings(Frozen):
    """Which pixels each player's search considers, and its prior over them."""

    candidates: int | None = Field(
        default=None,
        ge=1,
        description="restrict each player to the N pixels whose single-pixel verdict favours "
        "it most (None: every legal pixel); the judge is asked about each pixel once",
    )
    prior: Literal["uniform", "judge"] = Field(
        default="uniform",
        description="PUCT prior: uniform (as in the paper), or a softmax of the single-pixel "
        "verdict margin",
    )
    temperature: float = Field(default=1.0, gt=0, description="softmax temperature (logits)")

    @property
    def uses_judge(self) -> bool:
        return self.candidates is not None or self.prior == "judge"


def setup_game(
    image: Sequence[int],
    honest: Claim,
    liar: Claim,
    *,
    pixels: int,
    first: First,
    nonzero_only: bool,
    pool: PoolSettings,
) -> Exchange[SetGame]:
    """Each player's candidate pixels (and prior), from one judge call per legal pixel."""
    import numpy as np

    legal = legal_codes(image, nonzero_only=nonzero_only)
    if len(legal) < pixels:
        raise ValueError(f"the image has {len(legal)} legal pixels, fewer than {pixels}")
    who = movers(pixels, first)
    if not pool.uses_judge:
        both = tuple(legal)
        return SetGame(movers=who, moves=(both, both))
    logits = yield [frozenset({c}) for c in legal]
    edge = margin(logits, honest, liar).astype(np.float64)
    moves, priors = [], []
    for player, sign in ((HONEST, 1.0), (1 - HONEST, -1.0)):  # honest wants a high margin
        favour = sign * edge
        keep = max(pool.candidates or len(legal), who.count(player))  # enough for its moves
        order = np.argsort(-favour, kind="stable")[:keep]
        moves.append(tuple(legal[i] for i in order))
        if pool.prior == "judge":
            weights = np.exp((favour[order] - favour[order].max()) / pool.temperature)
            priors.append(tuple((weights / weights.sum()).tolist()))
        else:
            priors.append(())
    return SetGame(
        movers=who,
        moves=(moves[0], moves[1]),
        priors=(priors[0], priors[1]),
    )


def valued(search: Search, honest: Claim, liar: Claim) -> Exchange[int]:
    """Adapt a player's search (which wants values) to the judge (which gives logits)."""
    try:
        request = next(search)
        while True:
            logits = yield request
            request = search.send(honest_value(logits, honest, liar))
    except StopIteration as done:
        move: int = done.value
        return move


class GameRecord(Frozen):
    """One finished game, as stored by the batched runner."""

    honest: str
    liar: str
    first: First
    moves: list[tuple[int, int]] = Field(description="(pixel, value) in the order revealed")
    logits: list[float] = Field(description="the judge's 10 logits on the final pixels")
    margin: float = Field(description="honest claim's score minus the liar's")
    honest_won: bool


def play_game(
    image: Sequence[int],
    honest: Claim,
    liar: Claim,
    players: tuple[Player, Player],
    *,
    pixels: int,
    first: First,
    nonzero_only: bool,
    pool: PoolSettings,
    seed: int,
) -> Exchange[GameRecord]:
    """The whole game; ``players`` are (honest, liar). Move ``i`` is searched with seed
    ``derive_seed(seed, "move", i)``, as ``PixelSearchDebater`` does in the engine."""
    game = yield from setup_game(
        image, honest, liar, pixels=pixels, first=first, nonzero_only=nonzero_only, pool=pool
    )
    state: State = frozenset()
    order: list[int] = []
    for i, player in enumerate(game.movers):
        search = players[player].choose(game, state, derive_seed(seed, "move", i))
        move = yield from valued(search, honest, liar)
        order.append(move)
        state = state | {move}
    logits = yield [state]
    edge = float(margin(logits, honest, liar)[0])
    return GameRecord(
        honest=str(honest),
        liar=str(liar),
        first=first,
        moves=[decode(c) for c in order],
        logits=[float(x) for x in logits[0]],
        margin=edge,
        honest_won=edge > 0,
    )


class PixelSearchDebater:
    """A search player in an engine-run pixel debate (either seat; it reads which from the
    view). ``judge`` maps sets of codes to logits, e.g. ``PixelEvaluator.logits``."""

    def __init__(
        self,
        player: Player,
        judge: Callable[[list[State]], Logits],
        *,
        pool: PoolSettings | None = None,
        nonzero_only: bool = True,
    ) -> None:
        self.player = player
        self.judge = judge
        self.pool = pool or PoolSettings()
        self.nonzero_only = nonzero_only

    def describe(self) -> AgentInfo:
        settings = {**self.player.describe(), "pool": self.pool.model_dump()}
        return AgentInfo(kind="search", name=str(settings["kind"]), settings=settings)

    async def __call__(self, view: DebaterView) -> Speech:
        question = view.setup.question
        image: list[int] = question.metadata["image"]
        honest = Claim.parse(question.options[question.correct_index])
        liar = Claim.parse(question.options[1 - question.correct_index])
        reveals = [t.expect_move(PixelReveal) for t in view.turns]
        revealed = [code(move.pixel, move.value) for move in reveals]
        me = HONEST if view.seat.position == view.setup.correct_position else 1 - HONEST
        first: First = "honest" if (me == HONEST) == (len(revealed) % 2 == 0) else "liar"
        game = drive(
            setup_game(
                image,
                honest,
                liar,
                pixels=view.rounds,
                first=first,
                nonzero_only=self.nonzero_only,
                pool=self.pool,
            ),
            self.judge,
        )
        seed = derive_seed(view.setup.seed, "move", len(revealed))
        search = self.player.choose(game, frozenset(revealed), seed)
        pixel, value = decode(drive(valued(search, honest, liar), self.judge))
        check_reveal(image, revealed, pixel, value, self.nonzero_only)
        return Speech(
            text=f"Pixel {pixel} {pixel_name(pixel)} has value {value}.",
            data=PixelReveal(pixel=pixel, value=value).to_data(),
        )
