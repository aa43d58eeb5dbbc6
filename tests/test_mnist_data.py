"""The MNIST loader: real files load; missing or corrupt files are one clear DataError."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import pytest

from debate.domains.mnist import load_mnist
from debate.errors import DataError
from tests.mnist_helpers import MNIST, split


def test_test_split_loads_with_labels_and_shapes() -> None:
    test = split("test")
    assert test.images.shape == (10_000, 28, 28) and test.labels.shape == (10_000,)
    assert test.flat().shape == (10_000, 784)
    assert sorted(set(test.labels.tolist())) == list(range(10))
    assert int(test.labels[0]) == 7  # the official test file's first digit


def test_missing_directory_and_file_are_named(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="MNIST directory not found"):
        load_mnist(tmp_path / "nope", "test")
    with pytest.raises(DataError, match=r"t10k-images-idx3-ubyte\.gz .* not found"):
        load_mnist(tmp_path, "test")


def _copy_test_split(folder: Path) -> None:
    folder.mkdir()
    for name in ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"):
        shutil.copy(MNIST / name, folder / name)


def test_a_corrupt_known_file_fails_its_checksum(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    _copy_test_split(folder)
    target = folder / "t10k-labels-idx1-ubyte.gz"
    data = bytearray(target.read_bytes())
    data[-5] ^= 0xFF
    target.write_bytes(bytes(data))
    with pytest.raises(DataError, match="corrupt: its md5"):
        load_mnist(folder, "test")


def test_an_unknown_copy_is_checked_by_its_header_and_size(tmp_path: Path) -> None:
    folder = tmp_path / "mnist"
    _copy_test_split(folder)
    # an uncompressed copy (not a known md5): accepted when its header and size are right...
    raw = gzip.decompress((folder / "t10k-labels-idx1-ubyte.gz").read_bytes())
    (folder / "t10k-labels-idx1-ubyte.gz").unlink()
    (folder / "t10k-labels-idx1-ubyte").write_bytes(raw)
    assert len(load_mnist(folder, "test")) == 10_000
    # ...and refused, naming the file, when truncated or not IDX at all
    (folder / "t10k-labels-idx1-ubyte").write_bytes(raw[:-10])
    with pytest.raises(DataError, match=r"t10k-labels-idx1-ubyte is corrupt: 9998 bytes"):
        load_mnist(folder, "test")
    (folder / "t10k-labels-idx1-ubyte").write_bytes(b"\x00\x00\x08\x03" + raw[4:])
    with pytest.raises(DataError, match="not an IDX file"):
        load_mnist(folder, "test")
