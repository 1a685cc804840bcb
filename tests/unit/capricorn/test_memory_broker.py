"""The in-memory broker keeps the port's contract (the same class runs against RabbitMQ in
the integration tests), and its topic matching is AMQP's."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from lto.capricorn.adapters.memory_broker import InMemoryBroker, routing_matches
from lto.capricorn.ports import NOTIFICATIONS, SIMULATIONS, Message
from tests.unit.capricorn.broker_contract import (
    CONTRACT_BINDINGS,
    CONTRACT_DELIVERY_LIMIT,
    CONTRACT_MAX_LENGTHS,
    BrokerContract,
)


class TestInMemoryBroker(BrokerContract):
    @pytest.fixture
    def broker(self) -> Iterator[InMemoryBroker]:
        broker = InMemoryBroker(
            CONTRACT_BINDINGS,
            delivery_limit=CONTRACT_DELIVERY_LIMIT,
            max_lengths=CONTRACT_MAX_LENGTHS,
        )
        broker.declare()
        yield broker
        broker.close()


@pytest.mark.parametrize(
    ("pattern", "key", "matches"),
    [
        ("SimulationRequested", "SimulationRequested", True),
        ("SimulationRequested", "SimulationFinished", False),
        ("#", "SimulationRequested", True),
        ("#", "a.b.c", True),
        ("#", "", True),
        ("a.*", "a.b", True),
        ("a.*", "a", False),
        ("a.*", "a.b.c", False),
        ("*.b", "a.b", True),
        ("a.#", "a", True),
        ("a.#", "a.b.c", True),
        ("a.#.c", "a.c", True),
        ("a.#.c", "a.x.y.c", True),
        ("a.#.c", "a.x.y.d", False),
        ("#.c", "c", True),
        ("*", "a.b", False),
        ("a.b", "a.b.c", False),
    ],
)
def test_routing_matches_as_amqp_topics(pattern: str, key: str, matches: bool) -> None:
    assert routing_matches(pattern, key) is matches


def test_only_notifications_are_capped_by_default() -> None:
    broker = InMemoryBroker()
    messages = [Message(str(i), "SimulationRequested", b"{}") for i in range(10_005)]
    broker.publish(messages)
    assert broker.depth(SIMULATIONS) == 10_005  # jobs are never dropped
    assert broker.depth(NOTIFICATIONS) == 10_000  # notifications drop their oldest
