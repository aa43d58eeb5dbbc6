"""Configuration of the sparse-pixel MNIST reproduction (``type = "irving-mnist"``).

One model holds the whole experiment: the judges' recipe, which test images, the search
players, the table's cells and the rollout curve. Defaults are the preset's; ``quick()`` is
the same experiment shrunk to run in a couple of minutes (tests, smoke checks).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator

from debate.domains.pixel_play import PoolSettings
from debate.errors import ConfigError, validation_message
from debate.types import Frozen
from evals.mnist.cells import Search
from judges.pixels.config import PAPER_STEPS, PixelJudgeConfig

PAPER = {
    # Irving, Christiano, Amodei 2018, abstract and section 3.1 (accuracy, %): the judge alone
    # on random pixels, and debate with precommit (its MCTS debaters: all pixels, uniform
    # prior). The report puts the debate figures on the precommit, honest-first rows of the
    # main debater only; liar first, no precommit, greedy and other budgets show none.
    ("judge-alone", 6): 59.4,
    ("judge-alone", 4): 48.2,
    ("precommit", 6): 88.9,
    ("precommit", 4): 85.2,
}
MNIST_TEST_IMAGES = 10_000
"""Images in MNIST's test set: no setting may ask for more."""

PAPER_SEARCH = PoolSettings(candidates=None, prior="uniform")
"""The paper's search: every legal (nonzero) pixel is a candidate, uniform PUCT prior."""


class JudgeRecipe(Frozen):
    """How each pixel count's judge is trained (see ``PixelJudgeConfig``)."""

    steps: dict[int, int] = Field(
        default_factory=lambda: dict(PAPER_STEPS),
        description="training batches per pixel count (paper: 30k for 6, 50k for 4)",
    )
    batch_size: int = Field(default=128, ge=1, le=65_536)
    learning_rate: float = Field(default=1e-4, gt=0, le=1.0)
    precision: Literal["auto", "float32", "bfloat16"] = Field(
        default="auto",
        description="training autocast; auto: the faster on this machine, timed at start-up",
    )
    threads: int | Literal["auto"] | None = Field(
        default=None,
        description="torch CPU threads for training; None: as set (OMP_NUM_THREADS or torch's "
        "default); auto: timed at start-up among 1, 2, 4, ... cores",
    )
    validation_images: int = Field(default=5_000, ge=1, le=30_000)
    seed: int = 0

    def config(self, pixels: int) -> PixelJudgeConfig:
        return PixelJudgeConfig.paper(
            pixels,
            steps=self.steps.get(pixels, PAPER_STEPS.get(pixels, 30_000)),
            batch_size=self.batch_size,
            learning_rate=self.learning_rate,
            precision=self.precision,
            validation_images=self.validation_images,
            seed=self.seed,
        )


class SearchSpec(Frozen):
    """A search player: MCTS with a rollout budget per move, or the greedy baseline."""

    kind: Literal["mcts", "greedy"] = "mcts"
    rollouts: int = Field(default=100, ge=1, le=100_000, description="MCTS rollouts per move")
    c_puct: float = Field(default=1.0, gt=0, le=1e6, description="PUCT exploration constant")
    batch: int = Field(
        default=8, ge=1, le=4096, description="rollouts per batch of leaf evaluations"
    )

    def label(self) -> str:
        return f"mcts-{self.rollouts}" if self.kind == "mcts" else "greedy"


