"""A fixture for tests of local torch models: one CPU thread while the module runs.

Tiny test models gain nothing from threads, and on a busy machine OpenMP threads spinning
while they wait for each other make each small matmul many times slower. Restored after.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread() -> Iterator[None]:
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
