"""Decoding steps of a Llama-architecture model as straight-line tensor code.

On a CPU, a one-token step of a small model carries large fixed costs: transformers' decoder
runs each layer through a dozen ``nn.Module`` calls, mask and cache bookkeeping and keyword
plumbing: on SmolLM2-135M with 4-bit weights, a one-row step took 15.07 ms through them
and 11.83 ms here (``benchmarks/decode_step.py``, interleaved).
``LeanDecoder`` replaces the decoder's forward for decoding steps only (one new token per
row, positions given): the same operations in the same order and number formats, with the
query/key/value and gate/up products fused into one product each (their weights stacked
into one quantized copy; each layer then reads its rows of it in place wherever that gives
its own product, so those weights are not held twice). Prompts, and any call it does not
cover, still go to transformers' forward.

It is attached only where every projection decodes with a quantized copy (the fast formats
of ``debate.models.precision``); the exact float32 mode keeps transformers' code throughout.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from debate.models.decode_linear import DecodeLinear
from debate.models.precision import Int4Copy, Int8Copy, four_bit, quantized

SUPPORTED = frozenset({"llama"})
"""``config.model_type`` values whose decoder layers this code reproduces."""


def _fuse(layers: list[DecodeLinear]) -> Int8Copy | Int4Copy:
    """One copy of the layers' weights stacked by output channel, in their format. Each
    layer then reads its rows of it in place where that reproduces the layer's own product
    (checked on a probe: the 4-bit kernel packs channels in blocks, so a part that does not
    start on a block keeps its own copy)."""
    weight = torch.cat([layer.weight.detach() for layer in layers])
    fused: Int8Copy | Int4Copy | None = None
    if all(layer.format == "int4" for layer in layers):  # else int8: never a lossy 4-bit
        fused = four_bit(weight)
    if fused is None:
        fused = quantized(weight)
    generator = torch.Generator().manual_seed(0)  # the caller's random state is left alone
    probe = torch.randn(2, weight.shape[1], dtype=torch.bfloat16, generator=generator)
    start = 0
    for layer in layers:
        stop = start + layer.out_features
        part = fused.rows(start, stop)
        if layer.format == fused.format and torch.equal(
            part.matmul(probe), layer.copy.matmul(probe)
        ):
            layer.copy = part  # the layer's own copy is freed
        start = stop
    return fused


@dataclass(frozen=True)
class _Layer:
    qkv: Int8Copy | Int4Copy
    out: DecodeLinear
    gate_up: Int8Copy | Int4Copy
    down: DecodeLinear
    norm_in: torch.Tensor
    norm_post: torch.Tensor
    eps: float


def _rms_norm(x: torch.Tensor, weight: torch.Tensor, eps: float) -> torch.Tensor:
    """transformers' ``LlamaRMSNorm``, operation for operation (float32 inside)."""
    hidden = x.to(torch.float32)
    hidden = hidden * torch.rsqrt(hidden.pow(2).mean(-1, keepdim=True) + eps)
    return weight * hidden.to(x.dtype)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def _projections(layer: Any) -> list[Any]:
    attention, mlp = layer.self_attn, layer.mlp
    return [
        attention.q_proj,
        attention.k_proj,
        attention.v_proj,
        attention.o_proj,
        mlp.gate_proj,
        mlp.up_proj,
        mlp.down_proj,
    ]


def supports(model: nn.Module) -> bool:
    """Whether ``model`` is a Llama-architecture causal LM whose projections all decode
    with quantized copies (and nothing this code leaves out: biases, other activations)."""
    config = getattr(model, "config", None)
    decoder = getattr(model, "model", None)
    if config is None or decoder is None or getattr(config, "model_type", None) not in SUPPORTED:
        return False
    if getattr(config, "hidden_act", None) != "silu" or getattr(config, "pretraining_tp", 1) != 1:
        return False
    if getattr(config, "attention_bias", False) or getattr(config, "mlp_bias", False):
        return False
    layers = getattr(decoder, "layers", None)
    if not layers:
        return False
    try:
        return all(isinstance(p, DecodeLinear) for layer in layers for p in _projections(layer))
    except AttributeError:
        return False


