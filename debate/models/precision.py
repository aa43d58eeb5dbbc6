"""A local model's number formats, chosen by what this machine does fast.

CPUs differ more than their names say: one with AVX-512 BF16 reads a prompt in bfloat16
about three times as fast as in float32, another (AVX2 only) runs bfloat16 several times
slower. So ``auto`` times the model's own matrix shapes both ways when it loads (a few
hundred milliseconds) and keeps the faster, instead of trusting a table.

Decoding one token per row is bound by memory bandwidth (every weight is read once per
step), and there weight-only int8 (``torch.ops.aten._weight_int8pack_mm``: int8 weights,
one scale per output channel, bfloat16 activations) halves the bytes read again. It is
slower than a plain bfloat16 product for many rows (reading a prompt), so each
``DecodeLinear`` keeps both: int8 for decoding steps, bfloat16 for prompts; ``auto`` uses
it where int8 measured faster for a decoding step of one row and of four.

Both are approximations of the float32 weights (relative error about 2^-8, which is also
bfloat16's), and in them a row's greedy output can depend, by rounding, on which rows it was
batched with (the products' shapes change). ``dtype="float32"`` with ``quantize="none"``
computes exactly, and its greedy outputs do not depend on batching.

Weights that already are 4-bit (a model prepared from a Q4 GGUF holds exactly the values of
32-weight groups of 16 levels) lose nothing more in a 4-bit copy, and a 4-bit product
(``torch.ops.aten._weight_int4pack_mm_for_cpu``) reads half the bytes of an int8 one. So
``auto`` decodes those with 4-bit weights, where that measured faster than int8, and the
rest with int8; ``int4`` makes a 4-bit copy of every weight (round to nearest, as llama.cpp's
Q4_1 does: lossy for weights that were not 4-bit).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol

if TYPE_CHECKING:
    import torch
    from torch import nn

Quantize = Literal["auto", "none", "int8", "int4"]

BF16_MIN_SPEEDUP = 1.25
"""bfloat16 is chosen on a CPU only when it is at least this much faster than float32."""
PROMPT_ROWS = 256
"""Rows of the product timed for prompt reading (a few hundred prompt tokens)."""
DECODE_ROWS = (1, 4)
"""Row counts timed for decoding (one token for each of this many concurrent requests)."""
OUTPUT_MULTIPLE = 16
"""The 4-bit CPU kernel takes only output-channel counts that are multiples of this."""
GROUP = 32
"""Weights per 4-bit group (one scale and one offset each), as in llama.cpp's Q4 formats."""
EXACT_FRACTION = 0.125
BF16_ROUNDING = 2**-8
"""A weight is already 4-bit when every value lies within ``EXACT_FRACTION`` of its group's
step, plus bfloat16's own rounding of the value, from one of the 16 levels; a weight that is
not 4-bit has values up to half a step away."""


def speedup(fast: Callable[[], object], slow: Callable[[], object], rounds: int = 9) -> float:
    """How many times faster ``fast`` runs than ``slow``: the best of ``rounds`` timings of
    each, taken in turn after one warm-up call of each, so that a burst of other work on a
    shared machine (a scheduler slice is longer than one timing) cannot fall on one side only.
    """
    fast(), slow()
    best_fast = best_slow = float("inf")
    for _ in range(rounds):
        for run, is_fast in ((fast, True), (slow, False)):
            started = time.perf_counter()
            run()
            elapsed = time.perf_counter() - started
            if is_fast:
                best_fast = min(best_fast, elapsed)
            else:
                best_slow = min(best_slow, elapsed)
    return best_slow / best_fast


def linear_weights(model: nn.Module) -> list[torch.Tensor]:
    """The model's linear-layer weights, largest first (the ones a decoding step reads)."""
    from torch import nn

    weights = [m.weight for m in model.modules() if isinstance(m, nn.Linear)]
    return sorted(weights, key=lambda w: w.numel(), reverse=True)


