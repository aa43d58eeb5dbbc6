"""Built-in debate protocols. Importing this package registers them by name."""

from protocols.consultancy import Consultancy
from protocols.cross_examination import CrossExamination
from protocols.interactive import InteractiveDebate
from protocols.multi_agent import MultiAgentDebate
from protocols.naive import NaiveJudge
from protocols.open_roles import OpenConsultancy, OpenDebate
from protocols.pixels import PixelDebate
from protocols.prover_estimator import ProverEstimatorDebate
from protocols.recursive import RecursiveConsultancy, RecursiveDebate, RecursiveEveryLevel
from protocols.sequential import SequentialDebate
from protocols.simultaneous import SimultaneousDebate

__all__ = [
    "Consultancy",
    "CrossExamination",
    "InteractiveDebate",
    "MultiAgentDebate",
    "NaiveJudge",
    "OpenConsultancy",
    "OpenDebate",
    "PixelDebate",
    "ProverEstimatorDebate",
    "RecursiveConsultancy",
    "RecursiveDebate",
    "RecursiveEveryLevel",
    "SequentialDebate",
    "SimultaneousDebate",
]
