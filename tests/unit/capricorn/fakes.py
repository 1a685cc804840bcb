"""In-memory fakes of capricorn's repositories and unit of work, for unit tests.

They subclass the real abstractions and keep their semantics: nothing is visible to another
unit of work before commit, a rollback restores what was there, aggregates are copies (two
units of work never share an object), and versions catch concurrent updates.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from lto.atlas.alerts import Alert
from lto.atlas.events import DomainEvent
from lto.atlas.lifecycle import FINAL_STATES, Job, JobState
from lto.capricorn.repositories import (
    AlertRepository,
    AuditEntry,
    BufferRow,
    ConcurrentUpdate,
    DuplicateMessage,
    JobPage,
    JobRepository,
    OutboxRow,
    PredictionRecord,
    RecordStore,
    ResultRecord,
)
from lto.capricorn.service.unit_of_work import UnitOfWork

_FINISHED = {*FINAL_STATES, JobState.ANOMALY_FLAGGED}


@dataclass
class Store:
    """What a database would hold."""

    jobs: dict[str, Job] = field(default_factory=dict)
    alerts: dict[str, Alert] = field(default_factory=dict)
    predictions: list[PredictionRecord] = field(default_factory=list)
    results: dict[str, ResultRecord] = field(default_factory=dict)
    audit: list[AuditEntry] = field(default_factory=list)
    outbox: list[dict[str, Any]] = field(default_factory=list)
    processed: set[tuple[str, str]] = field(default_factory=set)
    buffer: list[BufferRow] = field(default_factory=list)
    commits: int = 0


def _copy(item: Any) -> Any:
    twin = copy.deepcopy(item)
    twin._events = []
    return twin


class _FakeAggregates:
    def __init__(self, table: dict[str, Any]) -> None:
        self.table = table

    def _stored_copy(self, id: str) -> Any:
        found = self.table.get(id)
        return None if found is None else _copy(found)

    def _flush(self, seen: dict[str, Any]) -> None:
        for id, item in seen.items():
            stored = self.table.get(id)
            if stored is None:
                item.version = 1
            elif _state(stored) != _state(item):
                if stored.version != item.version:
                    raise ConcurrentUpdate(f"{id} was changed by another transaction")
                item.version += 1
            else:
                continue
            self.table[id] = _copy(item)


def _state(item: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(item).items() if k not in ("_events", "version")}


class FakeJobRepository(JobRepository):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._table = _FakeAggregates(store.jobs)
        self._results = store.results

    def _get(self, id: str) -> Job | None:
        job = self._table._stored_copy(id)
        return None if job is None else self._with_result(job)

    def _with_result(self, job: Job) -> Job:
        stored = self._results.get(job.id)  # as the SQL repository joins job_results
        if stored is not None and job.result is None:
            job.result = stored.result
        return job

    def _seen_copy(self, job: Job) -> Job:
        return self.seen.setdefault(job.id, self._with_result(_copy(job)))

    def list(
        self,
        *,
        state: JobState | None = None,
        submitted_by: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> JobPage:
        jobs = sorted(
            self._table.table.values(), key=lambda j: (j.submitted_at, j.id), reverse=True
        )
        jobs = [
            j
            for j in jobs
            if (state is None or j.state is state)
            and (submitted_by is None or j.parameters.submitted_by == submitted_by)
            and (after is None or (j.submitted_at, j.id) < after)
        ]
        page = [self._seen_copy(j) for j in jobs[:limit]]
        cursor = (page[-1].submitted_at, page[-1].id) if len(jobs) > limit else None
        return JobPage(page, cursor)

    def count_by_state(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self._table.table.values():
            counts[job.state.value] = counts.get(job.state.value, 0) + 1
        return counts

    def finished_since(self, since: datetime) -> int:
        return sum(
            1 for j in self._table.table.values() if j.state in _FINISHED and j.updated_at >= since
        )

    def in_states(self, states: Sequence[JobState], *, limit: int = 1000) -> list[Job]:
        jobs = sorted(self._table.table.values(), key=lambda j: (j.submitted_at, j.id))
        return [self._seen_copy(j) for j in jobs if j.state in states][:limit]

    def flush(self) -> None:
        self._table._flush(self.seen)


class FakeAlertRepository(AlertRepository):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._table = _FakeAggregates(store.alerts)

    def _get(self, id: str) -> Alert | None:
        return self._table._stored_copy(id)

    def _list(self, keep: Any, limit: int) -> list[Alert]:
        alerts = sorted(self._table.table.values(), key=lambda a: (a.fired_at, a.id), reverse=True)
        return [self.seen.setdefault(a.id, _copy(a)) for a in alerts if keep(a)][:limit]

    def active(self, *, limit: int = 100) -> list[Alert]:
        return self._list(lambda a: a.active, limit)

    def history(self, *, limit: int = 100) -> list[Alert]:
        return self._list(lambda a: True, limit)

    def active_from(self, source: str) -> list[Alert]:
        return self._list(lambda a: a.active and a.source == source, 1000)

    def flush(self) -> None:
        self._table._flush(self.seen)


class FakeRecordStore(RecordStore):
    def __init__(self, store: Store) -> None:
        self.store = store

    def add_prediction(self, record: PredictionRecord) -> None:
        self.store.predictions.append(record)

    def predictions(
        self, *, job_id: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[PredictionRecord]:
        found = [
            p
            for p in self.store.predictions
            if (job_id is None or p.job_id == job_id) and (since is None or p.created_at >= since)
        ]
        return sorted(found, key=lambda p: (p.created_at, p.id), reverse=True)[:limit]

    def add_result(self, record: ResultRecord) -> None:
        if record.job_id in self.store.results:
            raise ConcurrentUpdate(f"job {record.job_id} already has a result")
        self.store.results[record.job_id] = record

    def result(self, job_id: str) -> ResultRecord | None:
        return self.store.results.get(job_id)

    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        self.store.audit.extend(entries)

    def audit(self, entity_type: str, entity_id: str) -> list[AuditEntry]:
        return [
            e for e in self.store.audit if e.entity_type == entity_type and e.entity_id == entity_id
        ]

    def add_to_outbox(self, events: Sequence[DomainEvent]) -> None:
        for event in events:
            self.store.outbox.append({
                "id": len(self.store.outbox) + 1, "event_id": event.event_id, "name": event.name,
                "payload": event.to_payload(), "sent_at": None, "attempts": 0, "last_error": None,
            })  # fmt: skip

    def unsent(self, *, limit: int = 100) -> list[OutboxRow]:
        rows = [r for r in self.store.outbox if r["sent_at"] is None][:limit]
        return [
            OutboxRow(r["id"], r["event_id"], r["name"], r["payload"], r["attempts"]) for r in rows
        ]

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        for row in self.store.outbox:
            if row["id"] in ids:
                row["sent_at"], row["attempts"] = at, row["attempts"] + 1

    def mark_attempt_failed(self, ids: Sequence[int], error: str) -> None:
        for row in self.store.outbox:
            if row["id"] in ids:
                row["attempts"], row["last_error"] = row["attempts"] + 1, error

    def outbox_backlog(self) -> int:
        return sum(1 for r in self.store.outbox if r["sent_at"] is None)

    def was_processed(self, consumer: str, message_id: str) -> bool:
        return (consumer, message_id) in self.store.processed

    def mark_processed(self, consumer: str, message_id: str, at: datetime) -> None:
        if (consumer, message_id) in self.store.processed:
            raise DuplicateMessage(f"{consumer} already processed {message_id}")
        self.store.processed.add((consumer, message_id))

    def add_to_buffer(self, row: BufferRow) -> None:
        self.store.buffer.append(replace(row))

    def buffer(self, *, since: datetime | None = None, limit: int = 100_000) -> list[BufferRow]:
        rows = [r for r in self.store.buffer if since is None or r.created_at >= since]
        return sorted(rows, key=lambda r: (r.created_at, r.job_id))[:limit]


class FakeUnitOfWork(UnitOfWork):
    """Units of work made on one ``Store`` see each other's commits, as on one database."""

    def __init__(self, store: Store | None = None, **options: Any) -> None:
        super().__init__(**options)
        self.store = store if store is not None else Store()
        self._snapshot: Store | None = None

    def _begin(self) -> None:
        self._snapshot = copy.deepcopy(self.store)
        self.jobs = FakeJobRepository(self.store)
        self.alerts = FakeAlertRepository(self.store)
        self.records = FakeRecordStore(self.store)

    def _commit(self) -> None:
        self.store.commits += 1
        self._snapshot = None

    def _rollback(self) -> None:
        if self._snapshot is not None:
            for name in vars(self.store):
                setattr(self.store, name, getattr(self._snapshot, name))
            self._snapshot = None


__all__ = ["FakeUnitOfWork", "Store"]
