"""The local torch backend on a tiny random model built from a config (no download).

Checks what users rely on: greedy outputs do not depend on batching; seeded sampling does
not either; per-request limits, stop strings and logprobs hold inside a shared batch; the
backend works under the ``Model`` wrapper and a model judge; bad paths are one-line errors.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("transformers")

from debate.errors import ConfigError
from debate.models import GenerateRequest, Message, Model, ModelConfig, SamplingSettings
from debate.models.hf_generate import PromptTooLong
from debate.models.local import LocalBackend, LocalModelSettings
from debate.models.tiny import build_tiny_model
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse)

PROMPTS = [
    "Who stole the ring?",
    "The butler was in the kitchen at noon, and the maid left at one.",
    "x",
    "A much longer prompt " * 12,
    "Quote the story.",
    "Which statement is true?",
]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=3)


@pytest.fixture(scope="module")
def backend(tiny_dir: Path) -> LocalBackend:
    # float32, no int8: the exact mode, whose greedy outputs do not depend on batching.
    return LocalBackend(
        path=str(tiny_dir), max_batch_size=8, batch_wait_ms=100, dtype="float32", quantize="none"
    )


def request(
    text: str,
    max_tokens: int = 12,
    temperature: float = 0.0,
    seed: int | None = None,
    **extra: object,
) -> GenerateRequest:
    return GenerateRequest(
        model="tiny",
        messages=[Message(role="system", content="Be brief."), Message(role="user", content=text)],
        sampling=SamplingSettings(max_tokens=max_tokens, temperature=temperature),
        seed=seed,
        extra=dict(extra),
    )


async def test_greedy_outputs_with_batching_equal_those_without(backend: LocalBackend) -> None:
    alone = [await backend.generate(request(p)) for p in PROMPTS]
    before = backend.stats.batches
    together = await asyncio.gather(*(backend.generate(request(p)) for p in PROMPTS))
    assert backend.stats.batches - before < len(PROMPTS)  # they really shared a batch
    assert max(backend.stats.sizes) >= 3
    assert [r.text for r in together] == [r.text for r in alone]
    assert len({r.text for r in alone}) == len(PROMPTS)  # distinct prompts, distinct outputs


async def test_greedy_batch_matches_a_plain_argmax_loop(backend: LocalBackend) -> None:
    """An independent check of the generation path: the next token is always the argmax."""
    import torch

    engine = backend.engine
    encoded = engine.encode(request(PROMPTS[1], max_tokens=8))
    model = engine.loaded.model
    ids = torch.tensor([encoded.ids])
    with torch.inference_mode():
        for _ in range(8):
            ids = torch.cat([ids, model(ids).logits[:, -1].argmax(-1, keepdim=True)], dim=1)
    expected = ids[0, len(encoded.ids) :].tolist()
    eos = set(engine.loaded.eos_ids)
    if any(t in eos for t in expected):
        expected = expected[: next(i for i, t in enumerate(expected) if t in eos)]
    response = (await asyncio.gather(*(backend.generate(request(p, 8)) for p in PROMPTS)))[1]
    assert response.text == engine.loaded.tokenizer.decode(expected, skip_special_tokens=True)


async def test_each_row_keeps_its_own_max_tokens(backend: LocalBackend) -> None:
    short, long = await asyncio.gather(
        backend.generate(request(PROMPTS[0], max_tokens=3)),
        backend.generate(request(PROMPTS[0], max_tokens=15)),
    )
    assert short.usage.output_tokens == 3 and short.finish_reason == "length"
    assert long.usage.output_tokens == 15
    tokenizer = backend.engine.loaded.tokenizer
    long_ids = tokenizer(long.text, add_special_tokens=False)["input_ids"]
    assert tokenizer.decode(long_ids[:3]) == short.text


async def test_stop_strings_cut_the_text(backend: LocalBackend) -> None:
    free = await backend.generate(request(PROMPTS[1], max_tokens=15))
    stop = free.text[4:6]
    cut = await backend.generate(
        GenerateRequest(
            model="tiny",
            messages=request(PROMPTS[1]).messages,
            sampling=SamplingSettings(max_tokens=15, stop=[stop]),
        )
    )
    assert cut.finish_reason == "stop"
    assert cut.text == free.text[: free.text.index(stop)]
    assert cut.usage.output_tokens < 15


async def test_seeded_sampling_does_not_depend_on_the_batch(backend: LocalBackend) -> None:
    hot = {"temperature": 1.5, "max_tokens": 12}
    alone = await backend.generate(request(PROMPTS[0], seed=11, **hot))  # type: ignore[arg-type]
    batch = await asyncio.gather(
        *(backend.generate(request(p, seed=11, **hot)) for p in PROMPTS[1:4]),  # type: ignore[arg-type]
        backend.generate(request(PROMPTS[0], seed=11, **hot)),  # type: ignore[arg-type]
        backend.generate(request(PROMPTS[0], seed=12, **hot)),  # type: ignore[arg-type]
    )
    greedy = await backend.generate(request(PROMPTS[0], max_tokens=12))
    assert batch[3].text == alone.text
    assert batch[4].text != alone.text  # another seed samples another text
    assert alone.text != greedy.text  # and it really sampled


async def test_logprobs_in_the_openai_shape(backend: LocalBackend) -> None:
    response = await backend.generate(
        request(PROMPTS[2], max_tokens=2, logprobs=True, top_logprobs=5)
    )
    entries = response.extra["logprobs"]
    assert len(entries) == response.usage.output_tokens == 2
    for entry in entries:
        alternatives = entry["top_logprobs"]
        assert len(alternatives) == 5
        values = [a["logprob"] for a in alternatives]
        assert values == sorted(values, reverse=True) and all(v <= 0 for v in values)
        # Greedy: the chosen token is the most likely one.
        assert entry["logprob"] == pytest.approx(values[0])
        assert entry["token"] == alternatives[0]["token"]
    assert "".join(e["token"] for e in entries) == response.text


async def test_unknown_request_options_and_long_prompts_are_refused(
    backend: LocalBackend,
) -> None:
    with pytest.raises(ValueError, match="does not support request options"):
        await backend.generate(request("hi", tools=[]))
    with pytest.raises(PromptTooLong, match="exceeds the model's context of 1024"):
        await backend.generate(request("word " * 1200))


async def test_model_wrapper_and_judge_use_logprobs(backend: LocalBackend) -> None:
    from debate.types import JudgeView
    from judges.model_judge import ModelJudge

    model = Model(backend, ModelConfig(model="tiny", max_concurrency=4))
    judge = ModelJudge(model)
    assert judge.method == "logprobs"
    view = JudgeView(
        debate_id="d1", protocol="naive", question="Who?", answers=["Ann", "Bob"], turns=[], seed=1
    )
    verdict = await judge(view)
    # A random model rarely says a bare letter: a parse failure is recorded, never guessed.
    assert len(verdict.probabilities) == 2
    if verdict.parsed:
        assert sum(verdict.probabilities) == pytest.approx(1.0)
    else:  # gibberish: re-asked up to the limit, then recorded with no decision
        assert verdict.decision is None and verdict.probabilities == [0.5, 0.5]
        assert verdict.reasks == judge.max_reasks
    assert model.usage.calls >= 1 and model.usage.input_tokens > 0
    assert model.describe().settings["backend"]["kind"] == "local"


def test_backends_with_equal_settings_share_one_model(tiny_dir: Path) -> None:
    a = LocalBackend(path=str(tiny_dir), max_batch_size=2)
    b = LocalBackend(LocalModelSettings(path=str(tiny_dir), max_batch_size=2))
    c = LocalBackend(path=str(tiny_dir), max_batch_size=3)
    try:
        assert a.engine is b.engine
        assert c.engine is not a.engine
        json.dumps(a.identity())  # recordable in transcripts and cache keys
    finally:
        for backend in (a, b, c):
            asyncio.run(backend.aclose())
    assert a.stats is b.stats


def test_bad_paths_are_one_line_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="local model path not found"):
        LocalBackend(path=str(tmp_path / "nowhere"))
    with pytest.raises(ConfigError, match="no model in"):
        LocalBackend(path=str(tmp_path))
    (tmp_path / "weights.bin").write_bytes(b"\0")
    with pytest.raises(ConfigError, match=r"is not a \.gguf file"):
        LocalBackend(path=str(tmp_path / "weights.bin"))
    (tmp_path / "broken.gguf").write_bytes(b"not a gguf file")
    with pytest.raises(ConfigError, match="cannot load model"):
        LocalBackend(path=str(tmp_path / "broken.gguf"))


def test_missing_weight_file_and_missing_chat_template(tmp_path: Path) -> None:
    no_template = build_tiny_model(tmp_path / "plain", chat_template=False)
    with pytest.raises(ConfigError, match="has no chat template"):
        LocalBackend(path=str(no_template))
    template = tmp_path / "template.jinja"
    template.write_text(
        "{% for m in messages %}{{ m['content'] }}\n{% endfor %}"
        "{% if add_generation_prompt %}>{% endif %}"
    )
    fixed = LocalBackend(path=str(no_template), chat_template=str(template))
    asyncio.run(fixed.aclose())
    for weights in no_template.glob("*.safetensors"):
        weights.unlink()
    with pytest.raises(ConfigError, match="cannot load model"):
        LocalBackend(path=str(no_template), chat_template=str(template))


def test_unprepared_known_model_says_how_to_prepare_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEBATE_MODEL_DIR", str(tmp_path))
    with pytest.raises(ConfigError, match="debate prepare-model"):
        LocalBackend(path="smollm2-135m-instruct")


def test_default_model_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DEBATE_LOCAL_MODEL", raising=False)
    assert LocalModelSettings().path == "smollm2-135m-instruct"
    monkeypatch.setenv("DEBATE_LOCAL_MODEL", "/models/bigger")
    assert LocalModelSettings().path == "/models/bigger"
    assert LocalModelSettings(path="x").path == "x"
