"""The dynamic batching worker: batch limits, the wait window, fairness, failures."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from debate.models.batching import BatchWorker, WorkerClosed


class Recorder:
    """A run_batch that records each batch and answers ``item * 10``."""

    def __init__(self, delay: float = 0.0, gate: threading.Event | None = None) -> None:
        self.batches: list[list[int]] = []
        self.delay = delay
        self.gate = gate

    def __call__(self, items: list[int]) -> list[int | BaseException]:
        if self.gate is not None:
            self.gate.wait(5)
        self.batches.append(list(items))
        time.sleep(self.delay)
        return [item * 10 for item in items]


async def test_concurrent_requests_share_batches_up_to_the_limit() -> None:
    run = Recorder()
    worker: BatchWorker[int, int] = BatchWorker(run, max_batch_size=4, wait_s=0.2)
    try:
        results = await asyncio.gather(*(worker.submit(i) for i in range(10)))
    finally:
        worker.close()
    assert results == [i * 10 for i in range(10)]
    assert sorted(len(b) for b in run.batches) == [2, 4, 4]
    assert sorted(i for b in run.batches for i in b) == list(range(10))
    assert worker.stats.batches == 3 and worker.stats.items == 10


async def test_a_lone_request_waits_only_the_window() -> None:
    worker: BatchWorker[int, int] = BatchWorker(Recorder(), max_batch_size=8, wait_s=0.05)
    try:
        started = time.perf_counter()
        assert await worker.submit(3) == 30
        elapsed = time.perf_counter() - started
    finally:
        worker.close()
    assert elapsed >= 0.05  # it did wait for company...
    assert worker.stats.sizes == {1: 1}  # ...and then ran alone


async def test_batch_is_the_oldest_request_and_its_nearest_shapes() -> None:
    gate = threading.Event()
    run = Recorder(gate=gate)
    worker: BatchWorker[int, int] = BatchWorker(run, max_batch_size=3, wait_s=0.0)
    try:
        first = asyncio.ensure_future(worker.submit(0, (0, 0)))
        await asyncio.sleep(0.05)  # the worker now holds item 0 at the gate
        shapes = {1: (160, 1000), 2: (160, 10), 3: (160, 990), 4: (4, 1000), 5: (160, 1010)}
        rest = [asyncio.ensure_future(worker.submit(i, s)) for i, s in shapes.items()]
        await asyncio.sleep(0.05)
        gate.set()
        await asyncio.gather(first, *rest)
    finally:
        worker.close()
    # Item 1 is the oldest waiting: it goes with the same output budget and the nearest
    # prompt lengths (990, 1010); the short prompt and the short output go later.
    assert run.batches == [[0], [1, 3, 5], [2, 4]]


async def test_a_failing_batch_fails_each_of_its_requests() -> None:
    def broken(items: list[int]) -> list[int | BaseException]:
        raise RuntimeError("out of memory")

    worker: BatchWorker[int, int] = BatchWorker(broken, max_batch_size=4, wait_s=0.05)
    try:
        outcomes = await asyncio.gather(
            *(worker.submit(i) for i in range(3)), return_exceptions=True
        )
    finally:
        worker.close()
    assert [str(o) for o in outcomes] == ["out of memory"] * 3


async def test_per_item_exceptions_go_to_their_own_request() -> None:
    def picky(items: list[int]) -> list[int | BaseException]:
        return [ValueError(f"odd {i}") if i % 2 else i for i in items]

    worker: BatchWorker[int, int] = BatchWorker(picky, max_batch_size=4, wait_s=0.05)
    try:
        outcomes = await asyncio.gather(
            *(worker.submit(i) for i in range(4)), return_exceptions=True
        )
    finally:
        worker.close()
    assert outcomes[0] == 0 and outcomes[2] == 2
    assert isinstance(outcomes[1], ValueError) and isinstance(outcomes[3], ValueError)


async def test_cancelled_requests_are_not_computed() -> None:
    gate = threading.Event()
    run = Recorder(gate=gate)
    worker: BatchWorker[int, int] = BatchWorker(run, max_batch_size=1, wait_s=0.0)
    try:
        first = asyncio.ensure_future(worker.submit(1))
        await asyncio.sleep(0.05)
        doomed = asyncio.ensure_future(worker.submit(2))
        await asyncio.sleep(0.01)
        doomed.cancel()
        gate.set()
        assert await first == 10
        assert await worker.submit(3) == 30
    finally:
        worker.close()
    assert run.batches == [[1], [3]]


async def test_requests_from_two_event_loops_get_their_own_results() -> None:
    worker: BatchWorker[int, int] = BatchWorker(Recorder(), max_batch_size=8, wait_s=0.05)
    other: list[int] = []

    def in_thread() -> None:
        other.append(asyncio.run(worker.submit(7)))

    thread = threading.Thread(target=in_thread)
    thread.start()
    try:
        mine = await worker.submit(5)
        await asyncio.to_thread(thread.join, 5)
    finally:
        worker.close()
    assert mine == 50 and other == [70]


async def test_closed_worker_refuses_and_fails_waiting_requests() -> None:
    gate = threading.Event()
    worker: BatchWorker[int, int] = BatchWorker(Recorder(gate=gate), max_batch_size=1, wait_s=0.0)
    running = asyncio.ensure_future(worker.submit(1))
    await asyncio.sleep(0.05)
    queued = asyncio.ensure_future(worker.submit(2))
    await asyncio.sleep(0.01)
    closer = threading.Thread(target=worker.close)
    closer.start()
    gate.set()
    await asyncio.to_thread(closer.join, 5)
    assert await running == 10  # the batch in progress finishes
    with pytest.raises(WorkerClosed):
        await queued
    with pytest.raises(WorkerClosed):
        await worker.submit(3)


def test_bad_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="max_batch_size"):
        BatchWorker(Recorder(), max_batch_size=0, wait_s=0.0)
    with pytest.raises(ValueError, match="wait_s"):
        BatchWorker(Recorder(), max_batch_size=1, wait_s=-1)


async def test_a_burst_spread_over_time_is_still_one_batch() -> None:
    run = Recorder()
    worker: BatchWorker[int, int] = BatchWorker(run, max_batch_size=8, wait_s=0.1)

    async def late(i: int) -> int:
        await asyncio.sleep(0.04 * i)  # each arrives well inside the previous one's window
        return await worker.submit(i)

    try:
        results = await asyncio.gather(*(late(i) for i in range(5)))
    finally:
        worker.close()
    assert results == [0, 10, 20, 30, 40]
    assert run.batches == [[0, 1, 2, 3, 4]]  # 160 ms after the first: one batch, not several


async def test_an_endless_trickle_is_cut_off() -> None:
    run = Recorder()
    worker: BatchWorker[int, int] = BatchWorker(run, max_batch_size=100, wait_s=0.05)

    async def late(i: int) -> int:
        await asyncio.sleep(0.03 * i)
        return await worker.submit(i)

    try:
        await asyncio.gather(*(late(i) for i in range(40)))  # 1.2 s of arrivals
    finally:
        worker.close()
    assert len(run.batches) >= 2  # the first batch did not wait for the whole trickle
    assert sorted(i for b in run.batches for i in b) == list(range(40))


async def test_start_and_every_batch_run_on_the_worker_thread() -> None:
    threads: list[str] = []

    def start() -> None:
        threads.append(threading.current_thread().name)

    def run(items: list[int]) -> list[int | BaseException]:
        threads.append(threading.current_thread().name)
        return [i + 1 for i in items]

    worker: BatchWorker[int, int] = BatchWorker(
        run, max_batch_size=2, wait_s=0.0, name="the-model", start=start
    )
    try:
        assert threads == ["the-model"]  # the constructor waited for start
        assert await asyncio.gather(*(worker.submit(i) for i in range(5))) == [1, 2, 3, 4, 5]
    finally:
        worker.close()
    assert set(threads) == {"the-model"} and len(threads) >= 4


def test_a_failed_start_is_raised_by_the_constructor() -> None:
    def start() -> None:
        raise ValueError("cannot load the model")

    with pytest.raises(ValueError, match="cannot load the model"):
        BatchWorker(Recorder(), max_batch_size=1, wait_s=0.0, start=start)