class LeanDecoder:
    """The decoder's forward for decoding steps; ``attach`` installs it on a model."""

    def __init__(self, model: nn.Module) -> None:
        decoder: Any = model.model
        config: Any = model.config
        self.decoder = decoder
        self.heads = int(config.num_attention_heads)
        self.kv_heads = int(config.num_key_value_heads)
        self.head_dim = int(getattr(config, "head_dim", None) or config.hidden_size // self.heads)
        self.scaling = self.head_dim**-0.5
        self.layers: list[_Layer] = []
        for layer in decoder.layers:
            q, k, v, o, gate, up, down = _projections(layer)
            self.layers.append(
                _Layer(
                    qkv=_fuse([q, k, v]),
                    out=o,
                    gate_up=_fuse([gate, up]),
                    down=down,
                    norm_in=layer.input_layernorm.weight,
                    norm_post=layer.post_attention_layernorm.weight,
                    eps=float(layer.input_layernorm.variance_epsilon),
                )
            )
        self.mlp_width = int(decoder.layers[0].mlp.gate_proj.out_features)
        self.transformers_forward: Callable[..., Any] = decoder.forward

    @classmethod
    def attach(cls, model: nn.Module) -> bool:
        """Install the lean decoding step on ``model`` where ``supports`` it; whether it did."""
        if not supports(model):
            return False
        lean = cls(model)
        model.model.forward = lean.forward  # type: ignore[union-attr]
        return True

    def forward(
        self,
        input_ids: torch.Tensor | None = None,
        attention_mask: torch.Tensor | None = None,
        position_ids: torch.Tensor | None = None,
        cache: Any = None,
        inputs_embeds: torch.Tensor | None = None,
        use_cache: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        one_token = input_ids is not None and input_ids.dim() == 2 and input_ids.shape[1] == 1
        covered = (
            one_token
            and inputs_embeds is None
            and cache is not None
            and position_ids is not None
            and not kwargs.get("output_attentions")
            and not kwargs.get("output_hidden_states")
        )
        if not covered:
            return self.transformers_forward(
                input_ids=input_ids,
                attention_mask=attention_mask,
                position_ids=position_ids,
                cache=cache,
                inputs_embeds=inputs_embeds,
                use_cache=use_cache,
                **kwargs,
            )
        assert input_ids is not None and position_ids is not None
        return self._step(input_ids, attention_mask, position_ids, cache)

    def _step(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None,
        position_ids: torch.Tensor,
        cache: Any,
    ) -> Any:
        from transformers.modeling_outputs import BaseModelOutputWithPast

        rows = input_ids.shape[0]
        heads, kv_heads, dim = self.heads, self.kv_heads, self.head_dim
        x = self.decoder.embed_tokens(input_ids)  # (rows, 1, hidden)
        hidden = x.shape[-1]
        cos, sin = self.decoder.rotary_emb(x, position_ids=position_ids)
        cos, sin = cos.unsqueeze(1), sin.unsqueeze(1)  # (rows, 1, 1, dim)
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = attention_mask.bool()[:, None, None, :]  # (rows, 1, 1, keys)
        q_end, k_end = heads * dim, (heads + kv_heads) * dim
        for index, layer in enumerate(self.layers):
            h = _rms_norm(x, layer.norm_in, layer.eps).view(rows, hidden)
            qkv = layer.qkv.matmul(h)
            q = qkv[:, :q_end].reshape(rows, heads, 1, dim)
            k = qkv[:, q_end:k_end].reshape(rows, kv_heads, 1, dim)
            v = qkv[:, k_end:].reshape(rows, kv_heads, 1, dim)
            q = q * cos + _rotate_half(q) * sin
            k = k * cos + _rotate_half(k) * sin
            keys, values = cache.update(k, v, index)
            step_mask = mask[..., : keys.shape[-2]] if mask is not None else None
            attended = nn.functional.scaled_dot_product_attention(
                q, keys, values, attn_mask=step_mask, scale=self.scaling, enable_gqa=True
            )  # (rows, heads, 1, dim): the layout of (rows, 1, heads * dim)
            x = x + layer.out.copy.matmul(attended.reshape(rows, heads * dim)).view(rows, 1, -1)
            h = _rms_norm(x, layer.norm_post, layer.eps).view(rows, hidden)
            gate_up = layer.gate_up.matmul(h)
            width = self.mlp_width
            activated = nn.functional.silu(gate_up[:, :width]) * gate_up[:, width:]
            x = x + layer.down.copy.matmul(activated).view(rows, 1, -1)
        return BaseModelOutputWithPast(last_hidden_state=self.decoder.norm(x), cache=cache)
