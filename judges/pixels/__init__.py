"""The sparse-pixel MNIST judge of Irving et al. 2018 (torch; import only when needed).

``config`` (recipe), ``network`` (the CNN), ``training`` and ``checkpoint`` (train once, reuse),
``evaluator`` (batched, cached calls for search) and ``judge`` (the engine's Judge role).
"""

from debate.errors import ConfigError


def require_torch() -> None:
    """One clear line, not a traceback, when torch is not installed."""
    try:
        import torch  # noqa: F401
    except ImportError:
        raise ConfigError(
            "the sparse-pixel MNIST judge needs torch: pip install 'debate-lab[torch]'"
        ) from None
