"""Model access: the backend seam, the ``Model`` wrapper, and offline test doubles.

Provider SDKs are never imported here; provider backends import them lazily.
"""

from debate.models.base import (
    Backend,
    GenerateRequest,
    GenerateResponse,
    Message,
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
    "Backend",
    "FunctionBackend",
    "GenerateRequest",
    "GenerateResponse",
    "Message",
    "Model",
    "ModelConfig",
    "RetryableError",
    "SamplingSettings",
    "ScriptExhausted",
    "ScriptNotConsumed",
    "ScriptedBackend",
]
