"""Debate with simultaneous turns: in each round both debaters speak without seeing the
other's speech of that round (removes the second mover's advantage within a round)."""

from __future__ import annotations

from debate.protocol import DebateRounds, register


@register
class SimultaneousDebate(DebateRounds):
    name = "debate-simultaneous"
    round_kind = "simultaneous"
