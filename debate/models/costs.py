"""Prices per token and the cost of calls.

``Model`` prices each call it sends (a cache hit costs nothing) from ``ModelConfig.price``,
else from ``DEFAULT_PRICES`` by model id. Prices change: the table is a convenience with the
date it was checked, and a config's ``model.price`` always wins. A model with no known price
costs 0, which ``--max-cost`` refuses (a budget it cannot measure would never stop a run).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from debate.types import Usage


class Price(BaseModel):
    """US dollars per million tokens."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_per_mtok: float = Field(ge=0, description="USD per million input (prompt) tokens")
    output_per_mtok: float = Field(ge=0, description="USD per million output tokens")

    def cost(self, input_tokens: int, output_tokens: int) -> float:
        return (input_tokens * self.input_per_mtok + output_tokens * self.output_per_mtok) / 1e6

    def usage_cost(self, usage: Usage) -> float:
        return self.cost(usage.input_tokens, usage.output_tokens)


PRICES_AS_OF = "2025-06"
"""The month of the providers' public price lists this table copies; check before relying on
it (it was written offline and is not refreshed automatically)."""

DEFAULT_PRICES: dict[str, Price] = {
    "gpt-4o-mini": Price(input_per_mtok=0.15, output_per_mtok=0.60),
    "gpt-4o": Price(input_per_mtok=2.50, output_per_mtok=10.00),
    "gpt-4.1-nano": Price(input_per_mtok=0.10, output_per_mtok=0.40),
    "gpt-4.1-mini": Price(input_per_mtok=0.40, output_per_mtok=1.60),
    "gpt-4.1": Price(input_per_mtok=2.00, output_per_mtok=8.00),
    "claude-3-haiku": Price(input_per_mtok=0.25, output_per_mtok=1.25),
    "claude-3-5-haiku": Price(input_per_mtok=0.80, output_per_mtok=4.00),
    "claude-3-5-sonnet": Price(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-3-7-sonnet": Price(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-sonnet-4": Price(input_per_mtok=3.00, output_per_mtok=15.00),
    "claude-opus-4": Price(input_per_mtok=15.00, output_per_mtok=75.00),
}
"""Model id prefixes (dated snapshots such as ``gpt-4o-2024-08-06`` match ``gpt-4o``)."""


def default_price(model: str) -> Price | None:
    """The table's price for ``model``: the longest id prefix that matches, else None."""
    matches = [key for key in DEFAULT_PRICES if model == key or model.startswith(f"{key}-")]
    return DEFAULT_PRICES[max(matches, key=len)] if matches else None
