"""What every aggregate shares: a list of domain events recorded by its changes."""

from __future__ import annotations

from lto.atlas.events import DomainEvent


class Aggregate:
    """Records domain events; the unit of work collects them on commit (``collect_events``)."""

    def __init__(self) -> None:
        self._events: list[DomainEvent] = []

    def record(self, event: DomainEvent) -> None:
        self._events.append(event)

    @property
    def pending_events(self) -> tuple[DomainEvent, ...]:
        return tuple(self._events)

    def collect_events(self) -> list[DomainEvent]:
        """Hand the pending events over and forget them."""
        events, self._events = self._events, []
        return events
