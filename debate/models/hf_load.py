"""Finding and loading a transformers causal LM: a directory, a GGUF file or a hub id.

``resolve_source`` only looks at the file system, so a bad path is a one-line ConfigError
before torch is imported. ``load`` imports torch and transformers (lazily, here only) and
turns their many failure modes (missing weight file, unreadable GGUF, no chat template,
no CUDA) into one-line ConfigErrors too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from debate.errors import ConfigError
from debate.models.local_store import KNOWN_MODELS, prepared_path

if TYPE_CHECKING:
    import torch
    from transformers import PreTrainedModel, PreTrainedTokenizerBase

    from debate.models.local import LocalModelSettings

_HUB_ID = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


@dataclass(frozen=True)
class ModelSource:
    """Where weights come from: a transformers directory, a GGUF file, or the hub."""

    kind: Literal["dir", "gguf", "hub"]
    location: str
    gguf_file: str | None = None

    def __str__(self) -> str:
        if self.gguf_file:
            return str(Path(self.location) / self.gguf_file)
        return self.location


def resolve_source(path: str, gguf_file: str | None = None) -> ModelSource:
    """The model ``path`` names: a prepared known model, a directory, a GGUF file or a hub id."""
    if path in KNOWN_MODELS:
        prepared = prepared_path(path)
        if not (prepared / "config.json").is_file():
            raise ConfigError(
                f"local model {path!r} is not prepared (no {prepared}); run "
                "`debate prepare-model` (or `make local-model`) first"
            )
        return ModelSource("dir", str(prepared))
    where = Path(path).expanduser()
    if where.is_file():
        if where.suffix != ".gguf":
            raise ConfigError(f"model file {where} is not a .gguf file; give a GGUF file or a dir")
        return ModelSource("gguf", str(where.parent), where.name)
    if where.is_dir():
        if gguf_file is not None:
            if not (where / gguf_file).is_file():
                raise ConfigError(f"GGUF file not found: {where / gguf_file}")
            return ModelSource("gguf", str(where), gguf_file)
        if (where / "config.json").is_file():
            return ModelSource("dir", str(where))
        ggufs = sorted(where.glob("*.gguf"))
        if len(ggufs) == 1:
            return ModelSource("gguf", str(where), ggufs[0].name)
        if ggufs:
            raise ConfigError(f"{where} holds several .gguf files; choose one with gguf_file")
        raise ConfigError(f"no model in {where}: expected config.json or a .gguf file")
    if _HUB_ID.match(path) and not path.startswith((".", "~")):
        return ModelSource("hub", path, gguf_file)
    raise ConfigError(f"local model path not found: {path}")


@dataclass
class LoadedModel:
    """A model on its device with what generation needs to know about its tokenizer."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    source: ModelSource
    device: torch.device
    dtype: torch.dtype
    eos_ids: list[int]
    pad_id: int
    context: int | None
    """Most positions the model handles (prompt plus output), when its config says."""
    decode_weights: dict[str, int] = field(default_factory=dict)
    """How many linear layers decode with each quantized format, e.g. ``{"int4": 210,
    "int8": 1}`` (``debate.models.precision``); empty: the model's own weights."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]


def pick_device(name: str) -> torch.device:
    import torch

    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        device = torch.device(name)
    except RuntimeError:
        raise ConfigError(f"unknown device {name!r}; use auto, cpu, cuda, cuda:N or mps") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ConfigError(f"device {name!r} asked for, but torch sees no CUDA GPU here")
    if device.type == "mps" and not torch.backends.mps.is_available():
        raise ConfigError(f"device {name!r} asked for, but MPS is not available here")
    return device


def pick_dtype(name: str, device: torch.device) -> torch.dtype:
    """``auto``: bfloat16 on a GPU that has it, else float16; on a CPU, float32 to load
    (``load`` then keeps it or moves to bfloat16 by measurement, ``precision``)."""
    import torch

    if name == "auto":
        if device.type == "cuda":
            return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
        return torch.float32
    dtype: torch.dtype = getattr(torch, name)
    return dtype


def _eos_ids(model: PreTrainedModel, tokenizer: PreTrainedTokenizerBase) -> list[int]:
    """End-of-turn ids: the generation config's (chat models end turns there) and the EOS."""
    ids: list[int] = []
    configured = getattr(model.generation_config, "eos_token_id", None)
    for value in [configured, tokenizer.eos_token_id]:
        for token in value if isinstance(value, list) else [value]:
            if isinstance(token, int) and token not in ids:
                ids.append(token)
    return ids


