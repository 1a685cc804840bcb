"""The embedded broker: RabbitMQ's semantics (topic routing, acks, redelivery, delivery
limits, dead letters, mandatory routing) inside one process, for ``LTO_BROKER_URL=memory://``.

Messages live only as long as the process; what makes the embedded pipeline lose nothing is
the outbox: a message is marked sent once this broker holds it, and a job whose process stops
before a worker finished it is still QUEUED or RUNNING in the database, republished by
``lto jobs requeue`` or at the next start (``recover_unfinished``).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from lto.capricorn.ports import (
    BINDINGS,
    DELIVERY_LIMIT,
    MAX_LENGTHS,
    Broker,
    BrokerUnavailable,
    Handler,
    Message,
    Poison,
    StopSignal,
    Unroutable,
    dead_letter_queue,
)


def routing_matches(pattern: str, key: str) -> bool:
    """AMQP topic matching: words split on '.', '*' is one word, '#' zero or more."""
    return _match(pattern.split("."), key.split("."))


def _match(pattern: list[str], words: list[str]) -> bool:
    if not pattern:
        return not words
    head, rest = pattern[0], pattern[1:]
    if head == "#":
        return any(_match(rest, words[i:]) for i in range(len(words) + 1))
    if not words:
        return False
    return (head in ("*", words[0])) and _match(rest, words[1:])


@dataclass
class _Queue:
    ready: deque[Message] = field(default_factory=deque)
    unacked: int = 0


# Queues capped (drop-head), as the RabbitMQ adapter declares them: notifications only; a
# job queue never drops a job.


class InMemoryBroker(Broker):
    """Thread-safe; any number of consumers per queue. Each consumer handles one message at a
    time on its own thread (``prefetch`` is an upper bound the broker never reaches)."""

    def __init__(
        self,
        bindings: dict[str, tuple[str, ...]] | None = None,
        *,
        delivery_limit: int = DELIVERY_LIMIT,
        max_lengths: Mapping[str, int] | None = None,
    ) -> None:
        self._bindings = dict(BINDINGS if bindings is None else bindings)
        self._delivery_limit = delivery_limit
        self._max_lengths = dict(MAX_LENGTHS if max_lengths is None else max_lengths)
        self._queues: dict[str, _Queue] = {}
        self._lock = threading.Condition()
        self._closed = False
        self.declare()

    def declare(self) -> None:
        with self._lock:
            for queue in self._bindings:
                self._queues.setdefault(queue, _Queue())
                self._queues.setdefault(dead_letter_queue(queue), _Queue())

    def publish(self, messages: Sequence[Message]) -> None:
        with self._lock:
            if self._closed:
                raise BrokerUnavailable("the in-memory broker is closed")
            routes = [(m, self._routes(m.routing_key)) for m in messages]
            for message, queues in routes:
                if not queues:
                    raise Unroutable(f"no queue is bound for {message.routing_key!r}")
            for message, queues in routes:
                for name in queues:
                    queue = self._queues[name]
                    queue.ready.append(replace(message, delivery_count=1))
                    cap = self._max_lengths.get(name)
                    while cap is not None and len(queue.ready) > cap:
                        queue.ready.popleft()  # drop-head, as the quorum queue's overflow
            self._lock.notify_all()

    def _routes(self, key: str) -> list[str]:
        return [
            queue
            for queue, patterns in self._bindings.items()
            if any(routing_matches(p, key) for p in patterns)
        ]

    def consume(
        self,
        queue: str,
        handler: Handler,
        *,
        stop: StopSignal,
        prefetch: int = 1,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        if queue not in self._queues:
            raise BrokerUnavailable(f"no queue {queue!r}; declared: {', '.join(self._queues)}")
        while not stop.is_set:
            message = self._take(queue, timeout=1.0)
            if message is None:
                if self._closed:  # _take returns at once now: wait here, not spin
                    stop.event.wait(1.0)
                if on_idle is not None:
                    on_idle()
                continue
            self._deliver(queue, message, handler, stop)

    def _take(self, queue: str, timeout: float) -> Message | None:
        deadline = time.monotonic() + timeout
        with self._lock:
            state = self._queues[queue]
            while not state.ready:
                left = deadline - time.monotonic()
                if left <= 0 or self._closed:
                    return None
                self._lock.wait(left)
            state.unacked += 1
            return state.ready.popleft()

    def _deliver(self, queue: str, message: Message, handler: Handler, stop: StopSignal) -> None:
        try:
            handler(message)
        except Poison:
            self._settle(queue, message, dead=True)
        except Exception:
            if stop.requeue_in_hand:
                self._settle(queue, message, requeue=True)
            else:
                dead = message.delivery_count >= self._delivery_limit
                self._settle(queue, message, requeue=not dead, dead=dead)
        else:
            if stop.requeue_in_hand:
                self._settle(queue, message, requeue=True)
            else:
                self._settle(queue, message)

    def _settle(
        self, queue: str, message: Message, *, requeue: bool = False, dead: bool = False
    ) -> None:
        with self._lock:
            self._queues[queue].unacked -= 1
            if requeue:
                again = replace(message, delivery_count=message.delivery_count + 1)
                self._queues[queue].ready.appendleft(again)
            elif dead:
                self._queues[dead_letter_queue(queue)].ready.append(message)
            self._lock.notify_all()

    def dead_letters(self, queue: str, *, limit: int = 100) -> list[Message]:
        with self._lock:
            state = self._queues[dead_letter_queue(queue)]
            taken = [state.ready.popleft() for _ in range(min(limit, len(state.ready)))]
        return taken

    def depth(self, queue: str) -> int:
        with self._lock:
            return len(self._queues[queue].ready)

    def health(self) -> dict[str, Any]:
        with self._lock:
            depths = {name: len(q.ready) for name, q in self._queues.items()}
        return {
            "status": "unavailable" if self._closed else "ok",
            "broker": "memory",
            "queues": depths,
        }

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._lock.notify_all()


__all__ = ["InMemoryBroker", "routing_matches"]
