"""The fast local decoding path on a tiny Llama model: the straight-line decoding step gives
exactly what transformers' layers give on the same quantized copies, generation really goes
through it, it is attached only where it covers the model, and left-padded rows never
attend to their padding (transformers built no mask for our attention's name)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")

from debate.models.base import GenerateRequest, Message, SamplingSettings  # noqa: E402
from debate.models.decode_attention import install  # noqa: E402
from debate.models.hf_generate import HFEngine  # noqa: E402
from debate.models.hf_load import LoadedModel, load  # noqa: E402
from debate.models.kv_cache import growing_cache  # noqa: E402
from debate.models.lean_decode import LeanDecoder, supports  # noqa: E402
from debate.models.local import LocalModelSettings  # noqa: E402
from debate.models.tiny import build_tiny_model  # noqa: E402
from tests.torch_threads import one_torch_thread  # noqa: E402, F401  (autouse)


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("lean") / "model", seed=5)


def loaded(tiny_dir: Path, **fields: Any) -> LoadedModel:
    return load(LocalModelSettings(path=str(tiny_dir), **fields))


def padded_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """Three prompts of 12, 5 and 9 tokens, left-padded to 12."""
    generator = torch.Generator().manual_seed(0)
    ids = torch.randint(4, 90, (3, 12), generator=generator)
    mask = torch.ones(3, 12, dtype=torch.long)
    mask[1, :7] = 0
    mask[2, :3] = 0
    return ids, mask


def positions(mask: torch.Tensor) -> torch.Tensor:
    return (mask.cumsum(-1) - 1).clamp(min=0)


def decode(model: Any, ids: torch.Tensor, mask: torch.Tensor, steps: int, step: Any) -> list[Any]:
    """Prefill with the model, then ``steps`` greedy steps through ``step``; each step's
    hidden states."""
    cache = growing_cache(model.config)
    pos = positions(mask)
    out = model(input_ids=ids, attention_mask=mask, position_ids=pos, cache=cache)
    token = out.logits[:, -1:].argmax(-1)
    last, hidden = pos[:, -1:], []
    for _ in range(steps):
        mask = torch.cat([mask, torch.ones(mask.shape[0], 1, dtype=torch.long)], dim=1)
        last = last + 1
        states = step(input_ids=token, attention_mask=mask, position_ids=last, cache=cache)
        hidden.append(states.last_hidden_state)
        token = model.lm_head(states.last_hidden_state).argmax(-1)
    return hidden


@pytest.mark.parametrize("quantize", ["int4", "int8"])
def test_the_lean_step_equals_transformers_layers_exactly(tiny_dir: Path, quantize: str) -> None:
    model = loaded(tiny_dir, dtype="bfloat16", quantize=quantize).model
    lean = model.model.forward.__self__
    assert isinstance(lean, LeanDecoder)  # attached by load in the fast formats
    ids, mask = padded_batch()
    with torch.inference_mode():
        ours = decode(model, ids, mask, 6, lean.forward)
        theirs = decode(model, ids, mask, 6, lean.transformers_forward)
    assert len(ours) == 6
    for a, b in zip(ours, theirs, strict=True):
        assert torch.equal(a, b)


def test_generation_runs_its_decoding_steps_through_the_lean_path(
    tiny_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine = HFEngine(loaded(tiny_dir, dtype="bfloat16", quantize="int4"))
    lean = engine.loaded.model.model.forward.__self__
    steps: list[int] = []
    real_step = lean._step

    def counted(*args: Any) -> Any:
        steps.append(args[0].shape[0])
        return real_step(*args)

    monkeypatch.setattr(lean, "_step", counted)
    request = GenerateRequest(
        model="tiny",
        messages=[Message(role="user", content="Who stole the ring?")],
        sampling=SamplingSettings(max_tokens=9),
    )
    items = [engine.encode(request), engine.encode(request.model_copy(update={"seed": 1}))]
    first = engine.run_batch(items)
    generated = max(r.usage.output_tokens for r in first)
    assert steps and len(steps) == generated - 1  # every token after the prompt's own
    assert set(steps) == {2}
    # The same batch through transformers' layers (same copies) gives the same text.
    monkeypatch.setattr(engine.loaded.model.model, "forward", lean.transformers_forward)
    second = engine.run_batch(items)
    assert [r.text for r in first] == [r.text for r in second]


def test_the_exact_mode_keeps_transformers_code(tiny_dir: Path) -> None:
    model = loaded(tiny_dir, dtype="float32", quantize="none").model
    assert not supports(model)
    assert not isinstance(getattr(model.model.forward, "__self__", None), LeanDecoder)


def test_a_model_it_does_not_cover_is_left_alone(tiny_dir: Path) -> None:
    model = loaded(tiny_dir, dtype="bfloat16", quantize="int4").model
    assert supports(model)
    model.config.model_type = "mistral"  # another architecture's layers: not reproduced
    assert not supports(model)
    model.config.model_type = "llama"
    model.model.layers[1].mlp.up_proj = torch.nn.Linear(64, 128, bias=False)  # unquantized
    assert not supports(model)
    assert not LeanDecoder.attach(model)


@pytest.mark.parametrize("fast", [False, True])
def test_left_padded_rows_do_not_attend_to_their_padding(tiny_dir: Path, fast: bool) -> None:
    """Each padded row's steps match the same prompt run alone (float32: to rounding; the
    fast formats: to bfloat16's). Attending to the padding moved them by whole units."""
    if fast:
        model = loaded(tiny_dir, dtype="bfloat16", quantize="int4").model
        tolerance = 0.1
    else:
        model = loaded(tiny_dir, dtype="float32", quantize="none").model
        install(model)  # our attention, in float32, to check its mask alone
        tolerance = 1e-4
    ids, mask = padded_batch()
    with torch.inference_mode():
        together = decode(model, ids, mask, 3, model.model)
        for row in range(3):
            real = mask[row].bool()
            prompt, ones = ids[row : row + 1, real], mask[row : row + 1, real]
            alone = decode(model, prompt, ones, 3, model.model)
            for step in range(3):
                gap = (together[step][row].float() - alone[step][0].float()).abs().max()
                scale = alone[step][0].float().abs().max()
                assert gap <= tolerance * scale, (row, step, float(gap), float(scale))


