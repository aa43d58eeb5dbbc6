"""What defines a sparse-pixel judge: its training recipe, which is also its cache identity.

Irving et al. 2018 (section 3.1): a CNN whose input is two 28x28 planes (the mask of revealed
pixels and their values), trained on random *nonzero* pixels with Adam, learning rate 1e-4,
batches of 128, for 30k batches (6 pixels) or 50k (4 pixels). Two judges trained with the same
config are interchangeable, so a checkpoint is found by a hash of this config and reused. The
training precision is a speed setting, not part of that identity: see ``key``.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import Field

from debate.types import Frozen

PAPER_STEPS = {6: 30_000, 4: 50_000}
"""Training batches in the paper for each pixel count."""
LEGACY_PRECISION = "bfloat16"
"""The precision every judge config held when it was a fixed field (see ``identity``)."""


class PixelJudgeConfig(Frozen):
    """One judge's training recipe (defaults: the paper's 6-pixel judge)."""

    pixels: int = Field(default=6, ge=1, le=784, description="pixels revealed to the judge")
    steps: int = Field(default=30_000, ge=1, description="training batches")
    batch_size: int = Field(default=128, ge=1, description="images per batch")
    learning_rate: float = Field(default=1e-4, gt=0, description="Adam learning rate")
    dropout: float = Field(default=0.4, ge=0, lt=1, description="drop rate before the output")
    nonzero_only: bool = Field(
        default=True, description="train on nonzero pixels only (the paper's choice)"
    )
    validation_images: int = Field(
        default=5_000,
        ge=1,
        le=30_000,
        description="last N training images held out to track accuracy during training",
    )
    precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="autocast precision of training steps; auto: the faster of the two, "
        "measured on the training device at start-up (bfloat16 halves a batch on a CPU with "
        "bf16 instructions and is several times slower on one without). Weights stay float32; "
        "inference is float32. Not part of the judge's identity; its record says what ran.",
    )
    seed: int = Field(default=0, description="initialisation, batches and dropout")

    @classmethod
    def paper(cls, pixels: int, **overrides: object) -> PixelJudgeConfig:
        """The paper's recipe for ``pixels`` (30k batches for 6, 50k for 4)."""
        steps = PAPER_STEPS.get(pixels, 30_000)
        return cls.model_validate({"pixels": pixels, "steps": steps, **overrides})

    def identity(self) -> dict[str, object]:
        """The fields that make two judges interchangeable: all but the precision, which is
        hashed as the constant ``bfloat16`` that every judge had before it was chosen at run
        time, so that judges cached then keep their names and stay valid."""
        return {**self.model_dump(mode="json"), "precision": LEGACY_PRECISION}

    def key(self) -> str:
        """A short stable hash of the identity: the checkpoint's name in the cache."""
        text = json.dumps(self.identity(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def file_name(self) -> str:
        return f"sparse-pixel-judge-{self.pixels}px-{self.key()}.pt"
