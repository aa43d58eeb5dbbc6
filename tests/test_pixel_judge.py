"""The sparse-pixel judge: input encoding, training beats chance, checkpoints and the cache."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

from debate.errors import DataError  # noqa: E402
from judges.pixels.checkpoint import ensure_judge, judge_path, load_judge  # noqa: E402
from judges.pixels.config import PixelJudgeConfig  # noqa: E402
from judges.pixels.network import NO_PIXEL, encode, sample_pixels  # noqa: E402
from judges.pixels.training import accuracy, split_images, train  # noqa: E402
from tests.mnist_helpers import MNIST, TINY_RECIPE, judge_dir, split, tiny_judge  # noqa: E402
from tests.torch_threads import one_torch_thread  # noqa: E402, F401  (autouse)


def test_two_planes_mark_revealed_pixels_and_their_values() -> None:
    pixels = torch.tensor([[0, 29, NO_PIXEL], [783, 5, 6]])
    values = torch.tensor([[255, 0, 0], [51, 102, 0]])
    planes = encode(pixels, values)
    assert planes.shape == (2, 2, 28, 28)
    assert planes[0, 0].sum() == 2 and planes[1, 0].sum() == 3  # NO_PIXEL reveals nothing
    assert planes[0, 1, 0, 0] == 1.0 and planes[0, 0, 1, 1] == 1.0 and planes[0, 1, 1, 1] == 0
    assert planes[1, 1, 27, 27] == pytest.approx(0.2)  # a revealed black pixel: mask 1, value 0
    assert planes[1, 0, 0, 6] == 1.0 and planes[1, 1, 0, 6] == 0.0


def test_training_pixels_are_distinct_and_nonzero() -> None:
    images = torch.from_numpy(split("test").flat()[:200].copy())
    pixels = sample_pixels(images, 6, torch.Generator().manual_seed(0))
    assert all(len(set(row.tolist())) == 6 for row in pixels)
    assert bool((images.gather(1, pixels) > 0).all())


def test_a_trained_judge_beats_chance_on_unseen_test_images() -> None:
    judge = tiny_judge()
    test = split("test")
    images = torch.from_numpy(test.flat()[:2000].copy())
    labels = torch.from_numpy(test.labels[:2000].astype("int64"))
    pixels = sample_pixels(images, 6, torch.Generator().manual_seed(1))
    assert accuracy(judge.net, images, labels, pixels) > 0.2  # chance is 0.1
    assert judge.report.steps_done == TINY_RECIPE["steps"]
    assert judge.report.validation_accuracy is not None


def test_a_cached_judge_is_reused_and_a_bad_checkpoint_is_refused(tmp_path: Path) -> None:
    judge = tiny_judge()
    again = ensure_judge(judge.config, MNIST, judge_dir(), device="cpu")
    assert not again.trained_now
    for a, b in zip(judge.net.state_dict().values(), again.net.state_dict().values(), strict=True):
        assert torch.equal(a.cpu(), b.cpu())
    other = judge.config.model_copy(update={"seed": 1})
    assert judge_path(other, judge_dir()) != judge.path  # another recipe, another file
    copied = tmp_path / judge.path.name
    shutil.copy(judge.path, copied)
    with pytest.raises(DataError, match=r"trained with a different config \(seed\)"):
        load_judge(copied, other)
    copied.write_bytes(b"not a checkpoint")
    with pytest.raises(DataError, match="is unreadable"):
        load_judge(copied, judge.config)
    with pytest.raises(DataError, match="judge checkpoint not found"):
        load_judge(tmp_path / "missing.pt")


def test_a_killed_training_resumes_to_the_same_weights(tmp_path: Path) -> None:
    config = PixelJudgeConfig(pixels=4, steps=4, batch_size=16, validation_images=200)
    data = split("train")

    class Killed(Exception):
        pass

    def kill_at_step_three(step: int, total: int, acc: float | None) -> None:
        if step == 3:
            raise Killed

    partial = tmp_path / "judge.partial.pt"
    cpu = torch.device("cpu")
    with pytest.raises(Killed):
        train(config, data, partial, device=cpu, save_every=2, progress=kill_at_step_three)
    resumed, report = train(config, data, partial, device=cpu, save_every=2)
    straight, _ = train(config, data, tmp_path / "other.partial.pt", device=cpu, save_every=2)
    for a, b in zip(resumed.state_dict().values(), straight.state_dict().values(), strict=True):
        assert torch.equal(a, b)
    assert report.steps_done == 4
    _, _, val_x, _ = split_images(data, config)
    assert val_x.shape[0] == 200
