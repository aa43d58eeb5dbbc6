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
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import torch
    from torch import nn

Quantize = Literal["auto", "none", "int8"]

BF16_MIN_SPEEDUP = 1.25
"""bfloat16 is chosen on a CPU only when it is at least this much faster than float32."""
PROMPT_ROWS = 256
"""Rows of the product timed for prompt reading (a few hundred prompt tokens)."""
DECODE_ROWS = (1, 4)
"""Row counts timed for decoding (one token for each of this many concurrent requests)."""


def _seconds(run: Callable[[], object], repeats: int = 5) -> float:
    """The best of ``repeats`` timings of ``run`` after one warm-up call."""
    run()
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return best


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
        plain = _seconds(lambda: x @ weight.T)
        fast = _seconds(lambda: xb @ wb.T)
    return plain / fast


def pick_cpu_dtype(model: nn.Module) -> torch.dtype:
    """bfloat16 where it measured ``BF16_MIN_SPEEDUP`` faster than float32, else float32."""
    import torch

    weights = linear_weights(model)
    if not weights:
        return torch.float32
    return torch.bfloat16 if bf16_speedup(weights) >= BF16_MIN_SPEEDUP else torch.float32


def int8_rows(weights: list[torch.Tensor]) -> int:
    """The most rows for which the int8 product measured faster than bfloat16 on these
    weights (several of them, so the timing reads memory, not cache); 0 if never."""
    import torch

    sample = [w.detach().to(torch.bfloat16) for w in weights[:24]]
    packed = [quantized(w) for w in sample]
    best = 0
    with torch.inference_mode():
        for rows in DECODE_ROWS:
            xs = [torch.randn(rows, w.shape[1], dtype=torch.bfloat16) for w in sample]

            def plain(xs: list[torch.Tensor] = xs) -> object:
                return [x @ w.T for x, w in zip(xs, sample, strict=True)]

            def int8(xs: list[torch.Tensor] = xs) -> object:
                return [
                    torch.ops.aten._weight_int8pack_mm(x, q, s)
                    for x, (q, s) in zip(xs, packed, strict=True)
                ]

            if _seconds(int8) >= _seconds(plain):
                break
            best = rows
    return best


def quantized(weight: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Symmetric int8 per output channel: (int8 weight, bfloat16 scales)."""
    import torch

    w = weight.detach().float()
    scales = (w.abs().amax(dim=1) / 127).clamp(min=1e-12)
    q = torch.round(w / scales[:, None]).clamp(-128, 127).to(torch.int8)
    return q.contiguous(), scales.to(torch.bfloat16)


def use_int8_decoding(model: nn.Module, quantize: Quantize, dtype: torch.dtype) -> bool:
    """Swap the model's linear layers for ``DecodeLinear`` where int8 decoding measured
    faster (``auto``) or was asked for (``int8``); whether it did."""
    import torch

    if quantize == "none" or dtype != torch.bfloat16:
        return False
    if not hasattr(torch.ops.aten, "_weight_int8pack_mm"):
        return False
    weights = linear_weights(model)
    if not weights:
        return False
    if quantize == "auto" and int8_rows(weights) < max(DECODE_ROWS):
        return False
    _replace_linears(model)
    return True


def _replace_linears(model: nn.Module) -> None:
    from torch import nn

    from debate.models.decode_linear import DecodeLinear

    for parent in list(model.modules()):
        for name, child in list(parent.named_children()):
            if isinstance(child, nn.Linear) and child.bias is None:
                setattr(parent, name, DecodeLinear(child))
