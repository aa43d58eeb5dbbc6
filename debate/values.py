"""The smallest shared value types: the frozen base model, and usage accounting.

A module of their own so that ``debate.types``, ``debate.verdict`` and ``debate.moves`` can
all build on them without importing one another (``debate.types`` re-exports both).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Frozen(BaseModel):
    """Base for value objects: immutable and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Usage(Frozen):
    """Token usage and cost of one or more model calls."""

    input_tokens: int = 0
    output_tokens: int = 0
    calls: int = 0
    cached_calls: int = 0
    cost_usd: float = 0.0

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            input_tokens=self.input_tokens + other.input_tokens,
            output_tokens=self.output_tokens + other.output_tokens,
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
            cost_usd=self.cost_usd + other.cost_usd,
        )
