"""The outbox relay: publishes committed events to the broker and marks them sent only after
the broker confirmed them.

Any number of relays may run (one in each API and worker process): on PostgreSQL each takes a
batch with ``FOR UPDATE SKIP LOCKED``, so two never publish the same rows at once; on SQLite
every transaction holds the write lock. A crash between the broker's confirm and the commit
that marks the rows sent publishes them again: delivery is at-least-once, and consumers
deduplicate on the event id.
"""

from __future__ import annotations

import json
import logging
import threading
from datetime import UTC, datetime

from lto.capricorn.ports import Broker, BrokerError, Message
from lto.capricorn.service.unit_of_work import UnitOfWorkFactory

log = logging.getLogger(__name__)


class OutboxRelay:
    def __init__(self, uow_factory: UnitOfWorkFactory, broker: Broker, *, batch: int = 200) -> None:
        self.uow_factory = uow_factory
        self.broker = broker
        self.batch = batch
        self.wake = threading.Event()  # set after a commit with events: publish now

    def relay_once(self) -> int:
        """Publish one batch; the number published. Raises ``BrokerError`` (the rows stay
        unsent, their attempt counted) when the broker is down or refuses them."""
        with self.uow_factory() as uow:
            rows = uow.records.unsent(limit=self.batch)
            if not rows:
                return 0
            messages = [
                Message(
                    row.event_id,
                    row.name,
                    json.dumps(row.payload).encode(),
                    {"attempt": row.attempts + 1},
                )
                for row in rows
            ]
            ids = [row.id for row in rows]
            try:
                self.broker.publish(messages)
            except BrokerError as exc:
                uow.records.mark_attempt_failed(ids, str(exc))
                uow.commit()
                raise
            uow.records.mark_sent(ids, datetime.now(UTC))
            uow.commit()
            return len(rows)

    def drain(self) -> int:
        """Publish until nothing is left; the number published."""
        total = 0
        while sent := self.relay_once():
            total += sent
        return total

    def run(
        self, stop: threading.Event, *, poll_s: float = 1.0, max_backoff_s: float = 30.0
    ) -> None:
        """Relay until ``stop``: at once after a commit (``wake``), else every ``poll_s``; with
        a doubling backoff while the broker is unavailable."""
        backoff = 0.0
        while not stop.is_set():
            try:
                self.drain()
                backoff = 0.0
                wait = poll_s
            except BrokerError as exc:
                backoff = min(max_backoff_s, max(0.5, backoff * 2))
                log.warning("outbox: broker unavailable (%s); retrying in %.1f s", exc, backoff)
                wait = backoff
            except Exception:  # the database: log and retry, a relay never dies of one error
                backoff = min(max_backoff_s, max(0.5, backoff * 2))
                log.exception("outbox: relay failed; retrying in %.1f s", backoff)
                wait = backoff
            self._sleep(stop, wait)

    def _sleep(self, stop: threading.Event, seconds: float) -> None:
        """Until ``seconds`` pass, a commit wakes the relay, or ``stop`` is set."""
        waited = 0.0
        while waited < seconds and not stop.is_set():
            if self.wake.wait(min(0.25, seconds - waited)):
                break
            waited += 0.25
        self.wake.clear()

    def notify(self, _events: object = None) -> None:
        self.wake.set()


__all__ = ["OutboxRelay"]
