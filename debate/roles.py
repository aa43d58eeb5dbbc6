"""The two roles, each a small Protocol with one async method.

Simulated, model-based, search-based and human players all implement these, so a protocol
and an eval never care which kind they are talking to.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from debate.types import AgentInfo, DebaterView, JudgeView, Speech, Verdict


@runtime_checkable
class Debater(Protocol):
    """Produces one speech for the seat and round described by the view."""

    async def __call__(self, view: DebaterView) -> Speech: ...

    def describe(self) -> AgentInfo: ...


@runtime_checkable
class Judge(Protocol):
    """Reads the judge's view of a debate and returns a probability for each answer."""

    async def __call__(self, view: JudgeView) -> Verdict: ...

    def describe(self) -> AgentInfo: ...


@runtime_checkable
class QuestioningJudge(Judge, Protocol):
    """A judge that can also question the debaters between rounds (interactive debate).

    Interactive protocols schedule a round of kind ``judge_question``: the engine calls
    ``ask`` with the judge's view so far and records the question as a turn of kind
    ``judge_question``; the debaters then answer in the next round. Model and human judges
    implement it; simulated judges need not.
    """

    async def ask(self, view: JudgeView) -> str: ...
