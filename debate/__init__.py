"""AI safety via debate: the runtime every protocol shares.

Public API (``import debate`` stays fast: provider SDKs and torch load only when used)::

    from debate import run_debate, run_many, DebateJob, Question, Protocol, Round
"""

from debate.batch import DebateJob, LiveJob, RunStopped, run_many
from debate.debaters import ModelDebater
from debate.engine import run_debate
from debate.errors import ConfigError, DataError, DebateError
from debate.protocol import Protocol, Round, debater_seats, register, round_label
from debate.roles import Debater, Judge, QuestioningJudge
from debate.types import (
    AgentInfo,
    DebaterView,
    DebateSetup,
    JudgeView,
    Question,
    Seat,
    Speech,
    Transcript,
    Turn,
    Usage,
    Verdict,
)

__all__ = [
    "AgentInfo",
    "ConfigError",
    "DataError",
    "DebateError",
    "DebateJob",
    "DebateSetup",
    "Debater",
    "DebaterView",
    "Judge",
    "JudgeView",
    "LiveJob",
    "ModelDebater",
    "Protocol",
    "Question",
    "QuestioningJudge",
    "Round",
    "RunStopped",
    "Seat",
    "Speech",
    "Transcript",
    "Turn",
    "Usage",
    "Verdict",
    "debater_seats",
    "register",
    "round_label",
    "run_debate",
    "run_many",
]
