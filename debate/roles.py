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
    """A judge that can also speak during the debate: the one way a judge speaks.

    Protocols schedule a round of kind ``judge_question``: the engine calls ``ask`` with the
    judge's view so far and records the reply as a turn of kind ``judge_question``. Model and
    human judges ask the debaters a question (text, which the debaters answer in the next
    round); a judge of a game-like protocol returns a ``Speech`` carrying a move (the tree-sum
    judge's challenge in recursive consultancy). Other simulated judges need not implement it.
    """

    async def ask(self, view: JudgeView) -> str | Speech: ...
