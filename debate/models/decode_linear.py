"""``DecodeLinear``: a linear layer that decodes with int8 weights and reads prompts with
bfloat16 ones (see ``debate.models.precision``, which decides where it is used)."""

from __future__ import annotations

import torch
from torch import nn

from debate.models.precision import quantized


class DecodeLinear(nn.Module):
    """``nn.Linear`` (no bias, bfloat16) plus an int8 copy of its weight, used for decoding
    steps (one new token per row: input ``(rows, 1, features)``), where reading the weight
    is the whole cost. The choice depends on the step, never on how many rows share it, so a
    row decodes the same way whatever it is batched with."""

    def __init__(self, linear: nn.Linear) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight = linear.weight  # shared: a tied embedding stays tied
        q, scales = quantized(linear.weight)
        self.register_buffer("int8_weight", q, persistent=False)
        self.register_buffer("int8_scales", scales, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 3 or x.shape[-2] != 1 or x.dtype != torch.bfloat16:
            return nn.functional.linear(x, self.weight)
        flat = x.reshape(-1, self.in_features)
        out: torch.Tensor = torch.ops.aten._weight_int8pack_mm(
            flat.contiguous(), self.int8_weight, self.int8_scales
        )
        return out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, int8 decoding"
