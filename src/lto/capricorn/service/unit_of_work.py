"""The unit of work: one transaction around a handler's changes, and the only way they land.

``with uow:`` opens the transaction; nothing is kept unless ``uow.commit()`` is called, and
leaving the block rolls back whatever was not committed (an exception included). On commit the
unit of work stores every aggregate its repositories saw, collects their new events, and writes
each event to the outbox and to the audit log in the same transaction: the state change and the
news of it land together or not at all. Artifacts written during the unit of work (large
results in the artifact store) are deleted again when it rolls back.
"""

from __future__ import annotations

import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any, Self

from lto.atlas.events import DomainEvent
from lto.capricorn.ports import ArtifactStore
from lto.capricorn.repositories import (
    AlertRepository,
    AuditEntry,
    CellRepository,
    FabRepository,
    IdempotencyStore,
    IngestedResultStore,
    JobRepository,
    ModelVersionRecords,
    OptimisationRepository,
    RecordStore,
    UserRepository,
    YieldStore,
)

# which field of an event names the entity it concerns, and its kind, for the audit log
_ENTITY_FIELDS = (
    ("job_id", "job"),
    ("alert_id", "alert"),
    ("optimization_id", "optimization"),
    ("model_name", "model"),
    ("fab_id", "fab"),  # before cell_id: CellAddedToFab and CellsLinked change the fab
    ("cell_id", "cell"),
)
_ACTOR_FIELDS = ("submitted_by", "cancelled_by", "reviewed_by", "acknowledged_by", "worker_id")


def audit_entries(events: list[DomainEvent], actor: str) -> list[AuditEntry]:
    """One audit row per event: who (the event's own actor field, else the unit of work's),
    did what (the event's name) to which entity, with the event's data."""
    entries = []
    for event in events:
        payload = event.to_payload()
        entity_type, entity_id = "system", "-"
        for name, kind in _ENTITY_FIELDS:
            if payload.get(name):
                entity_type, entity_id = kind, str(payload[name])
                break
        who = next((str(payload[f]) for f in _ACTOR_FIELDS if payload.get(f)), actor)
        detail = {
            k: v for k, v in payload.items() if k not in ("event_id", "occurred_at", "parameters")
        }
        entries.append(
            AuditEntry(
                event.occurred_at, who, event.name, entity_type, entity_id, event.event_id, detail
            )
        )
    return entries


class UnitOfWork(ABC):
    jobs: JobRepository
    alerts: AlertRepository
    cells: CellRepository
    fabs: FabRepository
    users: UserRepository
    model_versions: ModelVersionRecords
    records: RecordStore
    idempotency: IdempotencyStore
    ingested: IngestedResultStore  # simulation results run elsewhere
    yields: YieldStore  # wafer yield measurements
    optimisations: OptimisationRepository

    def __init__(
        self,
        artifacts: ArtifactStore | None = None,
        on_commit: Callable[[list[DomainEvent]], None] | None = None,
    ) -> None:
        self.artifacts = artifacts
        self.actor = "system"
        self._on_commit = on_commit
        self._written: list[str] = []
        self._open = False

    def __enter__(self) -> Self:
        if self._open:
            raise RuntimeError("this unit of work is already open: make one per transaction")
        self._begin()
        self._open, self._written, self.actor = True, [], "system"
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if self._open:
                self.rollback()
        finally:
            self._open = False
            self._end()

    def commit(self) -> list[DomainEvent]:
        """Store the changes with their events (outbox and audit log); returns the events."""
        events = self.collect_new_events()
        self.jobs.flush()
        self.alerts.flush()
        self.cells.flush()
        self.fabs.flush()
        self.users.flush()
        self.records.add_to_outbox(events)
        self.records.add_audit(audit_entries(events, self.actor))
        self.records.flush()
        self._commit()
        self._open, self._written = False, []
        if self._on_commit is not None and events:
            self._on_commit(events)
        return events

    def rollback(self) -> None:
        self._rollback()
        self._open = False
        written, self._written = self._written, []
        if self.artifacts is not None:
            for key in written:
                with contextlib.suppress(OSError):
                    self.artifacts.delete(key)

    def put_artifact(self, key: str, data: bytes) -> str:
        """Write a large result before the rows that name it; deleted again on rollback."""
        if self.artifacts is None:
            raise RuntimeError("this unit of work has no artifact store")
        stored = self.artifacts.put(key, data)
        self._written.append(stored)
        return stored

    def collect_new_events(self) -> list[DomainEvent]:
        return [event for aggregate in self._seen() for event in aggregate.collect_events()]

    def _seen(self) -> Iterator[Any]:
        yield from self.jobs.seen.values()
        yield from self.alerts.seen.values()
        self.fabs.adopt_cells()  # a cell added to a fab is stored, and its events sent, with it
        yield from self.cells.seen.values()
        yield from self.fabs.seen.values()

    @abstractmethod
    def _begin(self) -> None: ...

    @abstractmethod
    def _commit(self) -> None: ...

    @abstractmethod
    def _rollback(self) -> None: ...

    def _end(self) -> None:  # noqa: B027 - a backend without resources keeps the default
        """Release the connection (after commit or rollback)."""


UnitOfWorkFactory = Callable[[], UnitOfWork]

__all__ = ["UnitOfWork", "UnitOfWorkFactory", "audit_entries"]