def bf16_speedup(weights: list[torch.Tensor]) -> float:
    """How much faster a prompt-sized product with these weights is in bfloat16 than in
    float32 (above 1: faster), timed interleaved on this machine."""
    import torch

    weight = weights[len(weights) // 2].detach().float()
    x = torch.randn(PROMPT_ROWS, weight.shape[1])
    wb, xb = weight.bfloat16(), x.bfloat16()
    with torch.inference_mode():
        return speedup(lambda: xb @ wb.T, lambda: x @ weight.T)


def pick_cpu_dtype(model: nn.Module) -> torch.dtype:
    """bfloat16 where it measured ``BF16_MIN_SPEEDUP`` faster than float32, else float32."""
    import torch

    weights = linear_weights(model)
    if not weights:
        return torch.float32
    return torch.bfloat16 if bf16_speedup(weights) >= BF16_MIN_SPEEDUP else torch.float32


def faster_rows(weights: list[torch.Tensor], fast: Pack, slow: Pack | None) -> int:
    """The most rows (of ``DECODE_ROWS``) for which products with the ``fast`` copies of
    these weights measured faster than with the ``slow`` ones (None: plain bfloat16), on
    several weights so the timing reads memory, not cache; 0 if never."""
    import torch

    sample = [w.detach().to(torch.bfloat16) for w in weights[:24]]
    fast_copies = [fast(w) for w in weights[:24]]  # the weights themselves: a pack may look up
    slow_copies = [slow(w) for w in weights[:24]] if slow is not None else None
    best = 0
    with torch.inference_mode():
        for rows in DECODE_ROWS:
            xs = [torch.randn(rows, w.shape[1], dtype=torch.bfloat16) for w in sample]

            def run_fast(xs: list[torch.Tensor] = xs) -> object:
                return [c.matmul(x) for x, c in zip(xs, fast_copies, strict=True)]

            def run_slow(xs: list[torch.Tensor] = xs) -> object:
                if slow_copies is None:
                    return [x @ w.T for x, w in zip(xs, sample, strict=True)]
                return [c.matmul(x) for x, c in zip(xs, slow_copies, strict=True)]

            if speedup(run_fast, run_slow) <= 1:
                break
            best = rows
    return best


class WeightCopy(Protocol):
    """A quantized copy of a linear layer's weight, as a decoding step uses it."""

    @property
    def format(self) -> str: ...

    def matmul(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ weight.T`` for ``x`` (rows, in_features) in bfloat16."""
        ...


@dataclass(frozen=True)
class Int8Copy:
    """Symmetric int8 per output channel: int8 weight and bfloat16 scales."""

    format: ClassVar[str] = "int8"
    weight: torch.Tensor
    scales: torch.Tensor

    def matmul(self, x: torch.Tensor) -> torch.Tensor:
        """``x @ weight.T`` for ``x`` (rows, in_features) in bfloat16."""
        import torch

        out: torch.Tensor = torch.ops.aten._weight_int8pack_mm(x, self.weight, self.scales)
        return out

    def rows(self, start: int, stop: int) -> Int8Copy:
        """Output channels ``start:stop``, reading this copy's memory (a stacked copy's part)."""
        return Int8Copy(self.weight[start:stop], self.scales[start:stop])


@dataclass(frozen=True)
class Int4Copy:
    """16 levels per group of ``GROUP`` input weights (scale and offset per group, packed
    for torch's CPU kernel), and whether they reproduce the weight (it was 4-bit)."""

    format: ClassVar[str] = "int4"
    packed: torch.Tensor
    scales_and_zeros: torch.Tensor
    exact: bool

    def matmul(self, x: torch.Tensor) -> torch.Tensor:
        import torch

        out: torch.Tensor = torch.ops.aten._weight_int4pack_mm_for_cpu(
            x, self.packed, GROUP, self.scales_and_zeros
        )
        return out

    def rows(self, start: int, stop: int) -> Int4Copy:
        """Output channels ``start:stop``, read in place. The kernel packs channels in blocks
        (64 in the cases tried), so this is the part's own copy only where ``start`` and
        ``stop`` fall on block edges: a caller checks the product (``lean_decode._fuse``)."""
        scales = self.scales_and_zeros[:, start:stop].contiguous()
        return Int4Copy(self.packed[start:stop], scales, self.exact)


def quantized(weight: torch.Tensor) -> Int8Copy:
    """The int8 copy of ``weight`` (out_features, in_features)."""
    import torch

    w = weight.detach().float()
    scales = (w.abs().amax(dim=1) / 127).clamp(min=1e-12)
    q = torch.round(w / scales[:, None]).clamp(-128, 127).to(torch.int8)
    return Int8Copy(q.contiguous(), scales.to(torch.bfloat16))


def four_bit(weight: torch.Tensor) -> Int4Copy | None:
    """The 4-bit copy of ``weight`` (each group's levels from its minimum to its maximum in
    15 steps, as Q4_1 makes them); None where the kernel cannot take its shape."""
    import torch

    rows, features = weight.shape
    if features % GROUP or rows % OUTPUT_MULTIPLE:
        return None
    if not hasattr(torch.ops.aten, "_weight_int4pack_mm_for_cpu"):
        return None
    groups = weight.detach().float().reshape(rows, features // GROUP, GROUP)
    low, high = groups.amin(dim=-1), groups.amax(dim=-1)
    step = ((high - low) / 15).clamp(min=1e-12)
    levels = torch.round((groups - low[..., None]) / step[..., None]).clamp(0, 15)
    error = (levels * step[..., None] + low[..., None] - groups).abs()
    exact = bool((error <= EXACT_FRACTION * step[..., None] + BF16_ROUNDING * groups.abs()).all())
    packed = torch.ops.aten._convert_weight_to_int4pack_for_cpu(
        levels.to(torch.int32).reshape(rows, features), 1
    )
    # The kernel computes (level - 8) * scale + zero, so zero = low + 8 * step.
    scales_and_zeros = torch.stack([step, low + 8 * step], dim=-1).transpose(0, 1)
    return Int4Copy(packed, scales_and_zeros.contiguous().to(torch.bfloat16), exact)


Pack = Callable[["torch.Tensor"], Int8Copy | Int4Copy]


def use_quantized_decoding(
    model: nn.Module, quantize: Quantize, dtype: torch.dtype
) -> Counter[str]:
    """Swap the model's linear layers for ``DecodeLinear`` with the copies ``quantize`` asks
    for (``auto``: where they measured faster; 4-bit only for weights already 4-bit); how
    many layers decode with each format."""
    import torch

    from debate.models.decode_linear import DecodeLinear

    counts: Counter[str] = Counter()
    if quantize == "none" or dtype != torch.bfloat16:
        return counts
    if not hasattr(torch.ops.aten, "_weight_int8pack_mm"):
        return counts
    weights = linear_weights(model)
    if not weights:
        return counts
    copies = {id(w): four_bit(w) for w in weights} if quantize != "int8" else {}
    use_int8 = True  # for every weight without a 4-bit copy, unless auto measures otherwise
    if quantize == "auto":
        use_int8 = faster_rows(weights, quantized, None) >= max(DECODE_ROWS)
        exact = [w for w in weights if (c := copies[id(w)]) is not None and c.exact]
        slower = quantized if use_int8 else None

        def made(weight: torch.Tensor) -> Int4Copy:  # packed above: not packed again to time
            copy = copies[id(weight)]
            assert copy is not None
            return copy

        use_int4 = bool(exact) and faster_rows(exact, made, slower) >= max(DECODE_ROWS)
        copies = {k: c for k, c in copies.items() if use_int4 and c is not None and c.exact}
        if not use_int8 and not copies:
            return counts
    for parent, name, linear in _linears(model):
        copy = copies.get(id(linear.weight))
        if copy is None and not use_int8:
            continue
        layer = DecodeLinear(linear, copy or quantized(linear.weight))
        setattr(parent, name, layer)
        counts[layer.format] += 1
    return counts


def _linears(model: nn.Module) -> list[tuple[nn.Module, str, nn.Linear]]:
    from torch import nn

    found: list[tuple[nn.Module, str, nn.Linear]] = []
    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear) and child.bias is None:
                found.append((parent, name, child))
    return found
