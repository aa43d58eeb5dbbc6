"""What defines a sparse-pixel judge: its training recipe, which is also its cache identity.

Irving et al. 2018 (section 3.1): a CNN whose input is two 28x28 planes (the mask of revealed
pixels and their values), trained on random *nonzero* pixels with Adam, learning rate 1e-4,
batches of 128, for 30k batches (6 pixels) or 50k (4 pixels). Two judges trained with the same
config are interchangeable, so a checkpoint is found by a hash of this config and reused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Literal

from pydantic import Field

from debate.types import Frozen

PAPER_STEPS = {6: 30_000, 4: 50_000}
"""Training batches in the paper for each pixel count."""


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
    precision: Literal["float32", "bfloat16"] = Field(
        default="bfloat16",
        description="autocast precision of training steps; bfloat16 halves CPU training time "
        "where the CPU has bf16 instructions. Weights stay float32; inference is float32.",
    )
    seed: int = Field(default=0, description="initialisation, batches and dropout")

    @classmethod
    def paper(cls, pixels: int, **overrides: object) -> PixelJudgeConfig:
        """The paper's recipe for ``pixels`` (30k batches for 6, 50k for 4)."""
        steps = PAPER_STEPS.get(pixels, 30_000)
        return cls.model_validate({"pixels": pixels, "steps": steps, **overrides})

    def key(self) -> str:
        """A short stable hash of every field: the checkpoint's name in the cache."""
        text = json.dumps(self.model_dump(mode="json"), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:12]

    def file_name(self) -> str:
        return f"sparse-pixel-judge-{self.pixels}px-{self.key()}.pt"
