"""Capricorn's ports: the message broker and the artifact store, each with adapters behind it.

``Broker`` contract (both adapters, in-memory and RabbitMQ, keep it; one test class runs
against both):

- ``publish`` returns only once the broker has taken every message (publisher confirms); it
  raises ``BrokerUnavailable`` when it cannot reach the broker or the broker refused a message,
  ``Unroutable`` when no queue is bound for a message's routing key. A caller that sees either
  must treat every message of the call as not sent (the outbox publishes them again; consumers
  are idempotent, so a message that did get through twice has one effect).
- Messages are persistent and queues durable: what was confirmed survives a broker restart.
- ``consume`` delivers each message to ``handler`` at least once, at most ``prefetch`` at a
  time unacknowledged. The handler returning acknowledges the message; raising ``Poison`` sends
  it straight to the queue's dead-letter queue; raising anything else requeues it, and a message
  delivered ``delivery_limit`` times without success is dead-lettered instead.
- ``consume`` blocks until ``stop`` is set, then lets the message in hand finish (or requeues
  it when ``stop`` is set with ``abandon``) and returns.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

EXCHANGE = "lto.events"
DEAD_LETTER_EXCHANGE = "lto.dead-letters"
SIMULATIONS = "lto.simulations"
NOTIFICATIONS = "lto.notifications"
DELIVERY_LIMIT = 5

# queue → the routing keys (event names, "#" for all) bound to it
BINDINGS: dict[str, tuple[str, ...]] = {
    SIMULATIONS: ("SimulationRequested",),
    NOTIFICATIONS: ("#",),
}
# queue → the most messages it keeps (the oldest dropped beyond): nothing may grow without bound
# when its consumer (the API's live views) is not running
MAX_LENGTHS: dict[str, int] = {NOTIFICATIONS: 10_000}


def dead_letter_queue(queue: str) -> str:
    return f"{queue}.dead"


class BrokerError(RuntimeError):
    """The broker could not do what was asked; the message says what and where."""


class BrokerUnavailable(BrokerError):
    """The broker cannot be reached, or it refused (nacked) a message."""


class Unroutable(BrokerError):
    """No queue is bound for the message's routing key: it would be lost."""


class Poison(Exception):
    """Raised by a handler for a message that can never succeed (malformed, unknown): it goes
    to the dead-letter queue at once instead of being retried."""


@dataclass(frozen=True)
class Message:
    """One message: its id (the domain event's id: consumers deduplicate on it), its routing
    key (the event's name), and its body (the event's JSON payload, UTF-8)."""

    message_id: str
    routing_key: str
    body: bytes
    headers: dict[str, Any] = field(default_factory=dict)
    delivery_count: int = 1  # 1 on first delivery; more when redelivered

    @property
    def redelivered(self) -> bool:
        return self.delivery_count > 1


Handler = Callable[[Message], None]


@dataclass
class StopSignal:
    """Asks ``consume`` to return: after the message in hand (``stop()``), or requeueing it
    (``abandon()``, what SIGTERM during a long job may choose)."""

    event: threading.Event = field(default_factory=threading.Event)
    requeue_in_hand: bool = False

    def stop(self) -> None:
        self.event.set()

    def abandon(self) -> None:
        self.requeue_in_hand = True
        self.event.set()

    @property
    def is_set(self) -> bool:
        return self.event.is_set()


class Broker(ABC):
    """Where domain events go after the outbox, and where workers take their jobs from."""

    @abstractmethod
    def declare(self) -> None:
        """Create the exchanges and queues of ``BINDINGS`` (with their dead-letter queues) if
        they are not there; safe to call from every process at start."""

    @abstractmethod
    def publish(self, messages: Sequence[Message]) -> None: ...

    @abstractmethod
    def consume(
        self,
        queue: str,
        handler: Handler,
        *,
        stop: StopSignal,
        prefetch: int = 1,
        on_idle: Callable[[], None] | None = None,
    ) -> None:
        """Deliver messages of ``queue`` to ``handler`` until ``stop``; ``on_idle`` is called
        about once a second while waiting (for heartbeats of the caller's own)."""

    @abstractmethod
    def dead_letters(self, queue: str, *, limit: int = 100) -> list[Message]:
        """Take up to ``limit`` messages off ``queue``'s dead-letter queue (for inspection and
        replay; they are removed)."""

    @abstractmethod
    def depth(self, queue: str) -> int:
        """Messages ready in ``queue`` (not counting those delivered and unacknowledged)."""

    @abstractmethod
    def health(self) -> dict[str, Any]:
        """``{"status": "ok" | "unavailable", ...}`` and whatever explains it."""

    def close(self) -> None:  # noqa: B027 - adapters without resources keep the default
        """Release connections; the broker object is not used afterwards."""


class ArtifactStore(ABC):
    """Large results (aerial and resist images, focus-exposure matrices) kept outside the
    database; the database keeps the key ``put`` returns.

    ``put`` is atomic (a reader never sees half a file); ``delete`` of a missing key is not an
    error, so a failed transaction can clean up whatever it wrote."""

    @abstractmethod
    def put(self, key: str, data: bytes) -> str: ...

    @abstractmethod
    def get(self, key: str) -> bytes: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def exists(self, key: str) -> bool: ...


__all__ = [
    "BINDINGS",
    "DEAD_LETTER_EXCHANGE",
    "DELIVERY_LIMIT",
    "EXCHANGE",
    "MAX_LENGTHS",
    "NOTIFICATIONS",
    "SIMULATIONS",
    "ArtifactStore",
    "Broker",
    "BrokerError",
    "BrokerUnavailable",
    "Handler",
    "Message",
    "Poison",
    "StopSignal",
    "Unroutable",
    "dead_letter_queue",
]
