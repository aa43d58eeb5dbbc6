"""Typed moves: read through their models, stored as the same JSON as before they had types
(so old transcripts load and figures do not move), and malformed ones fail in one line."""

from __future__ import annotations

import json
from typing import Any

import pytest

from debate.moves import BestOfN, Candidate, Challenge, Decomposition, Move, MoveError, PixelReveal
from debate.types import Speech, Turn, Usage

OLD_BEST_OF_N: dict[str, Any] = {
    "best_of_n": {
        "chosen": 1,
        "candidates": [
            {
                "text": "first",
                "seed": 11,
                "score": -1.0,
                "preference_raw": "no verdict",
                "preference_parsed": False,
                "usage": Usage(calls=2, input_tokens=5).model_dump(),
            },
            {
                "text": "second",
                "seed": 12,
                "score": 0.8,
                "preference_raw": "Probabilities: A=0.2, B=0.8",
                "preference_parsed": True,
                "usage": Usage(calls=2, cost_usd=0.5).model_dump(),
            },
        ],
    }
}
"""A record exactly as ``BestOfNDebater`` wrote it before moves had types."""


def turn(data: dict[str, object], index: int = 0) -> Turn:
    return Turn(
        index=index, round=0, speaker="claimant", text="", data=data, started_at=0, duration_s=0
    )


@pytest.mark.parametrize(
    ("move", "old"),
    [
        (Decomposition(node=(0, 8), claims=[3, -4]), {"node": [0, 8], "claims": [3, -4]}),
        (Challenge(index=1), {"challenge": 1}),
        (PixelReveal(pixel=300, value=255), {"pixel": 300, "value": 255}),
        (
            BestOfN(
                chosen=1,
                candidates=[
                    Candidate(
                        text="first",
                        seed=11,
                        score=-1.0,
                        preference_raw="no verdict",
                        preference_parsed=False,
                        usage=Usage(calls=2, input_tokens=5),
                    ),
                    Candidate(
                        text="second",
                        seed=12,
                        score=0.8,
                        preference_raw="Probabilities: A=0.2, B=0.8",
                        preference_parsed=True,
                        usage=Usage(calls=2, cost_usd=0.5),
                    ),
                ],
            ),
            OLD_BEST_OF_N,
        ),
    ],
    ids=["decomposition", "challenge", "pixel", "best-of-n"],
)
def test_a_move_is_stored_byte_for_byte_as_before_and_read_back(
    move: Move, old: dict[str, Any]
) -> None:
    data = move.to_data()
    assert json.dumps(data) == json.dumps(old)  # same keys, same order, same values
    stored = Turn.model_validate_json(turn(data).model_dump_json())
    assert stored.move(type(move)) == move
    assert turn(old).move(type(move)) == move


def test_a_turn_without_the_move_reads_none_and_expect_names_the_turn() -> None:
    reveal = turn({"pixel": 3, "value": 9}, index=4)
    assert reveal.move(Challenge) is None and reveal.move(Decomposition) is None
    assert Speech(text="x").move(PixelReveal) is None
    with pytest.raises(MoveError, match="turn 4 by claimant carries no challenge"):
        reveal.expect_move(Challenge)


@pytest.mark.parametrize(
    ("data", "kind", "message"),
    [
        ({"pixel": "3", "value": 9}, PixelReveal, "bad pixel reveal: pixel: Input should be"),
        ({"pixel": True, "value": 9}, PixelReveal, "bad pixel reveal: pixel"),
        ({"pixel": 3}, PixelReveal, "bad pixel reveal: value: Field required"),
        ({"challenge": -1}, Challenge, "bad challenge: challenge: Input should be greater"),
        ({"claims": []}, Decomposition, "bad decomposition"),
        ({"best_of_n": {"chosen": 2, "candidates": []}}, BestOfN, "bad best-of-N record"),
    ],
)
def test_a_malformed_move_fails_in_one_line(
    data: dict[str, object], kind: type[Move], message: str
) -> None:
    with pytest.raises(MoveError, match=message) as caught:
        turn(data).move(kind)
    assert "\n" not in str(caught.value)


def test_chosen_must_be_a_candidate() -> None:
    candidate = OLD_BEST_OF_N["best_of_n"]["candidates"][0]
    with pytest.raises(MoveError, match="chosen 3 is not one of 1 candidates"):
        BestOfN.read({"best_of_n": {"chosen": 3, "candidates": [candidate]}})


def test_flat_moves_read_only_their_own_keys() -> None:
    data = {**Decomposition(node=(0, 4), claims=[1, 2]).to_data(), "note": "kept"}
    assert turn(data).expect_move(Decomposition).claims == [1, 2]
