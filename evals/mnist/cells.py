"""The cells of the MNIST table and the records a run stores for them.

A *cell* is one row x column of the table (or one point of the rollout curve): judge alone, or
debate with a given first speaker, precommit or not, and a debater. A *game line* is one
finished game of a debate cell (one image, one lie), appended to ``games.jsonl`` as soon as it
ends, so a killed run keeps it and ``--resume`` plays only the rest.
"""

from __future__ import annotations

import json
from typing import Literal

from pydantic import Field

from debate.domains.pixel_play import GameRecord
from debate.types import Frozen

Search = Literal["", "paper"]
"""Which search a debate cell's players use: '' the config's pool (the headline), 'paper' the
paper's (every nonzero pixel, uniform prior)."""
GAMES = "games.jsonl"
JUDGE_ALONE = "judge-alone.jsonl"


class Cell(Frozen):
    """One measured quantity: its parameters identify it in results and stored records."""

    pixels: int
    kind: Literal["judge-alone", "debate"]
    first: Literal["honest", "liar"] | None = None
    precommit: bool | None = None
    debater: str = Field(default="", description="e.g. 'mcts-100' or 'greedy'")
    search: Search = Field(
        default="",
        description="'': the config's candidate pool (the headline); 'paper': the paper's "
        "search, every nonzero pixel with a uniform prior",
    )

    def key(self) -> str:
        """Identity in records and seeds; ``search`` is left out when it is the headline's, so
        cells stored before it existed keep their keys (and games their seeds)."""
        data = self.model_dump(mode="json")
        if not self.search:
            del data["search"]
        return json.dumps(data, sort_keys=True)

    def row_label(self) -> str:
        """The table row this cell belongs to (columns are pixel counts)."""
        if self.kind == "judge-alone":
            return "judge alone (random nonzero pixels)"
        commit = "precommit" if self.precommit else "no precommit"
        search = ", paper's search" if self.search == "paper" else ""
        return f"debate, {commit}, {self.first} first ({self.debater}{search})"


class GameLine(Frozen):
    """One finished game of a debate cell."""

    cell: Cell
    image: int = Field(description="index into the MNIST test split")
    label: int
    record: GameRecord
    seed: int

    def key(self) -> str:
        return f"{self.cell.key()}|{self.image}|{self.record.liar}"


class JudgeAloneLine(Frozen):
    """The judge alone on ``n`` test images, one random pixel set each."""

    cell: Cell
    n: int
    correct: int
    images: list[int] = Field(description="indices of the images, in order")
    hits: list[bool] = Field(description="whether the judge was right on each")

    def key(self) -> str:
        return self.cell.key()
