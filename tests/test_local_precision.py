"""Number formats for local models: chosen by measurement (4-bit only for weights already
4-bit, unless asked), quantized copies only for decoding steps, and the decoding attention
equal to grouped-query SDPA."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from transformers.integrations.sdpa_attention import sdpa_attention_forward  # noqa: E402

from debate.models import precision  # noqa: E402
from debate.models.decode_attention import decode_attention, padded_prompt_attention  # noqa: E402
from debate.models.decode_linear import DecodeLinear  # noqa: E402


class TwoLayers(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.up = nn.Linear(64, 128, bias=False)
        self.down = nn.Linear(128, 64, bias=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down(torch.relu(self.up(x)))


@pytest.mark.parametrize(("speedup", "chosen"), [(3.0, "bfloat16"), (1.1, "float32")])
def test_cpu_dtype_follows_the_measurement(
    monkeypatch: pytest.MonkeyPatch, speedup: float, chosen: str
) -> None:
    monkeypatch.setattr(precision, "bf16_speedup", lambda weights: speedup)
    assert precision.pick_cpu_dtype(TwoLayers()) == getattr(torch, chosen)


def test_the_measurements_themselves_run() -> None:
    weights = precision.linear_weights(TwoLayers())
    assert precision.bf16_speedup(weights) > 0
    assert precision.faster_rows(weights, precision.quantized, None) in (0, 1, 4)
    assert precision.faster_rows(weights, _int4, precision.quantized) in (0, 1, 4)


def _int4(weight: torch.Tensor) -> precision.Int4Copy:
    copy = precision.four_bit(weight)
    assert copy is not None
    return copy


def four_bit_weight(rows: int, features: int, seed: int = 0) -> torch.Tensor:
    """A weight that is exactly 4-bit: per group of 32, a low value plus 0..15 steps (every
    group using both ends, as llama.cpp's Q4_1 quantizer makes them), rounded to bfloat16."""
    generator = torch.Generator().manual_seed(seed)
    groups = features // precision.GROUP
    levels = torch.randint(0, 16, (rows, groups, precision.GROUP), generator=generator)
    levels[..., 0], levels[..., 1] = 0, 15
    step = torch.rand(rows, groups, 1, generator=generator) * 0.01 + 0.002
    low = (torch.randn(rows, groups, 1, generator=generator) - 7.5) * step
    return (levels * step + low).reshape(rows, features).to(torch.bfloat16)


def test_a_four_bit_weight_is_recognised_and_multiplied_without_loss() -> None:
    weight = four_bit_weight(48, 96)
    copy = precision.four_bit(weight)
    assert copy is not None and copy.exact
    x = torch.randn(5, 96, dtype=torch.bfloat16)
    with torch.inference_mode():
        reference = x.float() @ weight.float().T
        four, eight = copy.matmul(x).float(), precision.quantized(weight).matmul(x).float()
    scale = reference.abs().max()
    # The 4-bit copy is the weight itself, up to bfloat16 rounding of its scales: closer
    # than the int8 copy, which rounds every weight to 255 levels per row.
    assert (four - reference).abs().max() / scale < 0.01
    assert (four - reference).abs().max() < (eight - reference).abs().max()


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_weight_that_is_not_four_bit_is_not_called_exact(seed: int) -> None:
    torch.manual_seed(seed)
    copy = precision.four_bit(torch.randn(16, 64, dtype=torch.bfloat16))
    assert copy is not None and not copy.exact
    # One weight moved by 0.4 of its group's step (far above bfloat16's rounding) is enough.
    nearly = four_bit_weight(16, 64, seed).float()
    group = nearly[3, :32]
    nearly[3, 5] += 0.4 * float(group.max() - group.min()) / 15
    assert not _int4(nearly.to(torch.bfloat16)).exact


def test_shapes_the_four_bit_kernel_cannot_take_have_no_four_bit_copy() -> None:
    assert precision.four_bit(torch.randn(16, 40, dtype=torch.bfloat16)) is None  # 40 inputs
    assert precision.four_bit(torch.randn(8, 64, dtype=torch.bfloat16)) is None  # 8 outputs
    assert precision.four_bit(torch.randn(16, 64, dtype=torch.bfloat16)) is not None


class FourBitLayers(nn.Module):
    """One layer already 4-bit, one not, one of a shape the 4-bit kernel cannot take."""

    def __init__(self) -> None:
        super().__init__()
        self.exact = nn.Linear(64, 32, bias=False)
        self.exact.weight.data = four_bit_weight(32, 64).float()
        self.plain = nn.Linear(64, 32, bias=False)
        self.odd = nn.Linear(40, 16, bias=False)


def _formats(model: nn.Module) -> dict[str, str]:
    return {
        name: child.format if isinstance(child, DecodeLinear) else "bfloat16"
        for name, child in model.named_children()
    }


@pytest.mark.parametrize(
    ("quantize", "int8_rows", "int4_rows", "expected"),
    [
        ("auto", 4, 4, {"exact": "int4", "plain": "int8", "odd": "int8"}),
        ("auto", 4, 1, {"exact": "int8", "plain": "int8", "odd": "int8"}),  # int4 not faster
        ("auto", 1, 4, {"exact": "int4", "plain": "bfloat16", "odd": "bfloat16"}),
        ("auto", 0, 0, {"exact": "bfloat16", "plain": "bfloat16", "odd": "bfloat16"}),
        ("int4", 0, 0, {"exact": "int4", "plain": "int4", "odd": "int8"}),  # asked: lossy too
        ("int8", 0, 0, {"exact": "int8", "plain": "int8", "odd": "int8"}),
        ("none", 4, 4, {"exact": "bfloat16", "plain": "bfloat16", "odd": "bfloat16"}),
    ],
)
def test_decoding_formats_follow_exactness_measurement_and_request(
    monkeypatch: pytest.MonkeyPatch,
    quantize: str,
    int8_rows: int,
    int4_rows: int,
    expected: dict[str, str],
) -> None:
    def rows(weights: list[torch.Tensor], fast: object, slow: object) -> int:
        if fast is precision.quantized:
            return int8_rows
        assert all(_int4(w).exact for w in weights)  # int4 is timed on exact weights only
        assert slow is (precision.quantized if int8_rows >= 4 else None)  # against the rest
        return int4_rows

    monkeypatch.setattr(precision, "faster_rows", rows)
    model = FourBitLayers().to(torch.bfloat16)
    counts = precision.use_quantized_decoding(model, quantize, torch.bfloat16)  # type: ignore[arg-type]
    assert _formats(model) == expected
    kinds = list(expected.values())
    assert dict(counts) == {k: kinds.count(k) for k in ("int4", "int8") if k in kinds}


def test_float32_models_keep_their_weights() -> None:
    model = FourBitLayers()
    assert not precision.use_quantized_decoding(model, "int4", torch.float32)
    assert set(_formats(model).values()) == {"bfloat16"}  # (the name of "not swapped" here)


@pytest.mark.parametrize("kind", ["int8", "int4"])
def test_decode_linear_uses_its_copy_for_one_token_steps_only(kind: str) -> None:
    torch.manual_seed(0)
    linear = nn.Linear(64, 96, bias=False).to(torch.bfloat16)
    copy = precision.quantized(linear.weight) if kind == "int8" else _int4(linear.weight)
    layer = DecodeLinear(linear, copy)
    assert layer.format == kind
    step = torch.randn(5, 1, 64, dtype=torch.bfloat16)  # five rows, one new token each
    prompt = torch.randn(2, 7, 64, dtype=torch.bfloat16)
    with torch.inference_mode():
        exact = nn.functional.linear(prompt, linear.weight)
        assert torch.equal(layer(prompt), exact)  # prompts: the bfloat16 weight itself
        decoded, reference = layer(step), nn.functional.linear(step, linear.weight)
    assert decoded.shape == (5, 1, 96)
    assert not torch.equal(decoded, reference)  # really the quantized copy...
    error = (decoded.float() - reference.float()).abs().max() / reference.float().abs().max()
    assert error < (0.03 if kind == "int8" else 0.2)  # ...and a close one (4-bit: lossy here)
    assert layer.weight is linear.weight  # a tied embedding stays tied


@pytest.mark.parametrize("kind", ["int8", "int4"])
def test_a_row_decodes_the_same_whatever_it_is_batched_with(kind: str) -> None:
    torch.manual_seed(1)
    linear = nn.Linear(64, 32, bias=False).to(torch.bfloat16)
    copy = precision.quantized(linear.weight) if kind == "int8" else _int4(linear.weight)
    layer = DecodeLinear(linear, copy)
    rows = torch.randn(6, 1, 64, dtype=torch.bfloat16)
    with torch.inference_mode():
        together = layer(rows)
        alone = torch.cat([layer(rows[i : i + 1]) for i in range(6)])
    assert torch.equal(together, alone)


class Grouped(nn.Module):
    num_key_value_groups = 3


@pytest.mark.parametrize("masked", [False, True])
@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_decode_attention_equals_sdpa_for_one_query(masked: bool, dtype: str) -> None:
    torch.manual_seed(2)
    kind = getattr(torch, dtype)
    query = torch.randn(3, 6, 1, 16, dtype=kind)
    key, value = torch.randn(3, 2, 9, 16, dtype=kind), torch.randn(3, 2, 9, 16, dtype=kind)
    mask = None
    if masked:  # left padding: row 0 has 4 padded positions, row 2 one
        mask = torch.ones(3, 1, 1, 9, dtype=torch.bool)
        mask[0, ..., :4] = False
        mask[2, ..., :1] = False
    ours, _ = decode_attention(Grouped(), query, key, value, mask, scaling=0.25)
    theirs, _ = sdpa_attention_forward(Grouped(), query, key, value, mask, scaling=0.25)
    assert ours.shape == theirs.shape == (3, 1, 6, 16)
    tolerance = 1e-5 if dtype == "float32" else 2e-2
    assert torch.allclose(ours.float(), theirs.float(), atol=tolerance)


def test_prompts_still_go_to_sdpa() -> None:
    torch.manual_seed(3)
    query = torch.randn(1, 6, 5, 16)
    key, value = torch.randn(1, 2, 5, 16), torch.randn(1, 2, 5, 16)
    ours, _ = decode_attention(Grouped(), query, key, value, None, scaling=0.25, is_causal=True)
    theirs, _ = sdpa_attention_forward(
        Grouped(), query, key, value, None, scaling=0.25, is_causal=True
    )
    assert torch.equal(ours, theirs)


def _left_padded(starts: list[int], queries: int) -> torch.Tensor:
    causal = torch.ones(queries, queries, dtype=torch.bool).tril()
    real = torch.zeros(len(starts), queries, dtype=torch.bool)
    for row, start in enumerate(starts):
        real[row, start:] = True
    return causal[None, None] & real[:, None, None, :]


@pytest.mark.parametrize("dtype", ["float32", "bfloat16"])
def test_padded_prompts_are_attended_row_by_row_as_with_the_mask(dtype: str) -> None:
    torch.manual_seed(4)
    kind = getattr(torch, dtype)
    query = torch.randn(3, 6, 7, 16, dtype=kind)
    key, value = torch.randn(3, 2, 7, 16, dtype=kind), torch.randn(3, 2, 7, 16, dtype=kind)
    starts = [0, 4, 2]
    mask = _left_padded(starts, 7)
    ours = padded_prompt_attention(query, key, value, mask, 0.25)
    theirs, _ = sdpa_attention_forward(Grouped(), query, key, value, mask, scaling=0.25)
    assert ours is not None and ours.shape == theirs.shape == (3, 7, 6, 16)
    tolerance = 1e-5 if dtype == "float32" else 2e-2
    for row, start in enumerate(starts):  # the real tokens; padded positions are never read
        assert torch.allclose(
            ours[row, start:].float(), theirs[row, start:].float(), atol=tolerance
        )
        assert not ours[row, :start].any()
    routed, _ = decode_attention(Grouped(), query, key, value, mask, scaling=0.25)
    assert torch.equal(routed, ours)  # what the model's attention calls


def test_other_prompt_masks_keep_transformers_path() -> None:
    torch.manual_seed(5)
    query = torch.randn(2, 6, 5, 16)
    key, value = torch.randn(2, 2, 5, 16), torch.randn(2, 2, 5, 16)
    mask = _left_padded([0, 2], 5)
    holed = mask.clone()
    holed[1, 0, 4, 3] = False  # not left padding: a key hidden from one query
    right = _left_padded([0, 0], 5)
    right[1, ..., 3:] = False  # right padding
    cached = torch.ones(2, 1, 5, 8, dtype=torch.bool)  # a cached prefix: more keys than queries
    assert padded_prompt_attention(query, key, value, holed, 0.25) is None
    assert padded_prompt_attention(query, key, value, right, 0.25) is None
    assert padded_prompt_attention(query, key, value, None, 0.25) is None
    assert padded_prompt_attention(query[:1], key[:1], value[:1], mask[:1], 0.25) is None
    longer = torch.randn(2, 2, 8, 16)
    assert padded_prompt_attention(query, longer, longer, cached, 0.25) is None
    ours, _ = decode_attention(Grouped(), query, key, value, holed, scaling=0.25)
    theirs, _ = sdpa_attention_forward(Grouped(), query, key, value, holed, scaling=0.25)
    assert torch.equal(ours, theirs)
