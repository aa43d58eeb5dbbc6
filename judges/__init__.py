"""Judges: simulated (with error models) and model-based. All implement ``debate.roles.Judge``."""

from judges.errors import (
    AnyErrorModel,
    Decision,
    ErrorModel,
    LastSpeakerBias,
    PositionBias,
    RandomError,
)
from judges.model_judge import ModelJudge
from judges.parsing import parse_probabilities
from judges.simulated import SimulatedJudge

__all__ = [
    "AnyErrorModel",
    "Decision",
    "ErrorModel",
    "LastSpeakerBias",
    "ModelJudge",
    "PositionBias",
    "RandomError",
    "SimulatedJudge",
    "parse_probabilities",
]
