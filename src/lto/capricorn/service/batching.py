"""Micro-batching: requests that arrive together are answered by one call.

The surrogate answers a batch of 64 jobs for about the price of four single ones (its members,
XGBoost's TreeSHAP above all, pay most of their cost per call, not per row). Under concurrent
load the predict route therefore hands each request to a ``MicroBatcher``: the first request
of a batch waits at most ``max_wait_s`` for company, then one ``evaluate_batch`` answers all of
them. Alone, a request pays ``max_wait_s`` extra at most; under load, everyone gains.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, Generic, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class MicroBatcher(Generic[T, R]):
    def __init__(
        self,
        answer: Callable[[Sequence[T]], Sequence[R]],
        *,
        max_batch: int = 64,
        max_wait_s: float = 0.002,
        name: str = "micro-batcher",
    ) -> None:
        self.answer = answer
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.name = name
        self.batches = 0
        self.items = 0
        self._queue: queue.SimpleQueue[tuple[T, Future[R]]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, item: T) -> Future[R]:
        future: Future[R] = Future()
        self._queue.put((item, future))
        self._ensure_running()
        return future

    def __call__(self, item: T, timeout: float | None = 30.0) -> R:
        return self.submit(item).result(timeout)

    def _ensure_running(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name=self.name, daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            deadline = time.perf_counter() + self.max_wait_s
            while len(batch) < self.max_batch:
                left = deadline - time.perf_counter()
                try:
                    batch.append(
                        self._queue.get(timeout=left) if left > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    break
            self._answer(batch)

    def _answer(self, batch: list[tuple[T, Future[R]]]) -> None:
        live = [(item, future) for item, future in batch if future.set_running_or_notify_cancel()]
        if not live:
            return
        try:
            answers = self.answer([item for item, _ in live])
            if len(answers) != len(live):
                raise RuntimeError(f"{len(answers)} answers for {len(live)} requests")
        except BaseException as exc:
            if len(live) == 1:
                live[0][1].set_exception(exc)
                return
            # one request may have spoiled the batch: each is answered alone, so only it fails
            log.warning(
                "%s: a batch of %d failed (%s); answering each alone", self.name, len(live), exc
            )
            for item, future in live:
                try:
                    future.set_result(self.answer([item])[0])
                except BaseException as alone:
                    future.set_exception(alone)
            return
        self.batches += 1
        self.items += len(live)
        for (_, future), answer in zip(live, answers, strict=True):
            future.set_result(answer)


class BatchedSurrogate:
    """A surrogate whose plain ``evaluate`` calls go through a ``MicroBatcher`` (pre-flight of
    concurrent submissions); everything else, ``explain`` included, is the surrogate's own."""

    def __init__(self, surrogate: Any, batcher: MicroBatcher[Any, Any]) -> None:
        self._surrogate = surrogate
        self._batcher = batcher

    def evaluate(self, parameters: Any, *, explain: bool = False) -> Any:
        if explain:
            return self._surrogate.evaluate(parameters, explain=True)
        return self._batcher(parameters)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self._surrogate, name)


__all__ = ["BatchedSurrogate", "MicroBatcher"]
