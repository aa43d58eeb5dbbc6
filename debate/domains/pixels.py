"""The sparse-pixel MNIST debate (Irving et al. 2018): claims, rules and questions.

Two debaters see an MNIST digit; the judge sees nothing but the pixels they reveal, one per
turn, ``k`` in all. The honest debater claims the true digit. With *precommit* the liar claims
one wrong digit up front (every image is played once per wrong digit, and the liar wins the
image if any lie wins); without precommit the liar claims "not <true digit>" and may name its
digit at the end, so it wins when any wrong digit beats the true one.

A revealed pixel is recorded as one integer, ``pixel * 256 + value``: the judge's whole input
is a set of these codes, so two debates that reveal the same pixels, in any order, look the
same to the judge (which is what lets the search cache judge calls by set).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from debate.domains.mnist import N_CLASSES, N_PIXELS, SIDE, MnistSplit
from debate.types import Question

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

First = Literal["honest", "liar"]
HONEST, LIAR = 0, 1
"""Player numbers in the search: the honest debater maximises its value, the liar minimises."""


def code(pixel: int, value: int) -> int:
    """One revealed pixel as an integer: what the judge sees, order-free in a set."""
    return pixel * 256 + value


def decode(revealed: int) -> tuple[int, int]:
    """(pixel, value) of a code."""
    return revealed >> 8, revealed & 255


def pixel_name(pixel: int) -> str:
    return f"(row {pixel // SIDE}, col {pixel % SIDE})"


@dataclass(frozen=True)
class Claim:
    """A debater's answer: ``digit``, or (``negated``) any digit but ``digit``."""

    digit: int
    negated: bool = False

    @classmethod
    def parse(cls, text: str) -> Claim:
        words = text.strip().split()
        negated = len(words) == 2 and words[0] == "not"
        digit = words[-1] if words else ""
        if not (digit.isdigit() and int(digit) < N_CLASSES) or len(words) != 1 + negated:
            raise ValueError(f"{text!r} is not a digit claim ('7' or 'not 7')")
        return cls(int(digit), negated)

    def __str__(self) -> str:
        return f"not {self.digit}" if self.negated else str(self.digit)

    def score(self, logits: npt.NDArray[np.float32]) -> npt.NDArray[np.float32]:
        """The judge's support for this claim in each row of (n, 10) logits: the claimed
        digit's logit, or for "not d" the best logit of any other digit."""
        import numpy as np

        if not self.negated:
            return logits[:, self.digit]
        others = np.delete(logits, self.digit, axis=1)
        result: npt.NDArray[np.float32] = others.max(axis=1)
        return result


def margin(logits: npt.NDArray[np.float32], honest: Claim, liar: Claim) -> npt.NDArray[np.float32]:
    """How far the judge prefers the honest claim; the honest side wins where it is > 0."""
    return honest.score(logits) - liar.score(logits)


def honest_value(logits: npt.NDArray[np.float32], honest: Claim, liar: Claim) -> list[float]:
    """The judge's two-way probability of the honest claim: the search's value (0-1)."""
    import numpy as np

    m = np.clip(margin(logits, honest, liar).astype(np.float64), -60, 60)
    values: list[float] = (1.0 / (1.0 + np.exp(-m))).tolist()
    return values


def movers(pixels: int, first: First) -> tuple[int, ...]:
    """Who reveals each pixel: alternating, starting with ``first``."""
    start = HONEST if first == "honest" else LIAR
    return tuple((start + i) % 2 for i in range(pixels))


def legal_codes(image: Sequence[int], *, nonzero_only: bool = True) -> list[int]:
    """Codes of every pixel a debater may reveal in ``image`` (784 values)."""
    return [code(p, int(v)) for p, v in enumerate(image) if v or not nonzero_only]


def check_reveal(
    image: Sequence[int], revealed: Iterable[int], pixel: object, value: object, nonzero_only: bool
) -> None:
    """Raise ValueError, naming the rule, unless revealing ``pixel`` is a legal move."""
    if not isinstance(pixel, int) or isinstance(pixel, bool) or not 0 <= pixel < N_PIXELS:
        raise ValueError(f"pixel {pixel!r} is not an index in 0..{N_PIXELS - 1}")
    if pixel in {decode(c)[0] for c in revealed}:
        raise ValueError(f"pixel {pixel} {pixel_name(pixel)} was already revealed")
    if nonzero_only and image[pixel] == 0:
        raise ValueError(f"pixel {pixel} {pixel_name(pixel)} is zero; only nonzero pixels count")
    if value != image[pixel]:
        raise ValueError(f"pixel {pixel} has value {image[pixel]}, not {value!r}")


def digit_questions(data: MnistSplit, indices: Iterable[int], *, precommit: bool) -> list[Question]:
    """Questions for the given images: one per wrong digit with precommit, else one.

    The options are the two claims, the honest one first; the image rides in ``metadata``,
    which debaters see and the judge does not.
    """
    questions = []
    for i in indices:
        label = int(data.labels[i])
        image = [int(v) for v in data.flat()[i]]
        lies = [Claim(d) for d in range(N_CLASSES) if d != label] if precommit else []
        for liar in lies or [Claim(label, negated=True)]:
            suffix = f"lie-{liar.digit}" if precommit else "open"
            questions.append(
                Question(
                    id=f"mnist-{data.split}-{i}-{suffix}",
                    text="Which digit is this image?",
                    options=[str(label), str(liar)],
                    correct_index=0,
                    metadata={"split": data.split, "index": i, "label": label, "image": image},
                )
            )
    return questions
