"""Number formats for local models: chosen by measurement, int8 only for decoding steps,
and the decoding attention equal to transformers' SDPA path."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

from torch import nn  # noqa: E402
from transformers.integrations.sdpa_attention import sdpa_attention_forward  # noqa: E402

from debate.models import precision  # noqa: E402
from debate.models.decode_attention import decode_attention  # noqa: E402
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


def test_the_measurement_itself_runs_and_is_positive() -> None:
    assert precision.bf16_speedup(precision.linear_weights(TwoLayers())) > 0
    assert precision.int8_rows(precision.linear_weights(TwoLayers())) in (0, 1, 4)


@pytest.mark.parametrize(
    ("quantize", "rows", "dtype", "swapped"),
    [
        ("none", 4, "bfloat16", False),
        ("auto", 4, "bfloat16", True),
        ("auto", 1, "bfloat16", False),  # faster for one row only: not worth it
        ("int8", 0, "bfloat16", True),  # asked for: whatever the timing
        ("int8", 4, "float32", False),  # int8 products take bfloat16 activations only
    ],
)
def test_int8_decoding_is_used_where_measured_or_asked(
    monkeypatch: pytest.MonkeyPatch, quantize: str, rows: int, dtype: str, swapped: bool
) -> None:
    monkeypatch.setattr(precision, "int8_rows", lambda weights: rows)
    model = TwoLayers().to(getattr(torch, dtype))
    used = precision.use_int8_decoding(model, quantize, getattr(torch, dtype))  # type: ignore[arg-type]
    assert used is swapped
    assert isinstance(model.up, DecodeLinear) is swapped


def test_decode_linear_uses_int8_for_one_token_steps_only() -> None:
    torch.manual_seed(0)
    linear = nn.Linear(64, 96, bias=False).to(torch.bfloat16)
    layer = DecodeLinear(linear)
    step = torch.randn(5, 1, 64, dtype=torch.bfloat16)  # five rows, one new token each
    prompt = torch.randn(2, 7, 64, dtype=torch.bfloat16)
    with torch.inference_mode():
        exact = nn.functional.linear(prompt, linear.weight)
        assert torch.equal(layer(prompt), exact)  # prompts: the bfloat16 weight itself
        decoded, reference = layer(step), nn.functional.linear(step, linear.weight)
    assert decoded.shape == (5, 1, 96)
    assert not torch.equal(decoded, reference)  # really the int8 copy...
    error = (decoded.float() - reference.float()).abs().max() / reference.float().abs().max()
    assert error < 0.03  # ...and a close one
    assert layer.weight is linear.weight  # a tied embedding stays tied


def test_a_row_decodes_the_same_whatever_it_is_batched_with() -> None:
    torch.manual_seed(1)
    layer = DecodeLinear(nn.Linear(64, 32, bias=False).to(torch.bfloat16))
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
