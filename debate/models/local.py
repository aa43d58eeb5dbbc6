"""The local backend: a transformers causal LM on this machine, with dynamic batching.

``LocalBackend`` implements only ``generate`` (the ``Model`` wrapper adds concurrency,
retries, caching and usage as for any provider). Behind it, every backend built with the
same ``LocalModelSettings`` shares one loaded model and one ``BatchWorker``: a debater and
a judge of the same model, in every concurrent debate, are served together in batches.

torch and transformers are imported only when a backend is built, so ``import debate``
and API-only users never pay for them.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from debate.models.base import Backend, GenerateRequest, GenerateResponse
from debate.models.batching import BatchStats, BatchWorker
from debate.models.local_store import DEFAULT_LOCAL_MODEL

if TYPE_CHECKING:  # torch-side types, never imported at runtime here
    from debate.models.hf_generate import Encoded, HFEngine


LOCAL_MODEL_ENV = "DEBATE_LOCAL_MODEL"
"""Environment variable naming the default local model: one setting swaps the model."""


class LocalModelSettings(BaseModel):
    """Which local model to load, where, and how to batch its requests."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    path: str = Field(
        default_factory=lambda: os.environ.get(LOCAL_MODEL_ENV) or DEFAULT_LOCAL_MODEL,
        description=(
            "a prepared model name (`debate prepare-model`), a transformers model directory, "
            "a .gguf file, or a Hugging Face hub id (downloaded when online); default "
            "$DEBATE_LOCAL_MODEL, else smollm2-135m-instruct. Recorded resolved in run configs."
        ),
    )
    gguf_file: str | None = Field(
        default=None, description="the GGUF file to use when `path` is a folder of several"
    )
    device: str = Field(
        default="auto", description="'auto' (CUDA when present, else CPU), cpu, cuda, cuda:N, mps"
    )
    dtype: Literal["auto", "float32", "bfloat16", "float16", "float64"] = Field(
        default="auto",
        description="'auto': on CUDA bfloat16 (else float16); on a CPU bfloat16 where it "
        "measures faster than float32 when the model loads, else float32",
    )
    quantize: Literal["auto", "none", "int8", "int4"] = Field(
        default="auto",
        description="quantized weights for decoding steps (bfloat16 CPU models only): 'auto' "
        "where they measure faster when the model loads (4-bit for weights that already are, "
        "as in a model prepared from a Q4 GGUF, int8 for the rest), 'int8' always, 'int4' "
        "4-bit copies of every weight (lossy where it was not 4-bit), 'none' never",
    )
    max_batch_size: int = Field(default=16, ge=1, description="most requests in one batch")
    batch_wait_ms: float = Field(
        default=20.0,
        ge=0,
        description="how long a batch waits after its first request for others to join",
    )
    prefix_cache_mb: int = Field(
        default=2048,
        ge=0,
        description=(
            "memory for reusing prompt key/value states between prompts with a long common "
            "prefix (a hidden story read by every debater call); 0 turns it off"
        ),
    )
    threads: int | None = Field(
        default=None, ge=1, description="torch CPU threads (process-wide); None: torch's default"
    )
    chat_template: str | None = Field(
        default=None, description="Jinja chat template file, for a model whose tokenizer has none"
    )


@dataclass
class _Shared:
    engine: HFEngine
    worker: BatchWorker[Encoded, GenerateResponse]
    users: int = 0


_SHARED: dict[str, _Shared] = {}
_SHARED_LOCK = threading.Lock()


def _acquire(settings: LocalModelSettings) -> _Shared:
    """The loaded model and worker for ``settings``, loading it on first use."""
    key = settings.model_dump_json()
    with _SHARED_LOCK:
        shared = _SHARED.get(key)
        if shared is None or shared.worker.closed:
            from debate.models.hf_generate import HFEngine
            from debate.models.hf_load import load

            made: list[HFEngine] = []

            def start() -> None:  # on the worker's thread: all torch work stays on it
                made.append(HFEngine(load(settings), settings.prefix_cache_mb))

            worker: BatchWorker[Encoded, GenerateResponse] = BatchWorker(
                lambda items: made[0].run_batch(items),
                max_batch_size=settings.max_batch_size,
                wait_s=settings.batch_wait_ms / 1000,
                name=f"local-model:{settings.path}",
                start=start,
            )
            shared = _SHARED[key] = _Shared(made[0], worker)
        shared.users += 1
        return shared


def _release(settings: LocalModelSettings, shared: _Shared) -> None:
    with _SHARED_LOCK:
        shared.users -= 1
        if shared.users > 0:
            return
        if _SHARED.get(settings.model_dump_json()) is shared:
            del _SHARED[settings.model_dump_json()]
    shared.worker.close()


class LocalBackend(Backend):
    """A local transformers model. Building one loads the model (or reuses a loaded one).

    In the exact mode (``dtype="float32"``, ``quantize="none"``) greedy outputs do not depend
    on batching; the fast formats ``auto`` picks may change them by rounding (see
    ``debate.models.precision``). Sampled outputs are reproducible per seed.
    Supports token logprobs (``extra={"logprobs": True, "top_logprobs": k}``).
    """

    kind = "local"
    supports_logprobs = True
    limits_are_shared = False

    def __init__(self, settings: LocalModelSettings | None = None, **fields: Any) -> None:
        self.settings = settings or LocalModelSettings(**fields)
        self._shared: _Shared | None = _acquire(self.settings)
        self._shared_ref = self._shared

    @property
    def engine(self) -> HFEngine:
        return self._shared_ref.engine

    @property
    def stats(self) -> BatchStats:
        """Batches served so far by the worker this backend shares."""
        return self._shared_ref.worker.stats

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        if self._shared is None:
            raise RuntimeError("this local backend is closed")
        encoded = self._shared.engine.encode(request)
        shape = (encoded.sampling.max_tokens, len(encoded.ids))
        return await self._shared.worker.submit(encoded, shape)

    def identity(self) -> dict[str, Any]:
        loaded = self._shared_ref.engine.loaded
        return {
            "kind": self.kind,
            "path": self.settings.path,
            "gguf_file": loaded.source.gguf_file,
            "device": loaded.device.type,
            "dtype": str(loaded.dtype).removeprefix("torch."),
            "decode_weights": loaded.decode_weights,
        }

    async def aclose(self) -> None:
        """Give up this backend's share; the model is freed when its last user closes."""
        if self._shared is not None:
            shared, self._shared = self._shared, None
            _release(self.settings, shared)
