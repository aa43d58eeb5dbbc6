"""``DecodeLinear``: a linear layer that decodes with int8 or 4-bit weights and reads
prompts with bfloat16 ones (see ``debate.models.precision``, which decides where it is used)."""

from __future__ import annotations

import torch
from torch import nn

from debate.models.precision import WeightCopy


class DecodeLinear(nn.Module):
    """``nn.Linear`` (no bias, bfloat16) plus a quantized copy of its weight, used for
    decoding steps (one new token per row: input ``(rows, 1, features)``), where reading the
    weight is the whole cost. The choice depends on the step, never on how many rows share
    it, so a row decodes the same way whatever it is batched with."""

    def __init__(self, linear: nn.Linear, copy: WeightCopy) -> None:
        super().__init__()
        self.in_features, self.out_features = linear.in_features, linear.out_features
        self.weight = linear.weight  # shared: a tied embedding stays tied
        self.copy: WeightCopy = copy
        self.format = copy.format

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.dim() < 3 or x.shape[-2] != 1 or x.dtype != torch.bfloat16:
            return nn.functional.linear(x, self.weight)
        out = self.copy.matmul(x.reshape(-1, self.in_features).contiguous())
        return out.reshape(*x.shape[:-1], self.out_features)

    def extra_repr(self) -> str:
        return f"in={self.in_features}, out={self.out_features}, {self.format} decoding"
