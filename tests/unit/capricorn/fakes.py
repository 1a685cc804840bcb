"""In-memory fakes of capricorn's repositories and unit of work, for unit tests.

They subclass the real abstractions and keep their semantics: nothing is visible to another
unit of work before commit, a rollback restores what was there, aggregates are copies (two
units of work never share an object), and versions catch concurrent updates.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

from lto.atlas.alerts import Alert
from lto.atlas.cell import LithoCell
from lto.atlas.contracts import SIGNAL_NAMES
from lto.atlas.errors import InvariantViolated
from lto.atlas.events import DomainEvent
from lto.atlas.fab import Fab
from lto.atlas.lifecycle import FINAL_STATES, Job, JobState
from lto.atlas.users import ApiKey, User
from lto.atlas.yield_data import YieldMeasurement
from lto.capricorn.adapters.cell_mapping import cell_from_dict, cell_to_dict, fab_row
from lto.capricorn.repositories import (
    PIPELINE_OUTCOMES,
    UNFINISHED_OPTIMISATION_STATES,
    AlertPage,
    AlertRepository,
    AuditEntry,
    BufferRow,
    CellRepository,
    ConcurrentUpdate,
    DuplicateMessage,
    DuplicateName,
    DuplicateYield,
    DurationHistogram,
    FabRepository,
    IdempotencyRecord,
    IdempotencyStore,
    IngestedResult,
    IngestedResultStore,
    JobPage,
    JobRepository,
    ModelVersionRecord,
    ModelVersionRecords,
    OptimisationPage,
    OptimisationRecord,
    OptimisationRepository,
    OutboxRow,
    Outcome,
    PredictionPage,
    PredictionRecord,
    RecordStore,
    ResultRecord,
    ScoreBucket,
    ScoreSource,
    UserRepository,
    YieldPage,
    YieldRecord,
    YieldStore,
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
    # the catalog, kept as the SQL tables keep it: cells and fabs as JSON rows
    cells: dict[str, dict[str, Any]] = field(default_factory=dict)  # cell, fab_id, version
    fabs: dict[str, dict[str, Any]] = field(default_factory=dict)  # fab (row), version
    users: dict[str, User] = field(default_factory=dict)
    model_versions: dict[tuple[str, str], ModelVersionRecord] = field(default_factory=dict)
    idempotency: dict[tuple[str, str], IdempotencyRecord] = field(default_factory=dict)
    optimisations: dict[str, OptimisationRecord] = field(default_factory=dict)
    ingested: dict[str, IngestedResult] = field(default_factory=dict)
    yields: dict[str, YieldRecord] = field(default_factory=dict)
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

    def page(
        self,
        *,
        state: JobState | None = None,
        submitted_by: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
        since: datetime | None = None,
        until: datetime | None = None,
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
            and (since is None or j.submitted_at >= since)
            and (until is None or j.submitted_at < until)
        ]
        page = [self._seen_copy(j) for j in jobs[:limit]]
        cursor = (page[-1].submitted_at, page[-1].id) if len(jobs) > limit else None
        return JobPage(page, cursor)

    def count_by_state(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for job in self._table.table.values():
            counts[job.state.value] = counts.get(job.state.value, 0) + 1
        return counts

    def count_unfinished(self, submitted_by: str, *, at_most: int | None = None) -> int:
        found = sum(
            1
            for j in self._table.table.values()
            if j.parameters.submitted_by == submitted_by and j.state not in _FINISHED
        )
        return found if at_most is None else min(found, at_most)

    def finished_since(self, since: datetime) -> int:
        return sum(
            1 for j in self._table.table.values() if j.state in _FINISHED and j.updated_at >= since
        )

    def in_states(self, states: Sequence[JobState], *, limit: int = 1000) -> list[Job]:
        jobs = sorted(self._table.table.values(), key=lambda j: (j.submitted_at, j.id))
        return [self._seen_copy(j) for j in jobs if j.state in states][:limit]

    def durations(self, bounds: Sequence[float]) -> DurationHistogram:
        took = [
            (change.at - job.submitted_at).total_seconds()
            for job in self._table.table.values()
            for change in job.history
            if change.state in PIPELINE_OUTCOMES
        ]
        return DurationHistogram(
            tuple(float(b) for b in bounds),
            tuple(sum(1 for t in took if t <= b) for b in bounds),
            len(took),
            float(sum(took)),
        )

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

    def page(
        self,
        *,
        active: bool | None = None,
        severity: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> AlertPage:
        found = self._list(
            lambda a: (
                (active is None or a.active == active)
                and (severity is None or a.severity.value == severity)
                and (after is None or (a.fired_at, a.id) < after)
            ),
            limit + 1,
        )
        page = found[:limit]
        cursor = (page[-1].fired_at, page[-1].id) if len(found) > limit else None
        return AlertPage(page, cursor)

    def active_from(self, source: str) -> list[Alert]:
        return self._list(lambda a: a.active and a.source == source, 1000)

    def changed_since(self, since: datetime, *, limit: int = 500) -> list[Alert]:
        alerts = sorted(self._table.table.values(), key=lambda a: (a.fired_at, a.id))
        changed = [
            a
            for a in alerts
            if a.fired_at >= since or (a.acknowledged_at is not None and a.acknowledged_at >= since)
        ]
        return [self.seen.setdefault(a.id, _copy(a)) for a in changed[:limit]]

    def count_by_severity(self, *, active: bool | None = None) -> dict[str, int]:
        counts: dict[str, int] = {}
        for alert in self._table.table.values():
            if active is None or alert.active == active:
                counts[alert.severity.value] = counts.get(alert.severity.value, 0) + 1
        return counts

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

    def prediction_page(
        self,
        *,
        submitted_by: str | None = None,
        standalone: bool = True,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> PredictionPage:
        found = [
            p
            for p in sorted(
                self.store.predictions, key=lambda p: (p.created_at, p.id), reverse=True
            )
            if (not standalone or p.job_id is None)
            and (submitted_by is None or p.parameters.get("submitted_by") == submitted_by)
            and (after is None or (p.created_at, p.id) < after)
        ]
        page = found[:limit]
        cursor = (page[-1].created_at, page[-1].id) if len(found) > limit else None
        return PredictionPage(page, cursor)

    def score_means(
        self, source: ScoreSource, *, since: datetime, until: datetime, bucket_s: int
    ) -> list[ScoreBucket]:
        rows: list[tuple[datetime, dict[str, Any]]] = []
        if source == "predictions":
            for p in self.store.predictions:
                scores = p.prediction.get("scores") or {}
                rows.append((p.created_at, {k: v.get("mean") for k, v in scores.items()}))
        else:
            rows = [
                (r.created_at, r.result.get("signals") or {}) for r in self.store.results.values()
            ]
        buckets: dict[int, list[dict[str, Any]]] = {}
        for at, scores in rows:
            if since <= at < until and scores.get(SIGNAL_NAMES[0]) is not None:
                buckets.setdefault(int(at.timestamp()) // bucket_s, []).append(scores)
        return [
            ScoreBucket(
                datetime.fromtimestamp(index * bucket_s, UTC),
                len(found),
                {n: sum(float(s[n]) for s in found) / len(found) for n in SIGNAL_NAMES},
            )
            for index, found in sorted(buckets.items())
        ]

    def outcomes(
        self, *, since: datetime, until: datetime | None = None, limit: int = 10_000
    ) -> list[Outcome]:
        found = []
        for result in self.store.results.values():
            job = self.store.jobs.get(result.job_id)
            if job is None or not isinstance(job.evaluation, dict):
                continue
            if result.created_at < since or (until is not None and result.created_at >= until):
                continue
            version = (job.prediction or {}).get("model_version")
            found.append(Outcome(job.id, result.created_at, version, copy.deepcopy(job.evaluation)))
        return sorted(found, key=lambda o: (o.at, o.job_id), reverse=True)[:limit]

    def latest_signals(self, *, limit: int = 100) -> list[dict[str, float]]:
        newest = sorted(
            self.store.results.values(), key=lambda r: (r.created_at, r.job_id), reverse=True
        )[:limit]
        return [
            {k: float(v) for k, v in r.result["signals"].items()}
            for r in newest
            if isinstance(r.result.get("signals"), dict)
        ]

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


def _json(data: Any) -> Any:
    """``data`` as a JSON column gives it back (and a TypeError if it is not JSON)."""
    return json.loads(json.dumps(data))


class FakeCellRepository(CellRepository):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._table = store.cells

    def _get(self, id: str) -> LithoCell | None:
        entry = self._table.get(id)
        return None if entry is None else self._load(entry)

    def _load(self, entry: dict[str, Any]) -> LithoCell:
        cell = cell_from_dict(_json(entry["cell"]), version=entry["version"])
        return self.seen.setdefault(cell.id, cell)

    def list(self) -> list[LithoCell]:
        entries = sorted(self._table.values(), key=lambda e: (e["cell"]["name"], e["cell"]["id"]))
        return [self._load(e) for e in entries]

    def flush(self) -> None:
        for cell in self.seen.values():
            data = _json(cell_to_dict(cell))
            entry = self._table.get(cell.id)
            if entry is None:
                self._table[cell.id] = {"cell": data, "fab_id": None, "version": 1}
                cell.version = 1
            elif entry["cell"] != data:
                if entry["version"] != cell.version:
                    raise ConcurrentUpdate(f"cell {cell.id} was changed by another transaction")
                cell.version += 1
                entry.update(cell=data, version=cell.version)


class FakeFabRepository(FabRepository):
    def __init__(self, store: Store, cells: FakeCellRepository) -> None:
        super().__init__(cells)
        self._table, self._cell_rows = store.fabs, store.cells

    def _members(self, fab_id: str) -> frozenset[str]:
        return frozenset(id for id, e in self._cell_rows.items() if e["fab_id"] == fab_id)

    def _get(self, id: str) -> Fab | None:
        entry = self._table.get(id)
        if entry is None:
            return None
        cells = [self.cells.get(cell_id) for cell_id in sorted(self._members(id))]
        row = _json(entry["fab"])
        return Fab.restore(
            id=row["id"],
            name=row["name"],
            cells=[c for c in cells if c is not None],
            links=[(a, b) for a, b in row["links"]],
            version=entry["version"],
        )

    def flush(self) -> None:
        self.adopt_cells()
        self.cells.flush()
        for fab in self.seen.values():
            row, members = _json(fab_row(fab)), frozenset(c.id for c in fab.cells)
            entry = self._table.get(fab.id)
            if entry is None:
                fab.version = 1
            elif (entry["fab"], self._members(fab.id)) != (row, members):
                if entry["version"] != fab.version:
                    raise ConcurrentUpdate(f"fab {fab.id} was changed by another transaction")
                fab.version += 1
            else:
                continue
            for cell_id in members:
                owner = self._cell_rows[cell_id]["fab_id"]
                if owner not in (None, fab.id):
                    raise InvariantViolated(
                        f"a litho cell belongs to one fab at most; {cell_id} is in fab {owner}"
                    )
            for cell_id, cell_row in self._cell_rows.items():
                if cell_id in members:
                    cell_row["fab_id"] = fab.id
                elif cell_row["fab_id"] == fab.id:
                    cell_row["fab_id"] = None
            self._table[fab.id] = {"fab": row, "version": fab.version}


class FakeUserRepository(UserRepository):
    def __init__(self, store: Store) -> None:
        super().__init__()
        self._table = store.users

    def _get(self, id: str) -> User | None:
        found = self._table.get(id)
        return None if found is None else copy.deepcopy(found)

    def by_name(self, name: str) -> User | None:
        found = next((u for u in self._table.values() if u.name == name), None)
        return None if found is None else self.get(found.id)

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        owner = next(
            (u for u in self._table.values() if any(k.key_hash == key_hash for k in u.keys)),
            None,
        )
        user = None if owner is None else self.get(owner.id)
        return None if user is None else next(k for k in user.keys if k.key_hash == key_hash)

    def list(self) -> list[User]:
        users = sorted(self._table.values(), key=lambda u: u.name)
        return [self.seen.setdefault(u.id, copy.deepcopy(u)) for u in users]

    def flush(self) -> None:
        for user in self.seen.values():
            if any(u.name == user.name and u.id != user.id for u in self._table.values()):
                raise DuplicateName(f"a user named {user.name!r} already exists")
            self._table[user.id] = copy.deepcopy(user)


class FakeModelVersionRecords(ModelVersionRecords):
    def __init__(self, store: Store) -> None:
        self._table = store.model_versions

    def upsert(self, record: ModelVersionRecord) -> ModelVersionRecord:
        for key, other in self._table.items():
            if other.name == record.name and other.version != record.version:
                kept = tuple(a for a in other.aliases if a not in record.aliases)
                self._table[key] = replace(other, aliases=kept)
        stored = self._table.get((record.name, record.version))
        if stored is not None:
            record = replace(record, created_at=stored.created_at)
        self._table[(record.name, record.version)] = _json_record(record)
        return record

    def get(self, name: str, version: str) -> ModelVersionRecord | None:
        return self._table.get((name, version))

    def list(self, name: str | None = None) -> list[ModelVersionRecord]:
        found = [r for r in self._table.values() if name is None or r.name == name]
        return sorted(found, key=lambda r: (r.name, r.created_at, r.version))

    def by_alias(self, name: str, alias: str) -> ModelVersionRecord | None:
        return next((r for r in self.list(name) if alias in r.aliases), None)


def _json_record(record: ModelVersionRecord) -> ModelVersionRecord:
    return replace(record, aliases=tuple(record.aliases), metrics=_json(record.metrics))


class FakeIdempotencyStore(IdempotencyStore):
    def __init__(self, store: Store) -> None:
        self.keys = store.idempotency

    def reserve(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        found = self.keys.get((record.owner, record.key))
        if found is None:
            self.keys[record.owner, record.key] = record
        return found

    def take_over(self, record: IdempotencyRecord, *, stale_before: datetime) -> bool:
        found = self.keys.get((record.owner, record.key))
        if found is None or found.state != "in_flight" or found.created_at >= stale_before:
            return False
        self.keys[record.owner, record.key] = replace(found, created_at=record.created_at)
        return True

    def complete(self, owner: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        found = self.keys[owner, key]
        self.keys[owner, key] = replace(
            found, state="done", status_code=status_code, response=_json(response)
        )

    def release(self, owner: str, key: str) -> None:
        if (found := self.keys.get((owner, key))) is not None and found.state == "in_flight":
            del self.keys[owner, key]

    def abandon(self, owner: str, key: str, *, stale_at: datetime) -> None:
        if (found := self.keys.get((owner, key))) is not None and found.state == "in_flight":
            self.keys[owner, key] = replace(found, created_at=stale_at)

    def purge(self, before: datetime) -> int:
        old = [k for k, r in self.keys.items() if r.created_at < before]
        for k in old:
            del self.keys[k]
        return len(old)


class FakeOptimisationRepository(OptimisationRepository):
    def __init__(self, store: Store) -> None:
        self.runs = store.optimisations

    def add(self, record: OptimisationRecord) -> None:
        if record.id in self.runs:
            raise ConcurrentUpdate(f"optimisation {record.id} already exists")
        self.runs[record.id] = _json_run(record)

    def get(self, id: str) -> OptimisationRecord | None:
        return self.runs.get(id)

    def page(
        self,
        *,
        owner: str | None = None,
        state: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> OptimisationPage:
        runs = sorted(self.runs.values(), key=lambda r: (r.created_at, r.id), reverse=True)
        runs = [
            r
            for r in runs
            if (owner is None or r.owner == owner)
            and (state is None or r.state == state)
            and (after is None or (r.created_at, r.id) < after)
        ]
        page = runs[:limit]
        cursor = (page[-1].created_at, page[-1].id) if len(runs) > limit else None
        return OptimisationPage(page, cursor)

    def unfinished(self, *, limit: int = 1000) -> list[OptimisationRecord]:
        runs = sorted(self.runs.values(), key=lambda r: (r.created_at, r.id))
        return [r for r in runs if r.state in UNFINISHED_OPTIMISATION_STATES][:limit]

    def _change(self, id: str, states: tuple[str, ...], **changes: Any) -> bool:
        found = self.runs.get(id)
        if found is None or found.state not in states:
            return False
        self.runs[id] = _json_run(replace(found, **changes))
        return True

    def start(self, id: str, at: datetime, progress: dict[str, Any]) -> bool:
        return self._change(id, ("queued",), state="running", started_at=at, progress=progress)

    def record_progress(self, id: str, progress: dict[str, Any]) -> bool:
        return self._change(id, UNFINISHED_OPTIMISATION_STATES, progress=progress)

    def finish(
        self,
        id: str,
        *,
        state: str,
        at: datetime,
        result: dict[str, Any] | None = None,
        error: str | None = None,
        progress: dict[str, Any] | None = None,
    ) -> bool:
        if state not in ("completed", "failed", "cancelled"):
            raise ValueError(f"a run finishes completed, failed or cancelled, not {state!r}")
        changes: dict[str, Any] = {"state": state, "finished_at": at, "result": result}
        changes["error"] = error
        if progress is not None:
            changes["progress"] = progress
        return self._change(id, UNFINISHED_OPTIMISATION_STATES, **changes)


def _json_run(record: OptimisationRecord) -> OptimisationRecord:
    return replace(
        record,
        request=_json(record.request),
        progress=_json(record.progress),
        result=_json(record.result),
    )


class FakeIngestedResultStore(IngestedResultStore):
    def __init__(self, store: Store) -> None:
        self.rows = store.ingested

    def add(self, record: IngestedResult) -> None:
        if record.id in self.rows:
            raise RuntimeError(f"ingested result {record.id} exists")  # a primary key
        self.rows[record.id] = replace(
            record, parameters=_json(record.parameters), result=_json(record.result)
        )

    def get(self, id: str) -> IngestedResult | None:
        return self.rows.get(id)

    def list(self, *, since: datetime | None = None, limit: int = 100_000) -> list[IngestedResult]:
        found = [r for r in self.rows.values() if since is None or r.received_at >= since]
        return sorted(found, key=lambda r: (r.received_at, r.id))[:limit]


class FakeYieldStore(YieldStore):
    def __init__(self, store: Store) -> None:
        self.rows = store.yields

    def add(self, record: YieldRecord) -> None:
        existing = self.by_key(*record.measurement.key)
        if existing is not None:
            raise DuplicateYield(existing)
        # as a JSON column gives it back
        stored = YieldMeasurement.model_validate(_json(record.measurement.model_dump(mode="json")))
        self.rows[record.id] = replace(record, measurement=stored)

    def get(self, id: str) -> YieldRecord | None:
        return self.rows.get(id)

    def by_key(self, lot_id: str, wafer_id: str, layer: str) -> YieldRecord | None:
        key = (lot_id, wafer_id, layer)
        return next((r for r in self.rows.values() if r.measurement.key == key), None)

    def page(
        self,
        *,
        lot_id: str | None = None,
        layer: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> YieldPage:
        found = [
            r
            for r in sorted(
                self.rows.values(), key=lambda r: (r.measurement.measured_at, r.id), reverse=True
            )
            if (lot_id is None or r.measurement.lot_id == lot_id)
            and (layer is None or r.measurement.layer == layer)
            and (after is None or (r.measurement.measured_at, r.id) < after)
        ]
        page = found[:limit]
        cursor = (page[-1].measurement.measured_at, page[-1].id) if len(found) > limit else None
        return YieldPage(page, cursor)


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
        self.cells = cells = FakeCellRepository(self.store)
        self.fabs = FakeFabRepository(self.store, cells)
        self.users = FakeUserRepository(self.store)
        self.model_versions = FakeModelVersionRecords(self.store)
        self.records = FakeRecordStore(self.store)
        self.idempotency = FakeIdempotencyStore(self.store)
        self.optimisations = FakeOptimisationRepository(self.store)
        self.ingested = FakeIngestedResultStore(self.store)
        self.yields = FakeYieldStore(self.store)

    def _commit(self) -> None:
        self.store.commits += 1
        self._snapshot = None

    def _rollback(self) -> None:
        if self._snapshot is not None:
            for name in vars(self.store):
                setattr(self.store, name, getattr(self._snapshot, name))
            self._snapshot = None


__all__ = ["FakeUnitOfWork", "Store"]