def test_stacking_never_makes_a_lossy_four_bit_copy_and_keeps_parts_it_cannot_share() -> None:
    from debate.models import precision
    from debate.models.decode_linear import DecodeLinear
    from debate.models.lean_decode import _fuse

    torch.manual_seed(6)
    exact = torch.nn.Linear(64, 64, bias=False).to(torch.bfloat16)
    levels = torch.randint(0, 16, (64, 2, 32)).float()
    levels[..., 0], levels[..., 1] = 0, 15
    exact.weight.data = (levels * 0.01 - 0.075).reshape(64, 64).to(torch.bfloat16)
    plain = torch.nn.Linear(64, 32, bias=False).to(torch.bfloat16)
    four = precision.four_bit(exact.weight)
    assert four is not None and four.exact
    layers = [DecodeLinear(exact, four), DecodeLinear(plain, precision.quantized(plain.weight))]
    own = layers[0].copy
    fused = _fuse(layers)
    assert fused.format == "int8"  # mixed formats: int8, never 4-bit for the non-4-bit one
    assert layers[0].copy is own  # the 4-bit layer keeps its exact copy
    x = torch.randn(3, 64, dtype=torch.bfloat16)
    assert torch.equal(layers[1].copy.matmul(x), fused.matmul(x)[:, 64:])  # reads fused rows
    # All 4-bit, parts not on the kernel's blocks (32 channels here): each keeps its own.
    quarters = [torch.nn.Linear(64, 32, bias=False).to(torch.bfloat16) for _ in range(2)]
    parts = [DecodeLinear(q, precision.four_bit(q.weight)) for q in quarters]  # type: ignore[arg-type]
    before = [p.copy.matmul(x) for p in parts]
    _fuse(parts)
    assert all(torch.equal(p.copy.matmul(x), b) for p, b in zip(parts, before, strict=True))
