"""MNIST digits from IDX files in a directory (gzip or raw), checked before use.

The sparse-pixel debate (Irving et al. 2018) needs the images offline. A file is accepted when
its md5 is one we know (the official files, or the reshuffled training pair shipped in
``../shared/data/mnist``; see its README), or, for any other copy, when its IDX header, shape
and value ranges are consistent. Every problem is one ``DataError`` line naming the file.
"""

from __future__ import annotations

import gzip
import hashlib
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from debate.errors import DataError

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

Split = Literal["train", "test"]
SIDE = 28
N_PIXELS = SIDE * SIDE
N_CLASSES = 10

FILES: dict[Split, tuple[str, str]] = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
EXPECTED_COUNT: dict[Split, int] = {"train": 60_000, "test": 10_000}
KNOWN_MD5: dict[str, frozenset[str]] = {
    # gzip files: the official ones, and the reshuffled training pair of ../shared/data/mnist
    "train-images-idx3-ubyte.gz": frozenset(
        {"f68b3c2dcbeaaa9fbdd348bbdeb94873", "22fd19c944434782a5ad4611e929f870"}
    ),
    "train-labels-idx1-ubyte.gz": frozenset(
        {"d53e105ee54ea40749a09fcbcd1e9432", "d0a8353801e40e05bca62678838e12ca"}
    ),
    "t10k-images-idx3-ubyte.gz": frozenset({"9fb629c4189551a2d022fa330f9573f3"}),
    "t10k-labels-idx1-ubyte.gz": frozenset({"ec29112dd5afa0611ce80d1b7f02629c"}),
}
_MAGIC = {1: 0x00000801, 3: 0x00000803}  # unsigned bytes, 1-d labels / 3-d images


@dataclass(frozen=True)
class MnistSplit:
    """One split: ``images`` uint8 of shape (n, 28, 28), ``labels`` uint8 of shape (n,)."""

    split: Split
    images: npt.NDArray[np.uint8]
    labels: npt.NDArray[np.uint8]
    source: Path

    def __len__(self) -> int:
        return int(self.labels.shape[0])

    def flat(self) -> npt.NDArray[np.uint8]:
        """Images as (n, 784) rows, pixel ``i`` at row ``i // 28``, column ``i % 28``."""
        return self.images.reshape(len(self), N_PIXELS)


def _find(directory: Path, stem: str) -> Path:
    for name in (f"{stem}.gz", stem):
        if (directory / name).is_file():
            return directory / name
    raise DataError(f"MNIST file {stem}.gz (or {stem}) not found in {directory}")


def _read(path: Path) -> bytes:
    raw = path.read_bytes()
    known = KNOWN_MD5.get(path.name)
    if known is not None and hashlib.md5(raw).hexdigest() not in known:
        raise DataError(f"MNIST file {path} is corrupt: its md5 is not one of the known files")
    if path.suffix != ".gz":
        return raw
    try:
        return gzip.decompress(raw)
    except (OSError, EOFError) as exc:
        raise DataError(f"MNIST file {path} is corrupt: {exc}") from None


def _parse(data: bytes, path: Path, dims: int) -> npt.NDArray[np.uint8]:
    import numpy as np

    header = 4 + 4 * dims
    if len(data) < header:
        raise DataError(f"MNIST file {path} is corrupt: truncated header")
    magic, *shape = struct.unpack(f">{1 + dims}I", data[:header])
    if magic != _MAGIC[dims]:
        raise DataError(f"MNIST file {path} is not an IDX file of {dims}-d unsigned bytes")
    expected = header + int(np.prod(shape))
    if len(data) != expected:
        raise DataError(
            f"MNIST file {path} is corrupt: {len(data)} bytes, expected {expected} for {shape}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape)


def load_mnist(directory: Path | str, split: Split) -> MnistSplit:
    """Load and check one split from ``directory`` (files named as in the official release)."""
    folder = Path(directory)
    if not folder.is_dir():
        raise DataError(f"MNIST directory not found: {folder}")
    image_file, label_file = (_find(folder, stem) for stem in FILES[split])
    images = _parse(_read(image_file), image_file, 3)
    labels = _parse(_read(label_file), label_file, 1)
    if images.shape[1:] != (SIDE, SIDE):
        raise DataError(f"MNIST file {image_file} holds {images.shape[1:]} images, not 28x28")
    if images.shape[0] != labels.shape[0]:
        raise DataError(
            f"MNIST split {split!r}: {images.shape[0]} images but {labels.shape[0]} labels"
        )
    if images.shape[0] != EXPECTED_COUNT[split]:
        raise DataError(
            f"MNIST file {image_file} holds {images.shape[0]} images, "
            f"expected {EXPECTED_COUNT[split]}"
        )
    if int(labels.max()) >= N_CLASSES:
        raise DataError(f"MNIST file {label_file} has a label outside 0-9")
    return MnistSplit(split=split, images=images, labels=labels, source=folder)
