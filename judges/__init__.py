"""Judges: simulated (with error models), model-based and human. All implement
``debate.roles.Judge``."""

from judges.errors import (
    AnyErrorModel,
    Decision,
    ErrorModel,
    Persuasion,
    PositionBias,
    RandomError,
    SystematicError,
    apply_errors,
)
from judges.human import HumanJudge
from judges.model_judge import ModelJudge
from judges.parsing import parse_probabilities
from judges.simulated import SimulatedJudge

__all__ = [
    "AnyErrorModel",
    "Decision",
    "ErrorModel",
    "HumanJudge",
    "ModelJudge",
    "Persuasion",
    "PositionBias",
    "RandomError",
    "SimulatedJudge",
    "SystematicError",
    "apply_errors",
    "parse_probabilities",
]
