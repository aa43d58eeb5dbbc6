"""Model access: the backend seam, the ``Model`` wrapper, and offline test doubles.

Provider SDKs are never imported here; provider backends import them lazily.
"""

from debate.models.base import (
    AttemptsTimedOut,
    Backend,
    GenerateRequest,
    GenerateResponse,
    Message,
    RetriesExhausted,
    RetryableError,
    SamplingSettings,
)
from debate.models.doubles import (
    FunctionBackend,
    ScriptedBackend,
    ScriptExhausted,
    ScriptNotConsumed,
)
from debate.models.wrapper import Model, ModelConfig

__all__ = [
    "AttemptsTimedOut",
    "Backend",
    "FunctionBackend",
    "GenerateRequest",
    "GenerateResponse",
    "Message",
    "Model",
    "ModelConfig",
    "RetriesExhausted",
    "RetryableError",
    "SamplingSettings",
    "ScriptExhausted",
    "ScriptNotConsumed",
    "ScriptedBackend",
]
