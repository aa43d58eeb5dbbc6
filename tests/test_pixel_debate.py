"""Rules of the sparse-pixel debate, run through the engine: turns, pixels, precommit, verdicts."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("torch")

from debate.domains.pixel_play import PixelSearchDebater, PoolSettings, play_game
from debate.domains.pixels import Claim, code, digit_questions, margin
from debate.engine import run_debate
from debate.errors import ConfigError
from debate.moves import PixelReveal
from debate.roles import Debater, Judge
from debate.search import MCTS, Greedy, drive
from debate.types import AgentInfo, DebaterView, Speech
from judges.pixels.judge import SparsePixelJudge
from protocols.pixels import PixelDebate
from tests.mnist_helpers import split, tiny_evaluator
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse)

IMAGE = 0  # the test split's first image, a 7


def questions(precommit: bool) -> list:  # type: ignore[type-arg]
    return digit_questions(split("test"), [IMAGE], precommit=precommit)


class Scripted:
    """Reveals the given pixels in turn (with their true values unless told otherwise)."""

    def __init__(self, pixels: list[int], values: dict[int, int] | None = None) -> None:
        self.pixels = pixels
        self.values = values or {}

    def describe(self) -> AgentInfo:
        return AgentInfo(kind="scripted", name="scripted")

    async def __call__(self, view: DebaterView) -> Speech:
        pixel = self.pixels[len(view.turns)]
        image = view.setup.question.metadata["image"]
        value = self.values.get(pixel, image[pixel] if pixel < len(image) else 0)
        return Speech(text=f"pixel {pixel}", data=PixelReveal(pixel=pixel, value=value).to_data())


def nonzero_pixels(n: int) -> list[int]:
    image = split("test").flat()[IMAGE]
    return [int(p) for p in np.flatnonzero(image)[:n]]


def test_precommit_plays_every_lie_and_no_precommit_one_open_claim() -> None:
    committed, open_ = questions(True), questions(False)
    assert [q.options for q in committed] == [["7", str(d)] for d in range(10) if d != 7]
    assert [q.options for q in open_] == [["7", "not 7"]]
    assert all(q.correct_index == 0 and len(q.metadata["image"]) == 784 for q in committed)
    with pytest.raises(ConfigError, match="precommit=True needs questions whose liar claims"):
        PixelDebate(precommit=True).seats(open_[0], [0, 1], None)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="precommit=False"):
        PixelDebate(precommit=False).seats(committed[0], [0, 1], None)  # type: ignore[arg-type]


@pytest.mark.parametrize(("pixels", "first"), [(6, "honest"), (4, "liar"), (5, "honest")])
async def test_k_alternating_reveals_and_who_goes_first(pixels: int, first: str) -> None:
    question = questions(True)[0]
    protocol = PixelDebate(pixels=pixels, first=first)
    debater = Scripted(nonzero_pixels(pixels))
    transcript = await run_debate(
        question, protocol, debater, SparsePixelJudge(tiny_evaluator()), seed=1, swap=False
    )
    assert transcript.error is None
    assert [t.speaker for t in transcript.turns] == ["first", "second"] * (pixels // 2) + [
        "first"
    ] * (pixels % 2)
    honest_seat = "first" if first == "honest" else "second"
    assert transcript.setup.seat(honest_seat).position == transcript.setup.correct_position
    revealed = [t.expect_move(PixelReveal).pixel for t in transcript.turns]
    assert len(set(revealed)) == pixels


@pytest.mark.parametrize(
    ("pixels", "values", "rule"),
    [
        ("repeat", None, "was already revealed"),
        ("zero", None, "is zero; only nonzero pixels count"),
        ("range", None, "is not an index in 0..783"),
        ("lie", "wrong", "has value"),
    ],
)
async def test_an_illegal_reveal_loses_the_debate_naming_the_rule(
    pixels: str, values: str | None, rule: str
) -> None:
    good = nonzero_pixels(3)
    image = split("test").flat()[IMAGE]
    script = {
        "repeat": [good[0], good[1], good[0]],
        "zero": [good[0], int(np.flatnonzero(image == 0)[0])],
        "range": [good[0], 784],
        "lie": [good[0], good[1]],
    }[pixels]
    wrong = {good[1]: (int(image[good[1]]) + 1) % 256} if values else None
    transcript = await run_debate(
        questions(True)[0],
        PixelDebate(pixels=4),
        Scripted(script, wrong),
        SparsePixelJudge(tiny_evaluator()),
        seed=0,
    )
    assert transcript.error is not None and rule in transcript.error
    assert not transcript.correct


def test_claims_and_the_margin_the_judge_decides_on() -> None:
    logits = np.array([[0.0, 5.0, 1.0, 0, 0, 0, 0, 3.0, 0, 0]], dtype=np.float32)
    assert Claim.parse("7") == Claim(7) and Claim.parse("not 7") == Claim(7, negated=True)
    with pytest.raises(ValueError, match="not a digit claim"):
        Claim.parse("seven")
    assert float(margin(logits, Claim(7), Claim(2))[0]) == 2.0  # committed lie: 3 - 1
    assert float(margin(logits, Claim(7), Claim(7, negated=True))[0]) == -2.0  # best lie: 1


async def test_the_judge_reads_only_revealed_pixels_and_picks_the_higher_claim() -> None:
    evaluator = tiny_evaluator()
    question = questions(True)[1]  # 7 vs 1
    pixels = nonzero_pixels(6)
    transcript = await run_debate(
        question, PixelDebate(), Scripted(pixels), SparsePixelJudge(evaluator), seed=3
    )
    image = split("test").flat()[IMAGE]
    logits = evaluator.logits([frozenset(code(p, int(image[p])) for p in pixels)])
    won = float(margin(logits, Claim(7), Claim(1))[0]) > 0
    assert transcript.verdict is not None and transcript.correct == won
    assert sum(transcript.verdict.probabilities) == pytest.approx(1.0)


@pytest.mark.parametrize("player", [MCTS(12, batch=4), Greedy()], ids=["mcts", "greedy"])
@pytest.mark.parametrize("precommit", [True, False])
async def test_engine_and_fast_path_play_the_same_game(player, precommit: bool) -> None:  # type: ignore[no-untyped-def]
    evaluator = tiny_evaluator()
    pool = PoolSettings(candidates=8, prior="judge")
    question = questions(precommit)[0]
    protocol = PixelDebate(pixels=4, first="liar", precommit=precommit)
    debater, judge = (
        PixelSearchDebater(player, evaluator.logits, pool=pool),
        SparsePixelJudge(evaluator),
    )
    assert isinstance(debater, Debater) and isinstance(judge, Judge)  # the project's roles
    transcript = await run_debate(question, protocol, debater, judge, seed=11, swap=True)
    assert transcript.error is None
    honest, liar = (Claim.parse(o) for o in question.options)
    record = drive(
        play_game(
            question.metadata["image"],
            honest,
            liar,
            (player, player),
            pixels=4,
            first="liar",
            nonzero_only=True,
            pool=pool,
            seed=11,
        ),
        evaluator.logits,
    )
    reveals = [t.expect_move(PixelReveal) for t in transcript.turns]
    assert [(m.pixel, m.value) for m in reveals] == record.moves
    assert transcript.correct == record.honest_won
