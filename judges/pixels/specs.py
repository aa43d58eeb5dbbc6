"""The sparse-pixel MNIST debate as registered kinds, so a config (a tournament of search
players, an eval) can name its judge, its debaters and its images like any other.

- judge ``pixel``: the trained sparse-pixel judge (``SparsePixelJudge``), loaded from the
  judge cache by its recipe, or trained into it on first use;
- debater ``pixel-search``: a search player (greedy, or MCTS with a rollout budget) that
  searches with a pixel judge's classifier (``PixelSearchDebater``);
- dataset ``mnist-digits``: test images as digit questions (``digit_questions``).

Torch loads only when a component is built. Where the jobs run, one loaded judge and one
evaluator (with its logits cache) serve every debater and judge of the same recipe.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from pydantic import Field

from debate.domains.pixel_play import PoolSettings
from debate.registry import Spec, register
from judges.pixels.config import PixelJudgeConfig

if TYPE_CHECKING:
    from debate.components import Components
    from debate.roles import Debater, Judge
    from debate.types import Question
    from judges.pixels.evaluator import PixelEvaluator

DEFAULT_JUDGE_DIR = ".debate-cache/mnist-judges"
"""The same cache as the ``irving-mnist`` experiment's: a recipe trained there is reused."""


class PixelJudgeSpec(Spec):
    """A trained sparse-pixel judge, found (or trained) by its recipe."""

    kind: Literal["pixel"] = "pixel"
    name: str | None = Field(default=None, description="label in results")
    recipe: PixelJudgeConfig = Field(default_factory=lambda: PixelJudgeConfig.paper(6))
    judge_dir: str = Field(default=DEFAULT_JUDGE_DIR, description="the trained-judge cache")
    device: str = Field(default="auto", description="'auto' uses the GPU when there is one")
    quick_steps: int = Field(default=150, ge=1, description="training batches with --quick")

    def label(self) -> str:
        return self.name or f"pixel-{self.recipe.pixels}"

    def quick(self) -> PixelJudgeSpec:
        steps = min(self.recipe.steps, self.quick_steps)
        return self.model_copy(update={"recipe": self.recipe.model_copy(update={"steps": steps})})


def evaluator(spec: PixelJudgeSpec, components: Components) -> PixelEvaluator:
    """One evaluator per recipe and device for these components (the judge trained into
    its cache on first use, from ``<data dir>/mnist``)."""

    def load() -> PixelEvaluator:
        from evals.config import data_dir
        from judges.pixels.checkpoint import ensure_judge
        from judges.pixels.evaluator import PixelEvaluator
        from judges.pixels.training import logged_progress

        mnist = data_dir(components.data_root) / "mnist"
        judge = ensure_judge(
            spec.recipe,
            mnist,
            Path(spec.judge_dir),
            device=spec.device,
            progress=logged_progress(_log),
            on_train=lambda recipe, where: _log(
                f"training the {recipe.pixels}-pixel judge ({recipe.steps} batches) into "
                f"{where}; it is cached there for every later run"
            ),
        )
        return PixelEvaluator(judge)

    key = f"pixel-evaluator|{spec.recipe.model_dump_json()}|{spec.judge_dir}|{spec.device}"
    return components.shared(key, load)


def _log(message: str) -> None:
    """Training a judge takes minutes before any debate starts: it says so on stderr."""
    print(message, file=sys.stderr, flush=True)


@register("judge", "pixel", PixelJudgeSpec)
def pixel_judge(spec: PixelJudgeSpec, components: Components) -> Judge:
    from judges.pixels.judge import SparsePixelJudge

    return SparsePixelJudge(evaluator(spec, components))


class PixelSearchSpec(Spec):
    """A search player of the pixel debate, searching with ``judge``'s classifier."""

    kind: Literal["pixel-search"] = "pixel-search"
    name: str | None = Field(default=None, description="label in results")
    search: Literal["mcts", "greedy"] = "mcts"
    rollouts: int = Field(default=100, ge=1, le=100_000, description="MCTS rollouts per move")
    c_puct: float = Field(default=1.0, gt=0, le=1e6, description="PUCT exploration constant")
    batch: int = Field(default=8, ge=1, le=4096, description="rollouts per batch of leaves")
    judge: PixelJudgeSpec = Field(default_factory=PixelJudgeSpec)
    pool: PoolSettings = Field(default=PoolSettings(candidates=12, prior="judge"))
    nonzero_only: bool = True

    def label(self) -> str:
        if self.name:
            return self.name
        return f"mcts-{self.rollouts}" if self.search == "mcts" else "greedy"

    def quick(self) -> PixelSearchSpec:
        return self.model_copy(update={"judge": self.judge.quick()})


@register("debater", "pixel-search", PixelSearchSpec)
def pixel_search(spec: PixelSearchSpec, components: Components) -> Debater:
    from debate.domains.pixel_play import PixelSearchDebater
    from debate.search import MCTS, Greedy

    player = (
        Greedy()
        if spec.search == "greedy"
        else MCTS(spec.rollouts, c_puct=spec.c_puct, batch=spec.batch)
    )
    judge = evaluator(spec.judge, components)
    return PixelSearchDebater(player, judge.logits, pool=spec.pool, nonzero_only=spec.nonzero_only)


class MnistDigitsDataset(Spec):
    """MNIST test images as digit questions: with ``precommit``, ``lies`` wrong digits an
    image (drawn with ``seed``, at most 9) each a question; without, one 'not <digit>'."""

    kind: Literal["mnist-digits"] = "mnist-digits"
    images: int = Field(default=100, ge=1, le=10_000, description="test images, from the first")
    start: int = Field(default=0, ge=0, le=9_999, description="index of the first image")
    precommit: bool = Field(default=True, description="the liar commits to one wrong digit")
    lies: int = Field(default=1, ge=1, le=9, description="wrong digits an image (precommit)")
    seed: int = Field(default=0, description="which wrong digits")

    def limited(self, n: int) -> MnistDigitsDataset:
        return self.model_copy(update={"images": min(self.images, n)})


@register("dataset", "mnist-digits", MnistDigitsDataset)
def mnist_digits(spec: MnistDigitsDataset, components: Components) -> list[Question]:
    from debate.domains.mnist import load_mnist
    from debate.domains.pixels import digit_questions
    from debate.errors import DataError
    from evals.config import data_dir

    test = load_mnist(data_dir(components.data_root) / "mnist", "test")
    if spec.start + spec.images > len(test):
        raise DataError(
            f"dataset mnist-digits: images {spec.start}..{spec.start + spec.images - 1} are "
            f"beyond the {len(test)} test images"
        )
    indices = range(spec.start, spec.start + spec.images)
    questions = digit_questions(test, indices, precommit=spec.precommit)
    if not spec.precommit:
        return questions
    rng = random.Random(spec.seed)
    kept: list[Question] = []
    for i in indices:
        mine = [q for q in questions if q.metadata["index"] == i]
        kept.extend(sorted(rng.sample(mine, min(spec.lies, len(mine))), key=lambda q: q.id))
    return kept
