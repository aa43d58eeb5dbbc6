"""The sparse-pixel judge's network and its input encoding (torch; imported only when used).

The input is two planes, as in Irving et al. 2018: a mask that is 1 at revealed pixels, and the
revealed pixels' values (0-1) with 0 elsewhere. A revealed black pixel is therefore different
from an unrevealed one, which is what lets a debater argue with "this pixel is dark".
"""

from __future__ import annotations

import torch
from torch import nn

from debate.domains.mnist import N_CLASSES, N_PIXELS, SIDE

NO_PIXEL = -1
"""Padding in a pixel-index row: a slot with no revealed pixel (sets smaller than k)."""


class SparsePixelNet(nn.Module):
    """conv 32 5x5, pool, conv 64 5x5, pool, dense 1024, dropout, 10 logits."""

    def __init__(self, dropout: float = 0.4) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(2, 32, kernel_size=5, padding=2)
        self.conv2 = nn.Conv2d(32, 64, kernel_size=5, padding=2)
        self.dense = nn.Linear(64 * (SIDE // 4) ** 2, 1024)
        self.dropout = nn.Dropout(dropout)
        self.logits = nn.Linear(1024, N_CLASSES)

    def forward(self, planes: torch.Tensor) -> torch.Tensor:
        x = torch.max_pool2d(torch.relu(self.conv1(planes)), 2)
        x = torch.max_pool2d(torch.relu(self.conv2(x)), 2)
        x = self.dropout(torch.relu(self.dense(x.flatten(1))))
        out: torch.Tensor = self.logits(x)
        return out


def encode(pixels: torch.Tensor, values: torch.Tensor) -> torch.Tensor:
    """Two-plane input from revealed ``pixels`` (n, k) indices and their ``values`` (0-255).

    Indices equal to ``NO_PIXEL`` are ignored, so rows may reveal fewer than k pixels. The
    judge never needs the image itself: what it sees is exactly the revealed (pixel, value)s.
    """
    n = pixels.shape[0]
    slots = torch.where(pixels < 0, N_PIXELS, pixels)  # an extra, discarded column
    planes = torch.zeros(2, n, N_PIXELS + 1, device=pixels.device)
    planes[0].scatter_(1, slots, 1.0)
    planes[1].scatter_(1, slots, values.to(planes.dtype) / 255.0)
    return planes[:, :, :N_PIXELS].transpose(0, 1).reshape(n, 2, SIDE, SIDE)


def sample_pixels(
    images: torch.Tensor, k: int, generator: torch.Generator, *, nonzero_only: bool = True
) -> torch.Tensor:
    """``k`` distinct random pixels per row (nonzero ones first when ``nonzero_only``)."""
    scores = torch.rand(images.shape, generator=generator, device=images.device)
    if nonzero_only:
        scores = scores + (images > 0).to(scores.dtype)  # nonzero pixels outrank all others
    return torch.topk(scores, k, dim=1).indices


def select_device(name: str = "auto") -> torch.device:
    """``auto``: the GPU when one is present, else the CPU; or an explicit torch device."""
    if name == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        if torch.backends.mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    return torch.device(name)
