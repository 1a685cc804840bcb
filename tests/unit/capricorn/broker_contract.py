"""The ``Broker`` port's contract (``lto.capricorn.ports``) as one test class, run against every
adapter: ``TestInMemoryBroker`` here in the unit tests, ``TestRabbitMqBroker`` against the real
server in the integration tests. What the in-memory broker does in these tests is what RabbitMQ
does, so the embedded pipeline is a faithful stand-in for the distributed one.

A subclass supplies the ``broker`` fixture: a fresh broker with ``CONTRACT_BINDINGS``,
``CONTRACT_DELIVERY_LIMIT`` and ``CONTRACT_MAX_LENGTHS``, declared, that nothing else uses
(its own queues: tests are independent), closed and removed afterwards.

Every wait is bounded by ``WAIT``: a broken adapter fails a test in seconds, never hangs it.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from lto.capricorn.ports import (
    Broker,
    BrokerError,
    BrokerUnavailable,
    Handler,
    Message,
    Poison,
    StopSignal,
    Unroutable,
    dead_letter_queue,
)

JOBS = "jobs"
EVENTS = "events"
# topic patterns with dots, to test the matching: "job.requested" goes to both queues,
# "job.finished" and "model.trained.v2" to EVENTS only, "job" and "other.thing" nowhere
CONTRACT_BINDINGS: dict[str, tuple[str, ...]] = {
    JOBS: ("job.requested",),
    EVENTS: ("job.*", "model.#"),
}
CONTRACT_DELIVERY_LIMIT = 3
CONTRACT_MAX_LENGTHS = {EVENTS: 5}
WAIT = 10.0  # seconds: the longest any single wait in these tests may take
QUIET = 1.5  # seconds of watching a queue to conclude that nothing more is delivered


def message(
    routing_key: str = "job.requested", headers: dict[str, object] | None = None
) -> Message:
    """A message with an id and a body of its own."""
    body = f'{{"n": "{uuid.uuid4().hex[:6]}"}}'.encode()
    return Message(uuid.uuid4().hex, routing_key, body, headers=dict(headers or {}))


def wait_until(condition: Callable[[], bool], timeout: float = WAIT) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@dataclass
class Deliveries:
    """A handler recording what it was given; ``behaviour`` decides what each call does (it
    gets the message and how many deliveries came before)."""

    behaviour: Callable[[Message, int], None] = lambda _m, _n: None
    seen: list[Message] = field(default_factory=list)
    done: list[str] = field(default_factory=list)  # ids whose handler returned
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, received: Message) -> None:
        with self.lock:
            before = len(self.seen)
            self.seen.append(received)
        self.behaviour(received, before)
        with self.lock:
            self.done.append(received.message_id)

    def wait_for(self, count: int, timeout: float = WAIT) -> list[Message]:
        assert wait_until(lambda: len(self.seen) >= count, timeout), (
            f"{len(self.seen)} of {count} deliveries after {timeout} s: {self.seen}"
        )
        return list(self.seen)

    @property
    def counts(self) -> list[int]:
        return [m.delivery_count for m in self.seen]


@dataclass
class Running:
    """A ``consume`` call on a thread of its own."""

    stop: StopSignal
    thread: threading.Thread
    errors: list[BaseException]

    def join(self) -> None:
        self.thread.join(WAIT)
        assert not self.thread.is_alive(), f"consume did not return {WAIT} s after stop"
        if self.errors:
            raise self.errors[0]


@contextlib.contextmanager
def consuming(
    broker: Broker,
    queue: str,
    handler: Handler,
    *,
    prefetch: int = 1,
    on_idle: Callable[[], None] | None = None,
) -> Iterator[Running]:
    """Consume on a thread until the block ends (or the test sets ``stop`` itself), then check
    that ``consume`` returned and raised nothing."""
    stop = StopSignal()
    errors: list[BaseException] = []

    def run() -> None:
        try:
            broker.consume(queue, handler, stop=stop, prefetch=prefetch, on_idle=on_idle)
        except BaseException as error:
            errors.append(error)

    thread = threading.Thread(target=run, name=f"consume-{queue}", daemon=True)
    thread.start()
    running = Running(stop, thread, errors)
    try:
        yield running
    finally:
        stop.stop()
        thread.join(WAIT)
    running.join()


def drain_dead_letters(broker: Broker, queue: str, count: int) -> list[Message]:
    """Dead-lettering may lag the reject that caused it a little (RabbitMQ): poll."""
    taken: list[Message] = []

    def enough() -> bool:
        taken.extend(broker.dead_letters(queue))
        return len(taken) >= count

    wait_until(enough)
    return taken


def delivered_within(broker: Broker, queue: str, seconds: float = QUIET) -> list[Message]:
    """What a fresh consumer gets in ``seconds`` (acknowledging it)."""
    got = Deliveries()
    with consuming(broker, queue, got):
        time.sleep(seconds)
    return got.seen


class BrokerContract:
    """The port's docstring, clause by clause."""

    def test_a_published_message_arrives_with_its_id_key_body_and_headers(
        self, broker: Broker
    ) -> None:
        sent = message(headers={"trace": "abc", "attempt": 1})
        broker.publish([sent])
        got = Deliveries()
        with consuming(broker, JOBS, got):
            [received] = got.wait_for(1)
        assert (received.message_id, received.routing_key, received.body) == (
            sent.message_id,
            sent.routing_key,
            sent.body,
        )
        assert received.headers == {"trace": "abc", "attempt": 1}
        assert received.delivery_count == 1
        assert not received.redelivered
        assert broker.depth(JOBS) == 0

    def test_messages_go_to_the_queues_bound_for_their_key_and_no_other(
        self, broker: Broker
    ) -> None:
        broker.publish([message("job.finished"), message("model.trained.v2")])
        assert (broker.depth(JOBS), broker.depth(EVENTS)) == (0, 2)
        broker.publish([message("job.requested")])
        assert (broker.depth(JOBS), broker.depth(EVENTS)) == (1, 3)

    def test_a_message_no_queue_is_bound_for_raises_unroutable(self, broker: Broker) -> None:
        for key in ("other.thing", "job", "job.requested.late"):  # "*" is exactly one word
            with pytest.raises(Unroutable, match="no queue is bound") as caught:
                broker.publish([message(key)])
            assert isinstance(caught.value, BrokerError)
        broker.publish([message()])  # the broker is still usable
        assert broker.depth(JOBS) == 1

    def test_a_message_whose_handler_failed_is_redelivered_with_its_count(
        self, broker: Broker
    ) -> None:
        sent = message()

        def fail_first(_received: Message, before: int) -> None:
            if before == 0:
                raise RuntimeError("transient")

        got = Deliveries(fail_first)
        broker.publish([sent])
        with consuming(broker, JOBS, got):
            got.wait_for(2)
            assert wait_until(lambda: len(got.done) == 1)
        assert [m.message_id for m in got.seen] == [sent.message_id] * 2
        assert got.counts == [1, 2]
        assert [m.redelivered for m in got.seen] == [False, True]
        assert got.seen[1].body == sent.body
        assert broker.depth(JOBS) == 0
        assert broker.dead_letters(JOBS) == []

    def test_a_message_failing_every_time_is_dead_lettered_after_the_delivery_limit(
        self, broker: Broker
    ) -> None:
        sent = message(headers={"trace": "t1"})

        def fail(_received: Message, _before: int) -> None:
            raise RuntimeError("always")

        got = Deliveries(fail)
        broker.publish([sent])
        with consuming(broker, JOBS, got):
            got.wait_for(CONTRACT_DELIVERY_LIMIT)
            [dead] = drain_dead_letters(broker, JOBS, 1)
            time.sleep(0.3)  # a delivery beyond the limit would show up here
        assert got.counts == list(range(1, CONTRACT_DELIVERY_LIMIT + 1))
        assert (dead.message_id, dead.routing_key, dead.body) == (
            sent.message_id,
            sent.routing_key,
            sent.body,
        )
        assert dead.headers == {"trace": "t1"}  # as published: it can be replayed as it is
        assert broker.depth(JOBS) == 0
        assert broker.dead_letters(JOBS) == []  # taken means removed

    def test_poison_goes_to_the_dead_letter_queue_at_once(self, broker: Broker) -> None:
        sent = message()

        def poison(_received: Message, _before: int) -> None:
            raise Poison("malformed")

        got = Deliveries(poison)
        broker.publish([sent])
        with consuming(broker, JOBS, got):
            got.wait_for(1)
            [dead] = drain_dead_letters(broker, JOBS, 1)
        assert got.counts == [1]
        assert (dead.message_id, dead.routing_key, dead.body) == (
            sent.message_id,
            sent.routing_key,
            sent.body,
        )
        assert broker.depth(JOBS) == 0

    def test_stop_lets_the_message_in_hand_finish_and_acknowledges_it(self, broker: Broker) -> None:
        first, second = message(), message()
        started, release = threading.Event(), threading.Event()

        def slow(_received: Message, before: int) -> None:
            if before == 0:
                started.set()
                assert release.wait(WAIT)

        got = Deliveries(slow)
        broker.publish([first, second])
        with consuming(broker, JOBS, got) as running:
            assert started.wait(WAIT)
            running.stop.stop()
            time.sleep(0.5)
            assert running.thread.is_alive(), "consume returned with a message in hand"
            release.set()
            running.join()
        assert got.done == [first.message_id]  # finished, and nothing taken after stop
        assert [m.message_id for m in got.seen] == [first.message_id]
        assert broker.depth(JOBS) == 1
        later = delivered_within(broker, JOBS)
        assert [(m.message_id, m.delivery_count) for m in later] == [(second.message_id, 1)]

    def test_abandon_requeues_the_message_in_hand(self, broker: Broker) -> None:
        sent = message()
        started, release = threading.Event(), threading.Event()

        def slow(_received: Message, _before: int) -> None:
            started.set()
            assert release.wait(WAIT)

        got = Deliveries(slow)
        broker.publish([sent])
        with consuming(broker, JOBS, got) as running:
            assert started.wait(WAIT)
            running.stop.abandon()
            release.set()
            running.join()
        assert got.counts == [1]
        later = delivered_within(broker, JOBS)
        assert [(m.message_id, m.delivery_count) for m in later] == [(sent.message_id, 2)], later

    def test_depth_counts_the_ready_messages_not_those_in_hand(self, broker: Broker) -> None:
        assert broker.depth(JOBS) == 0
        started, release = threading.Event(), threading.Event()

        def slow(_received: Message, before: int) -> None:
            if before == 0:
                started.set()
                assert release.wait(WAIT)

        got = Deliveries(slow)
        broker.publish([message(), message(), message()])
        assert broker.depth(JOBS) == 3
        with consuming(broker, JOBS, got):
            assert started.wait(WAIT)
            assert wait_until(lambda: broker.depth(JOBS) == 2)
            release.set()
            got.wait_for(3)
            assert wait_until(lambda: len(got.done) == 3)
        assert broker.depth(JOBS) == 0

    def test_no_more_than_prefetch_messages_are_in_hand_at_once(self, broker: Broker) -> None:
        active = [0, 0]  # now, most
        lock = threading.Lock()

        def busy(_received: Message, _before: int) -> None:
            with lock:
                active[0] += 1
                active[1] = max(active)
            time.sleep(0.1)
            with lock:
                active[0] -= 1

        got = Deliveries(busy)
        broker.publish([message() for _ in range(6)])
        with consuming(broker, JOBS, got, prefetch=2):
            got.wait_for(6)
            assert wait_until(lambda: len(got.done) == 6)
        assert 1 <= active[1] <= 2
        assert broker.depth(JOBS) == 0

    def test_on_idle_is_called_while_waiting(self, broker: Broker) -> None:
        calls: list[float] = []
        with consuming(broker, JOBS, Deliveries(), on_idle=lambda: calls.append(time.monotonic())):
            assert wait_until(lambda: len(calls) >= 2, timeout=5.0)
        assert calls[1] - calls[0] >= 0.5  # about once a second, not a busy loop

    def test_consuming_a_queue_that_was_not_declared_raises(self, broker: Broker) -> None:
        stop = StopSignal()
        timer = threading.Timer(WAIT, stop.stop)  # a broken adapter returns, not hangs
        timer.start()
        try:
            with pytest.raises(BrokerUnavailable, match="no queue"):
                broker.consume("nowhere", Deliveries(), stop=stop)
        finally:
            timer.cancel()

    def test_a_capped_queue_drops_its_oldest_messages(self, broker: Broker) -> None:
        cap = CONTRACT_MAX_LENGTHS[EVENTS]
        sent = [message("job.finished") for _ in range(cap + 2)]
        broker.publish(sent)
        assert broker.depth(EVENTS) == cap
        got = Deliveries()
        with consuming(broker, EVENTS, got):
            got.wait_for(cap)
        assert [m.message_id for m in got.seen] == [m.message_id for m in sent[2:]]

    def test_health_says_ok_with_the_depths_of_the_queues(self, broker: Broker) -> None:
        broker.publish([message()])
        health = broker.health()
        assert health["status"] == "ok"
        assert health["queues"][JOBS] == 1
        assert health["queues"][EVENTS] == 1
        assert health["queues"][dead_letter_queue(JOBS)] == 0


__all__ = [
    "CONTRACT_BINDINGS",
    "CONTRACT_DELIVERY_LIMIT",
    "CONTRACT_MAX_LENGTHS",
    "EVENTS",
    "JOBS",
    "WAIT",
    "BrokerContract",
    "Deliveries",
    "consuming",
    "message",
    "wait_until",
]
