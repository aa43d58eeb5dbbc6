"""Debate with sequential turns: debaters alternate, each answering what came before.

Who opens is the debater of the first-shown answer; the engine randomises (or runs both)
answer orders, so neither the honest nor the lying side always opens.
"""

from __future__ import annotations

from debate.protocol import DebateRounds, register


@register
class SequentialDebate(DebateRounds):
    name = "debate-sequential"
    round_kind = "sequential"
