"""The RabbitMQ adapter on the machine's real server: the port's contract (the class the
in-memory broker passes too), heartbeats through a long job, and a broker restart survived by
publisher and consumer alike.

These tests do not skip when the server is down: they fail, so that CI, which runs them
against a real RabbitMQ (``LTO_TEST_AMQP_URL``), cannot pass without it. Each test declares an
exchange and queues of its own (``test-<uuid>.`` namespace) and deletes them afterwards.
"""

from __future__ import annotations

import logging
import os
import subprocess
import threading
import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from lto.capricorn.adapters.rabbitmq import RabbitMqBroker
from lto.capricorn.ports import BrokerUnavailable, Message
from tests.unit.capricorn.broker_contract import (
    CONTRACT_BINDINGS,
    CONTRACT_DELIVERY_LIMIT,
    CONTRACT_MAX_LENGTHS,
    EVENTS,
    JOBS,
    QUIET,
    WAIT,
    BrokerContract,
    Deliveries,
    consuming,
    message,
    wait_until,
)

AMQP_URL = os.environ.get("LTO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")

BrokerFactory = Callable[..., RabbitMqBroker]


@pytest.fixture
def rabbit_factory() -> Iterator[BrokerFactory]:
    """Brokers on namespaces of their own, declared; their queues deleted at the end."""
    made: list[RabbitMqBroker] = []

    def make(**options: object) -> RabbitMqBroker:
        settings: dict[str, object] = {
            "bindings": CONTRACT_BINDINGS,
            "namespace": f"test-{uuid.uuid4().hex[:12]}.",
            "delivery_limit": CONTRACT_DELIVERY_LIMIT,
            "max_lengths": CONTRACT_MAX_LENGTHS,
        }
        settings.update(options)
        broker = RabbitMqBroker(AMQP_URL, **settings)  # type: ignore[arg-type]
        broker.declare()
        made.append(broker)
        return broker

    yield make
    for broker in made:
        broker.delete_declared()
        broker.close()


class TestRabbitMqBroker(BrokerContract):
    @pytest.fixture
    def broker(self, rabbit_factory: BrokerFactory) -> RabbitMqBroker:
        return rabbit_factory()

    def test_declare_is_idempotent(self, broker: RabbitMqBroker) -> None:
        broker.publish([message()])
        broker.declare()
        assert broker.depth(JOBS) == 1

    def test_health_names_the_host_and_says_unavailable_when_unreachable(self) -> None:
        down = RabbitMqBroker("amqp://lto:s3cret-pw@127.0.0.1:1/%2F", bindings=CONTRACT_BINDINGS)
        health = down.health()
        assert health["status"] == "unavailable"
        assert health["host"] == "127.0.0.1:1"
        assert "s3cret-pw" not in repr(health)
        with pytest.raises(BrokerUnavailable, match=r"127\.0\.0\.1:1") as caught:
            down.publish([message()])
        assert "s3cret-pw" not in str(caught.value)


def test_a_long_job_keeps_its_connection_and_is_not_redelivered(
    rabbit_factory: BrokerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    """6 s of work with a 1 s heartbeat. A handler on the connection's thread loses it: the
    broker resets the connection and redelivers the message (measured here: already after 4 s
    with a 1 s heartbeat, or 8 s with 2 s; 6 s with 2 s sometimes survives, so proves
    nothing)."""
    broker = rabbit_factory(heartbeat=1)
    sent = message()
    got = Deliveries(lambda _m, _n: time.sleep(6))
    broker.publish([sent])
    with (
        caplog.at_level(logging.WARNING, logger="lto.capricorn.adapters.rabbitmq"),
        consuming(broker, JOBS, got),
    ):
        got.wait_for(1)
        assert wait_until(lambda: len(got.done) == 1, timeout=15)
        time.sleep(QUIET)
    assert got.counts == [1]
    assert broker.depth(JOBS) == 0
    assert not [r for r in caplog.records if "lost RabbitMQ" in r.getMessage()]
    later = Deliveries()
    with consuming(broker, JOBS, later):
        time.sleep(QUIET)
    assert later.seen == []


def test_abandon_returns_at_once_and_another_consumer_takes_the_job_over(
    rabbit_factory: BrokerFactory,
) -> None:
    """What the worker's second signal relies on: no waiting for a long job to end."""
    broker = rabbit_factory()
    sent = message()
    started, release = threading.Event(), threading.Event()

    def long_job(_received: Message, before: int) -> None:
        if before == 0:
            started.set()
            release.wait(WAIT)

    got = Deliveries(long_job)
    broker.publish([sent])
    try:
        with consuming(broker, JOBS, got) as running:
            assert started.wait(WAIT)
            running.stop.abandon()
            running.thread.join(2.0)
            assert not running.thread.is_alive(), "consume waited for the abandoned handler"
        later = Deliveries()
        with consuming(broker, JOBS, later):
            [again] = later.wait_for(1)
        assert (again.message_id, again.delivery_count) == (sent.message_id, 2)
    finally:
        release.set()
    time.sleep(0.2)  # the abandoned handler ends; its outcome must be dropped, not settled
    assert broker.depth(JOBS) == 0
    assert broker.dead_letters(JOBS) == []


def rabbitmqctl(*args: str) -> None:
    subprocess.run(["rabbitmqctl", *args], check=True, capture_output=True, timeout=180)


def publish_eventually(broker: RabbitMqBroker, messages: list[Message], timeout: float) -> None:
    """Right after ``start_app`` the queues may still be electing their leaders."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            broker.publish(messages)
            return
        except BrokerUnavailable:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.5)


@pytest.mark.slow
def test_publisher_and_consumer_survive_a_broker_restart(rabbit_factory: BrokerFactory) -> None:
    broker = rabbit_factory(max_backoff=2.0)
    kept = message("job.finished")  # in EVENTS, which nobody consumes: must survive
    first, second = message(), message()
    broker.publish([kept])
    got = Deliveries()
    with consuming(broker, JOBS, got):
        broker.publish([first])
        got.wait_for(1)
        try:
            rabbitmqctl("stop_app")
            with pytest.raises(BrokerUnavailable) as caught:
                broker.publish([message()])
            assert "127.0.0.1:5672" in str(caught.value) or broker.host in str(caught.value)
            assert AMQP_URL not in str(caught.value)
        finally:
            rabbitmqctl("start_app")
            rabbitmqctl("await_startup")
        publish_eventually(broker, [second], timeout=60)  # the same broker object
        got.wait_for(2, timeout=60)  # the consumer reconnected by itself
    assert [m.message_id for m in got.seen] == [first.message_id, second.message_id]
    assert broker.depth(EVENTS) == 3  # all three (job.* too), kept across the restart
    assert broker.health()["status"] == "ok"
