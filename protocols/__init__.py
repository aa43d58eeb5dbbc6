"""Built-in debate protocols. Importing this package registers them by name."""

from protocols.consultancy import Consultancy
from protocols.naive import NaiveJudge
from protocols.recursive import RecursiveConsultancy, RecursiveDebate, RecursiveEveryLevel
from protocols.sequential import SequentialDebate
from protocols.simultaneous import SimultaneousDebate

__all__ = [
    "Consultancy",
    "NaiveJudge",
    "RecursiveConsultancy",
    "RecursiveDebate",
    "RecursiveEveryLevel",
    "SequentialDebate",
    "SimultaneousDebate",
]
