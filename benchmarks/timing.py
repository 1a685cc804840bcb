"""The one timing rule every benchmark here follows: the best of a few runs, optionally warmed."""

from __future__ import annotations

import time
from collections.abc import Callable


def best_of(work: Callable[[], object], repeats: int = 3, *, warm_up: bool = False) -> float:
    """Seconds of the fastest of ``repeats`` runs (the least disturbed by a noisy machine)."""
    if warm_up:
        work()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        work()
        times.append(time.perf_counter() - start)
    return min(times)
