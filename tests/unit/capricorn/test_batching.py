"""Micro-batching: concurrent requests share one call; each gets its own answer or the error."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import pytest

from lto.capricorn.service.batching import MicroBatcher


def test_concurrent_requests_are_answered_together_each_with_its_own_answer() -> None:
    calls: list[int] = []
    release = threading.Event()

    def double(items: Sequence[int]) -> list[int]:
        release.wait(5)  # hold the first batch so the others queue up behind it
        calls.append(len(items))
        return [2 * i for i in items]

    batcher = MicroBatcher(double, max_batch=16, max_wait_s=0.05)
    futures = [batcher.submit(i) for i in range(40)]
    release.set()
    assert [f.result(5) for f in futures] == [2 * i for i in range(40)]
    assert sum(calls) == 40
    assert len(calls) < 40  # batched
    assert max(calls) <= 16


def test_one_alone_is_answered_without_company() -> None:
    batcher = MicroBatcher(lambda items: [i + 1 for i in items], max_wait_s=0.001)
    assert batcher(41) == 42


def test_one_bad_request_in_a_batch_fails_alone() -> None:
    release = threading.Event()

    def fussy(items: Sequence[int]) -> list[int]:
        release.wait(5)
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return list(items)

    batcher = MicroBatcher(fussy, max_batch=8, max_wait_s=0.05)
    futures = [batcher.submit(i) for i in (1, -1, 2, 3)]
    release.set()
    with pytest.raises(ValueError, match="negative"):
        futures[1].result(5)
    assert [futures[i].result(5) for i in (0, 2, 3)] == [1, 2, 3]


def test_a_failing_batch_fails_each_of_its_requests_and_the_next_batch_still_runs() -> None:
    def fussy(items: Sequence[int]) -> list[int]:
        if any(i < 0 for i in items):
            raise ValueError("negative")
        return list(items)

    batcher = MicroBatcher(fussy, max_wait_s=0.001)
    with pytest.raises(ValueError, match="negative"):
        batcher(-1)
    assert batcher(3) == 3