def load(settings: LocalModelSettings) -> LoadedModel:
    """Load the model ``settings`` name onto its device, ready for ``HFEngine``."""
    source = resolve_source(settings.path, settings.gguf_file)
    template = None
    if settings.chat_template is not None:
        template_path = Path(settings.chat_template).expanduser()
        if not template_path.is_file():
            raise ConfigError(f"chat template file not found: {template_path}")
        template = template_path.read_text()
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer, GenerationConfig
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]  # quiet eval logs
    if settings.threads is not None:
        torch.set_num_threads(settings.threads)
    device = pick_device(settings.device)
    dtype = pick_dtype(settings.dtype, device)
    kwargs: dict[str, Any] = {"gguf_file": source.gguf_file} if source.gguf_file else {}
    try:
        tokenizer = AutoTokenizer.from_pretrained(source.location, **kwargs)
        model = AutoModelForCausalLM.from_pretrained(source.location, dtype=dtype, **kwargs)
    except (OSError, ValueError, KeyError, RuntimeError, ImportError) as exc:
        raise ConfigError(f"cannot load model {source}: {_first_line(exc)}") from None
    if template is not None:
        tokenizer.chat_template = template
    if not getattr(tokenizer, "chat_template", None):
        raise ConfigError(
            f"model {source} has no chat template; set chat_template to a Jinja template file"
        )
    eos_ids = _eos_ids(model, tokenizer)
    if not eos_ids:
        raise ConfigError(f"model {source} names no end-of-sequence token")
    pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos_ids[0]
    # Our SamplingSettings are the only source of sampling behaviour: a model's own
    # defaults (temperature, repetition penalty...) would make runs depend on its files.
    model.generation_config = GenerationConfig(eos_token_id=eos_ids, pad_token_id=pad_id)  # type: ignore[no-untyped-call]
    model.to(device)  # type: ignore[arg-type]  # transformers' own stubs are wrong here
    model.eval()  # type: ignore[no-untyped-call]
    decode_weights: dict[str, int] = {}
    if device.type == "cpu":
        from debate.models.decode_attention import install
        from debate.models.precision import pick_cpu_dtype, use_quantized_decoding

        if settings.dtype == "auto":
            dtype = pick_cpu_dtype(model)
            model.to(dtype)  # type: ignore[arg-type]
        counts = use_quantized_decoding(model, settings.quantize, dtype)
        decode_weights = dict(sorted(counts.items()))
        fast = dtype == torch.bfloat16  # float32 stays exact: SDPA, as measured batch-invariant
        if fast and getattr(model.config, "_attn_implementation", None) == "sdpa":
            install(model)  # one-token queries without repeated keys (decode_attention)
        if decode_weights:
            from debate.models.lean_decode import LeanDecoder

            LeanDecoder.attach(model)  # decoding steps as straight-line code, where it can
    context = getattr(model.config, "max_position_embeddings", None)
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        source=source,
        device=device,
        dtype=dtype,
        eos_ids=eos_ids,
        pad_id=pad_id,
        context=context if isinstance(context, int) else None,
        decode_weights=decode_weights,
    )


def convert_gguf(gguf: Path, out: Path) -> None:
    """Write a plain safetensors copy of a GGUF model (de-quantised once, not every load)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
        model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    except (OSError, ValueError, KeyError, RuntimeError) as exc:
        raise ConfigError(f"cannot read GGUF model {gguf}: {_first_line(exc)}") from None
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config  # the weights below are plain tensors
    with torch.device("meta"):  # no second copy of the weights while converting
        plain = AutoModelForCausalLM.from_config(config)  # type: ignore[no-untyped-call]
    plain.load_state_dict(model.state_dict(), assign=True, strict=True)
    plain.tie_weights()
    plain.generation_config = model.generation_config
    plain.save_pretrained(str(out))
    tokenizer.save_pretrained(str(out))