class MnistDebateConfig(Frozen):
    """Judge alone vs debate at 4 and 6 pixels, plus debate accuracy against rollouts."""

    type: Literal["irving-mnist"] = Field(default="irving-mnist", description="preset kind")
    name: str = "Irving et al. 2018: sparse-pixel MNIST debate"
    pixel_counts: list[int] = Field(default=[6, 4], min_length=1)
    judge: JudgeRecipe = JudgeRecipe()
    judge_dir: str = Field(
        default=".debate-cache/mnist-judges",
        description="where trained judges are cached (found by their recipe's hash)",
    )
    device: str = Field(default="auto", description="'auto' uses the GPU when there is one")
    judge_alone_images: int = Field(
        default=10_000,
        ge=1,
        le=MNIST_TEST_IMAGES,
        description="test images for the judge-alone rows",
    )
    images: int = Field(
        default=200, ge=1, le=MNIST_TEST_IMAGES, description="test images for the debate rows"
    )
    firsts: list[Literal["honest", "liar"]] = Field(default=["honest", "liar"], min_length=1)
    precommit: list[bool] = Field(default=[True, False], min_length=1)
    nonzero_only: bool = Field(
        default=True,
        description="debaters may reveal only nonzero pixels, the judge's training inputs",
    )
    debater: SearchSpec = SearchSpec()
    pool: PoolSettings = Field(
        default=PoolSettings(candidates=12, prior="judge"),
        description="the headline's search: each player's candidate pixels and PUCT prior",
    )
    paper_search: bool = Field(
        default=True,
        description="also play the main debater's cells with the paper's search (every nonzero "
        "pixel, uniform prior) on the same images with the same budget, beside the headline's",
    )
    greedy_baseline: bool = Field(
        default=True, description="also play greedy vs greedy (honest first, precommit)"
    )
    curve_rollouts: list[int] = Field(
        default=[3, 10, 30], description="extra MCTS budgets for the accuracy-vs-rollouts plot"
    )
    curve_images: int = Field(
        default=100, ge=1, le=MNIST_TEST_IMAGES, description="images per curve point"
    )
    transcript_images: int = Field(
        default=1,
        ge=0,
        le=MNIST_TEST_IMAGES,
        description="images whose debates are also run through the engine",
    )
    window: int = Field(default=512, ge=1, le=1_000_000, description="games played in lockstep")
    eval_batch: int = Field(default=1024, ge=1, le=1_048_576, description="judge batch size")
    seed: int = 0
    quick_images: int = Field(
        default=6, ge=1, le=MNIST_TEST_IMAGES, description="--quick: debate and curve images"
    )
    quick_judge_steps: int = Field(
        default=150, ge=1, le=10_000_000, description="--quick: judge batches"
    )
    quick_judge_alone_images: int = Field(default=1000, ge=1, le=MNIST_TEST_IMAGES)

    @field_validator("pixel_counts")
    @classmethod
    def _pixels(cls, values: list[int]) -> list[int]:
        for k in values:
            if not 1 <= k <= 64:
                raise ValueError(f"pixel count {k} is outside 1..64")
        return values

    @field_validator("judge")
    @classmethod
    def _threads(cls, recipe: JudgeRecipe) -> JudgeRecipe:
        if isinstance(recipe.threads, int) and not 1 <= recipe.threads <= 1024:
            raise ValueError(f"threads {recipe.threads} is outside 1..1024")
        for pixels, steps in recipe.steps.items():
            if not 1 <= steps <= 10_000_000:
                raise ValueError(f"steps {steps} for {pixels} pixels is outside 1..10000000")
        return recipe

    @field_validator("curve_rollouts")
    @classmethod
    def _rollouts(cls, values: list[int]) -> list[int]:
        for r in values:
            if not 1 <= r <= 100_000:
                raise ValueError(f"rollout budget {r} is outside 1..100000")
        return values

    def searches(self) -> dict[Search, PoolSettings]:
        """The searches the main debater plays: '' is the headline's pool; 'paper' the paper's
        search, when asked for and different from the pool."""
        found: dict[Search, PoolSettings] = {"": self.pool}
        if self.paper_search and self.pool.uses_judge:
            found["paper"] = PAPER_SEARCH
        return found

    def pool_for(self, search: Search) -> PoolSettings:
        return self.searches()[search]

    def quick(self) -> MnistDebateConfig:
        """The same table on a few images with quickly trained judges."""
        update: dict[str, Any] = {
            "name": f"{self.name} (quick)",
            "images": min(self.images, self.quick_images),
            "curve_images": min(self.curve_images, self.quick_images),
            "judge_alone_images": min(self.judge_alone_images, self.quick_judge_alone_images),
            "judge": self.judge.model_copy(
                update={"steps": dict.fromkeys(self.pixel_counts, self.quick_judge_steps)}
            ),
            "debater": self.debater.model_copy(update={"rollouts": min(self.debater.rollouts, 10)}),
            "curve_rollouts": [r for r in self.curve_rollouts if r < 10][:1],
        }
        return self.model_copy(update=update)


def parse_mnist_config(data: dict[str, Any], origin: str = "config") -> MnistDebateConfig:
    """Validate an ``irving-mnist`` config; the first problem becomes one ConfigError line."""
    try:
        return MnistDebateConfig.model_validate(data)
    except ValidationError as exc:
        raise ConfigError(f"{origin}: {validation_message(exc)}") from None
