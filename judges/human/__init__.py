"""A human judge at the terminal (rich), with the same role interface as model judges."""

from judges.human.entry import Entry, parse_line
from judges.human.judge import HumanJudge, check_judge_id
from judges.human.keys import KeySource, ScriptedKeys, SessionQuit, TerminalKeys

__all__ = [
    "Entry",
    "HumanJudge",
    "KeySource",
    "ScriptedKeys",
    "SessionQuit",
    "TerminalKeys",
    "check_judge_id",
    "parse_line",
]
