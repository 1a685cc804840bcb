"""The repositories on SQLAlchemy Core, inside the unit of work's connection and transaction.

Aggregates carry the version of the row they were read from; an update names it
(``WHERE version = :read``) and a row another transaction changed meanwhile is
``ConcurrentUpdate``, never a lost update (a cancel racing a worker's start: one wins).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Connection,
    Integer,
    and_,
    case,
    cast,
    func,
    insert,
    literal_column,
    or_,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import ColumnElement

from lto.atlas.alerts import Alert
from lto.atlas.contracts import SIGNAL_NAMES
from lto.atlas.events import DomainEvent
from lto.atlas.lifecycle import FINAL_STATES, Job, JobState
from lto.capricorn.adapters import orm
from lto.capricorn.adapters.mapping import (
    alert_from_row,
    alert_row,
    change_rows,
    job_from_rows,
    job_row,
    utc,
)
from lto.capricorn.repositories import (
    PIPELINE_OUTCOMES,
    AlertPage,
    AlertRepository,
    AuditEntry,
    BufferRow,
    ConcurrentUpdate,
    DuplicateMessage,
    DurationHistogram,
    JobPage,
    JobRepository,
    OutboxRow,
    Outcome,
    PredictionPage,
    PredictionRecord,
    RecordStore,
    ResultRecord,
    ScoreBucket,
    ScoreSource,
)

_FINISHED = [s.value for s in (*FINAL_STATES, JobState.ANOMALY_FLAGGED)]


class SqlJobRepository(JobRepository):
    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self._db = connection
        self._stored: dict[str, tuple[dict[str, Any], int]] = {}  # row, state changes

    def _get(self, id: str) -> Job | None:
        row = self._db.execute(select(orm.jobs).where(orm.jobs.c.id == id)).first()
        return None if row is None else self._load([row])[0]

    def _load(self, rows: Sequence[Any]) -> list[Job]:
        ids = [r.id for r in rows]
        if not ids:
            return []
        changes: dict[str, list[Any]] = {i: [] for i in ids}
        for c in self._db.execute(
            select(orm.job_state_changes)
            .where(orm.job_state_changes.c.job_id.in_(ids))
            .order_by(orm.job_state_changes.c.job_id, orm.job_state_changes.c.seq)
        ):
            changes[c.job_id].append(c)
        results = {
            r.job_id: r.result
            for r in self._db.execute(
                select(orm.job_results.c.job_id, orm.job_results.c.result).where(
                    orm.job_results.c.job_id.in_(ids)
                )
            )
        }
        jobs = []
        for row in rows:
            job = job_from_rows(row, changes[row.id], results.get(row.id))
            self._stored[job.id] = (job_row(job), len(job.history))
            jobs.append(self.seen.setdefault(job.id, job))
        return jobs

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
        t = orm.jobs
        query = select(t)
        if state is not None:
            query = query.where(t.c.state == state.value)
        if submitted_by is not None:
            query = query.where(t.c.submitted_by == submitted_by)
        if since is not None:
            query = query.where(t.c.submitted_at >= since)
        if until is not None:
            query = query.where(t.c.submitted_at < until)
        if after is not None:
            at, last = after
            query = query.where(
                or_(t.c.submitted_at < at, and_(t.c.submitted_at == at, t.c.id < last))
            )
        rows = self._db.execute(
            query.order_by(t.c.submitted_at.desc(), t.c.id.desc()).limit(limit + 1)
        ).all()
        jobs = self._load(rows[:limit])
        more = len(rows) > limit
        cursor = (utc(rows[limit - 1].submitted_at), rows[limit - 1].id) if more else None
        return JobPage(jobs, cursor)

    def count_by_state(self) -> dict[str, int]:
        t = orm.jobs
        query = select(t.c.state, func.count()).group_by(t.c.state)
        return {str(state): int(count) for state, count in self._db.execute(query).all()}

    def count_unfinished(self, submitted_by: str, *, at_most: int | None = None) -> int:
        t = orm.jobs
        rows = select(t.c.id).where(t.c.submitted_by == submitted_by, t.c.state.not_in(_FINISHED))
        if at_most is not None:  # a quota check needs to count only so far
            rows = rows.limit(at_most)
        query = select(func.count()).select_from(rows.subquery())
        return int(self._db.execute(query).scalar_one())

    def finished_since(self, since: datetime) -> int:
        t = orm.jobs
        query = select(func.count()).where(t.c.state.in_(_FINISHED), t.c.updated_at >= since)
        return int(self._db.execute(query).scalar_one())

    def in_states(self, states: Sequence[JobState], *, limit: int = 1000) -> list[Job]:
        t = orm.jobs
        rows = self._db.execute(
            select(t)
            .where(t.c.state.in_([s.value for s in states]))
            .order_by(t.c.submitted_at, t.c.id)
            .limit(limit)
        ).all()
        return self._load(rows)

    def durations(self, bounds: Sequence[float]) -> DurationHistogram:
        changes, jobs = orm.job_state_changes, orm.jobs
        seconds = _seconds_between(jobs.c.submitted_at, changes.c.at, self._db.dialect.name)
        inner = (
            select(seconds.label("s"))
            .select_from(changes.join(jobs, jobs.c.id == changes.c.job_id))
            .where(changes.c.state.in_([s.value for s in PIPELINE_OUTCOMES]))
            .subquery()
        )
        s = inner.c.s
        row = self._db.execute(
            select(
                func.count(),
                func.coalesce(func.sum(s), 0.0),
                *(func.coalesce(func.sum(case((s <= float(b), 1), else_=0)), 0) for b in bounds),
            )
        ).one()
        return DurationHistogram(
            tuple(float(b) for b in bounds),
            tuple(int(n) for n in row[2:]),
            int(row[0]),
            float(row[1]),
        )

    def flush(self) -> None:
        for job in self.seen.values():
            row = job_row(job)
            stored = self._stored.get(job.id)
            if stored is None:
                self._db.execute(insert(orm.jobs).values(**row, version=1))
                self._db.execute(insert(orm.job_state_changes), change_rows(job))
                job.version = 1
            else:
                old_row, old_changes = stored
                if changed := {k: v for k, v in row.items() if old_row.get(k) != v}:
                    self._update(job, changed)
                if len(job.history) > old_changes:
                    self._db.execute(insert(orm.job_state_changes), change_rows(job, old_changes))
            self._stored[job.id] = (row, len(job.history))

    def _update(self, job: Job, changed: dict[str, Any]) -> None:
        """Only the changed columns: a state change should not resend the parameters and the
        prediction (JSON documents) every time."""
        t = orm.jobs
        done = self._db.execute(
            update(t)
            .where(t.c.id == job.id, t.c.version == job.version)
            .values(**changed, version=job.version + 1)
        )
        if done.rowcount != 1:
            raise ConcurrentUpdate(
                f"job {job.id} was changed by another transaction since it was read"
            )
        job.version += 1


class SqlAlertRepository(AlertRepository):
    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self._db = connection
        self._stored: dict[str, dict[str, Any]] = {}

    def _get(self, id: str) -> Alert | None:
        row = self._db.execute(select(orm.alerts).where(orm.alerts.c.id == id)).first()
        return None if row is None else self._load([row])[0]

    def _load(self, rows: Sequence[Any]) -> list[Alert]:
        alerts = []
        for row in rows:
            alert = alert_from_row(row)
            self._stored[alert.id] = alert_row(alert)
            alerts.append(self.seen.setdefault(alert.id, alert))
        return alerts

    def _query(self, *conditions: Any, limit: int) -> list[Alert]:
        t = orm.alerts
        rows = self._db.execute(
            select(t).where(*conditions).order_by(t.c.fired_at.desc(), t.c.id.desc()).limit(limit)
        ).all()
        return self._load(rows)

    def active(self, *, limit: int = 100) -> list[Alert]:
        return self._query(orm.alerts.c.acknowledged_at.is_(None), limit=limit)

    def history(self, *, limit: int = 100) -> list[Alert]:
        return self._query(limit=limit)

    def page(
        self,
        *,
        active: bool | None = None,
        severity: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> AlertPage:
        t = orm.alerts
        conditions: list[Any] = []
        if active is not None:
            acknowledged = t.c.acknowledged_at
            conditions.append(acknowledged.is_(None) if active else acknowledged.is_not(None))
        if severity is not None:
            conditions.append(t.c.severity == severity)
        if after is not None:
            at, last = after
            conditions.append(or_(t.c.fired_at < at, and_(t.c.fired_at == at, t.c.id < last)))
        rows = self._db.execute(
            select(t)
            .where(*conditions)
            .order_by(t.c.fired_at.desc(), t.c.id.desc())
            .limit(limit + 1)
        ).all()
        alerts = self._load(rows[:limit])
        more = len(rows) > limit
        cursor = (utc(rows[limit - 1].fired_at), rows[limit - 1].id) if more else None
        return AlertPage(alerts, cursor)

    def active_from(self, source: str) -> list[Alert]:
        t = orm.alerts
        return self._query(t.c.acknowledged_at.is_(None), t.c.source == source, limit=1000)

    def changed_since(self, since: datetime, *, limit: int = 500) -> list[Alert]:
        t = orm.alerts
        rows = self._db.execute(
            select(t)
            .where(or_(t.c.fired_at >= since, t.c.acknowledged_at >= since))
            .order_by(t.c.fired_at, t.c.id)
            .limit(limit)
        ).all()
        return self._load(rows)

    def count_by_severity(self, *, active: bool | None = None) -> dict[str, int]:
        t = orm.alerts
        query = select(t.c.severity, func.count()).group_by(t.c.severity)
        if active is not None:
            acknowledged = t.c.acknowledged_at
            query = query.where(acknowledged.is_(None) if active else acknowledged.is_not(None))
        return {str(severity): int(n) for severity, n in self._db.execute(query).all()}

    def flush(self) -> None:
        t = orm.alerts
        for alert in self.seen.values():
            row = alert_row(alert)
            stored = self._stored.get(alert.id)
            if stored is None:
                self._db.execute(insert(t).values(**row, version=1))
                alert.version = 1
            elif row != stored:
                done = self._db.execute(
                    update(t)
                    .where(t.c.id == alert.id, t.c.version == alert.version)
                    .values(**row, version=alert.version + 1)
                )
                if done.rowcount != 1:
                    raise ConcurrentUpdate(f"alert {alert.id} was changed by another transaction")
                alert.version += 1
            self._stored[alert.id] = row


class SqlRecordStore(RecordStore):
    """Writes wait for ``flush`` (the unit of work's commit, after the aggregates they refer
    to are stored); reads see the database as it is."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection
        self._locks = connection.dialect.name == "postgresql"
        self._pending: list[Callable[[], object]] = []

    def _later(self, write: Callable[[], object]) -> None:
        self._pending.append(write)

    def flush(self) -> None:
        pending, self._pending = self._pending, []
        for write in pending:
            write()

    # predictions
    def add_prediction(self, record: PredictionRecord) -> None:
        self._later(
            lambda: self._db.execute(insert(orm.tradeoff_predictions).values(**vars(record)))
        )

    def predictions(
        self, *, job_id: str | None = None, since: datetime | None = None, limit: int = 1000
    ) -> list[PredictionRecord]:
        t = orm.tradeoff_predictions
        query = select(t)
        if job_id is not None:
            query = query.where(t.c.job_id == job_id)
        if since is not None:
            query = query.where(t.c.created_at >= since)
        rows = self._db.execute(
            query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit)
        ).all()
        return [_prediction_record(r) for r in rows]

    def prediction_page(
        self,
        *,
        submitted_by: str | None = None,
        standalone: bool = True,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> PredictionPage:
        t = orm.tradeoff_predictions
        query = select(t)
        if standalone:
            query = query.where(t.c.job_id.is_(None))
        if submitted_by is not None:
            query = query.where(t.c.parameters["submitted_by"].as_string() == submitted_by)
        if after is not None:
            at, last = after
            query = query.where(or_(t.c.created_at < at, and_(t.c.created_at == at, t.c.id < last)))
        rows = self._db.execute(
            query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit + 1)
        ).all()
        more = len(rows) > limit
        cursor = (utc(rows[limit - 1].created_at), rows[limit - 1].id) if more else None
        return PredictionPage([_prediction_record(r) for r in rows[:limit]], cursor)

    def score_means(
        self, source: ScoreSource, *, since: datetime, until: datetime, bucket_s: int
    ) -> list[ScoreBucket]:
        if source == "predictions":
            t = orm.tradeoff_predictions
            at = t.c.created_at
            scores = [t.c.prediction[("scores", name, "mean")].as_float() for name in SIGNAL_NAMES]
        else:
            t = orm.job_results
            at = t.c.created_at
            scores = [t.c.signals[name].as_float() for name in SIGNAL_NAMES]
        width = int(bucket_s)
        bucket: ColumnElement[Any]
        if self._db.dialect.name == "postgresql":
            bucket = func.floor(func.extract("epoch", at) / literal_column(str(width)))
        else:  # SQLite keeps UTC times as text: strftime('%s') reads them as seconds
            bucket = cast(func.strftime("%s", at), Integer) // literal_column(str(width), Integer)
        query = (
            select(
                bucket.label("bucket"),
                func.count(scores[0]).label("n"),
                *(
                    func.avg(score).label(name)
                    for score, name in zip(scores, SIGNAL_NAMES, strict=True)
                ),
            )
            .where(at >= since, at < until)
            .group_by(literal_column("bucket"))
            .order_by(literal_column("bucket"))
        )
        found = []
        for row in self._db.execute(query):
            if not row.n:
                continue
            start = datetime.fromtimestamp(int(row.bucket) * width, UTC)
            means: dict[str, float] = {name: float(getattr(row, name)) for name in SIGNAL_NAMES}
            found.append(ScoreBucket(start, int(row.n), means))
        return found

    def outcomes(
        self, *, since: datetime, until: datetime | None = None, limit: int = 10_000
    ) -> list[Outcome]:
        r, j = orm.job_results, orm.jobs
        query = (
            select(
                j.c.id,
                r.c.created_at,
                j.c.prediction["model_version"].as_string().label("model_version"),
                j.c.evaluation,
            )
            .select_from(r.join(j, r.c.job_id == j.c.id))
            .where(r.c.created_at >= since)
        )
        if until is not None:
            query = query.where(r.c.created_at < until)
        rows = self._db.execute(
            query.order_by(r.c.created_at.desc(), j.c.id.desc()).limit(limit)
        ).all()
        return [
            Outcome(row.id, utc(row.created_at), row.model_version, row.evaluation)
            for row in rows
            if isinstance(row.evaluation, dict)
        ]

    def latest_signals(self, *, limit: int = 100) -> list[dict[str, float]]:
        t = orm.job_results
        rows = self._db.execute(
            select(t.c.signals).order_by(t.c.created_at.desc(), t.c.job_id.desc()).limit(limit)
        ).all()
        return [
            {name: float(value) for name, value in row.signals.items()}
            for row in rows
            if isinstance(row.signals, dict)
        ]

    # results
    def add_result(self, record: ResultRecord) -> None:
        self._later(lambda: self._insert_result(record))

    def _insert_result(self, record: ResultRecord) -> None:
        result = record.result
        self._db.execute(
            insert(orm.job_results).values(
                job_id=record.job_id,
                created_at=record.created_at,
                simulator=record.simulator,
                cd_nm=result.get("cd_nm"),
                depth_of_focus_nm=result.get("depth_of_focus_nm"),
                exposure_latitude_pct=result.get("exposure_latitude_pct"),
                nils=result.get("nils"),
                signals=result.get("signals"),
                result=result,
                artifacts=record.artifacts,
            )
        )

    def result(self, job_id: str) -> ResultRecord | None:
        t = orm.job_results
        r = self._db.execute(select(t).where(t.c.job_id == job_id)).first()
        if r is None:
            return None
        return ResultRecord(r.job_id, utc(r.created_at), r.simulator, r.result, r.artifacts)

    # audit
    def add_audit(self, entries: Sequence[AuditEntry]) -> None:
        rows = [vars(e) for e in entries]
        if rows:
            self._later(lambda: self._db.execute(insert(orm.audit_log), rows))

    def audit(self, entity_type: str, entity_id: str) -> list[AuditEntry]:
        t = orm.audit_log
        rows = self._db.execute(
            select(t)
            .where(t.c.entity_type == entity_type, t.c.entity_id == entity_id)
            .order_by(t.c.id)
        )
        return [
            AuditEntry(
                utc(r.at),
                r.actor,
                r.action,
                r.entity_type,
                r.entity_id,
                r.event_id,
                r.detail,
            )
            for r in rows
        ]

    # outbox
    def add_to_outbox(self, events: Sequence[DomainEvent]) -> None:
        if events:
            rows = [
                {
                    "event_id": e.event_id,
                    "name": e.name,
                    "payload": e.to_payload(),
                    "created_at": e.occurred_at,
                    "attempts": 0,
                }
                for e in events
            ]
            self._later(lambda: self._db.execute(insert(orm.outbox), rows))

    def unsent(self, *, limit: int = 100) -> list[OutboxRow]:
        t = orm.outbox
        query = select(t).where(t.c.sent_at.is_(None)).order_by(t.c.id).limit(limit)
        if self._locks:
            query = query.with_for_update(skip_locked=True)
        return [
            OutboxRow(r.id, r.event_id, r.name, r.payload, r.attempts)
            for r in self._db.execute(query)
        ]

    def mark_sent(self, ids: Sequence[int], at: datetime) -> None:
        t = orm.outbox
        self._db.execute(
            update(t).where(t.c.id.in_(ids)).values(sent_at=at, attempts=t.c.attempts + 1)
        )

    def mark_attempt_failed(self, ids: Sequence[int], error: str) -> None:
        t = orm.outbox
        self._db.execute(
            update(t)
            .where(t.c.id.in_(ids))
            .values(attempts=t.c.attempts + 1, last_error=error[:2000])
        )

    def outbox_backlog(self) -> int:
        t = orm.outbox
        return int(self._db.execute(select(func.count()).where(t.c.sent_at.is_(None))).scalar_one())

    # idempotent consumers
    def was_processed(self, consumer: str, message_id: str) -> bool:
        t = orm.processed_messages
        found = self._db.execute(
            select(t.c.message_id).where(t.c.consumer == consumer, t.c.message_id == message_id)
        ).first()
        return found is not None

    def mark_processed(self, consumer: str, message_id: str, at: datetime) -> None:
        self._later(lambda: self._insert_processed(consumer, message_id, at))

    def _insert_processed(self, consumer: str, message_id: str, at: datetime) -> None:
        try:
            with self._db.begin_nested():
                self._db.execute(
                    insert(orm.processed_messages).values(
                        consumer=consumer, message_id=message_id, processed_at=at
                    )
                )
        except IntegrityError as exc:
            raise DuplicateMessage(f"{consumer} already processed {message_id}") from exc

    # training buffer
    def add_to_buffer(self, row: BufferRow) -> None:
        self._later(lambda: self._db.execute(insert(orm.training_buffer).values(**vars(row))))

    def buffer(self, *, since: datetime | None = None, limit: int = 100_000) -> list[BufferRow]:
        t = orm.training_buffer
        query = select(t)
        if since is not None:
            query = query.where(t.c.created_at >= since)
        rows = self._db.execute(query.order_by(t.c.created_at, t.c.job_id).limit(limit))
        return [BufferRow(r.job_id, utc(r.created_at), r.model_version, r.row) for r in rows]


def _prediction_record(r: Any) -> PredictionRecord:
    return PredictionRecord(
        id=r.id,
        created_at=utc(r.created_at),
        model_version=r.model_version,
        parameters=r.parameters,
        prediction=r.prediction,
        recommend_physics=r.recommend_physics,
        job_id=r.job_id,
    )


def _seconds_between(start: Any, end: Any, dialect: str) -> ColumnElement[Any]:
    """``end - start`` in seconds, in SQL: PostgreSQL subtracts timestamps; SQLite keeps UTC
    times as text, which julianday() reads (to about 50 µs)."""
    if dialect == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


__all__ = ["SqlAlertRepository", "SqlJobRepository", "SqlRecordStore"]
