"""Deterministic seeding that does not depend on scheduling order or process."""

from __future__ import annotations

import hashlib
import random


def derive_seed(seed: int, *parts: object) -> int:
    """A stable sub-seed (unlike ``hash``, identical across processes and runs)."""
    digest = hashlib.sha256(repr((seed, *parts)).encode()).digest()
    return int.from_bytes(digest[:8], "big") >> 1


def rng_for(seed: int, *parts: object) -> random.Random:
    """An independent random stream for one named use within one debate."""
    return random.Random(derive_seed(seed, *parts))
