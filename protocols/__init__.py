"""Built-in debate protocols. Importing this package registers them by name."""

from protocols.consultancy import Consultancy
from protocols.naive import NaiveJudge
from protocols.sequential import SequentialDebate
from protocols.simultaneous import SimultaneousDebate

__all__ = ["Consultancy", "NaiveJudge", "SequentialDebate", "SimultaneousDebate"]
