"""Ingested data on SQLAlchemy: simulation results run elsewhere and wafer yield records.

Both write at once inside the unit of work's transaction. The unique (lot, wafer, layer) of
``yield_records`` is the database's to guard: an insert it refuses (a savepoint keeps the
transaction usable) becomes ``DuplicateYield`` with the record that was there first. Times are
stored in UTC (SQLite keeps no offset), so a measurement sent with +02:00 sorts where it belongs.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select
from sqlalchemy.exc import IntegrityError

from lto.atlas.yield_data import YieldMeasurement
from lto.capricorn.adapters import orm
from lto.capricorn.adapters.mapping import utc
from lto.capricorn.repositories import (
    DuplicateYield,
    IngestedResult,
    IngestedResultStore,
    YieldPage,
    YieldRecord,
    YieldStore,
)


def _ingested(row: Any) -> IngestedResult:
    return IngestedResult(
        id=row.id,
        received_at=utc(row.received_at),
        source=row.source,
        submitted_by=row.submitted_by,
        parameters=row.parameters,
        result=row.result,
    )


class SqlIngestedResultStore(IngestedResultStore):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, record: IngestedResult) -> None:
        values = vars(record) | {"received_at": record.received_at.astimezone(UTC)}
        self._db.execute(insert(orm.ingested_results).values(**values))

    def get(self, id: str) -> IngestedResult | None:
        t = orm.ingested_results
        row = self._db.execute(select(t).where(t.c.id == id)).first()
        return None if row is None else _ingested(row)

    def list(self, *, since: datetime | None = None, limit: int = 100_000) -> list[IngestedResult]:
        t = orm.ingested_results
        query = select(t)
        if since is not None:
            query = query.where(t.c.received_at >= since.astimezone(UTC))
        rows = self._db.execute(query.order_by(t.c.received_at, t.c.id).limit(limit))
        return [_ingested(r) for r in rows]


def _yield(row: Any) -> YieldRecord:
    return YieldRecord(
        id=row.id,
        received_at=utc(row.received_at),
        submitted_by=row.submitted_by,
        measurement=YieldMeasurement.model_validate(row.record),
    )


class SqlYieldStore(YieldStore):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, record: YieldRecord) -> None:
        m = record.measurement
        try:
            with self._db.begin_nested():
                self._db.execute(
                    insert(orm.yield_records).values(
                        id=record.id,
                        received_at=record.received_at.astimezone(UTC),
                        measured_at=m.measured_at.astimezone(UTC),
                        lot_id=m.lot_id,
                        wafer_id=m.wafer_id,
                        layer=m.layer,
                        yield_fraction=m.yield_fraction,
                        record=m.model_dump(mode="json"),
                        job_id=m.job_id,
                        cell_id=m.cell_id,
                        submitted_by=record.submitted_by,
                    )
                )
        except IntegrityError:
            existing = self.by_key(*m.key)
            if existing is None:  # not the unique key after all (an id collision): a fault
                raise
            raise DuplicateYield(existing) from None

    def get(self, id: str) -> YieldRecord | None:
        t = orm.yield_records
        row = self._db.execute(select(t).where(t.c.id == id)).first()
        return None if row is None else _yield(row)

    def by_key(self, lot_id: str, wafer_id: str, layer: str) -> YieldRecord | None:
        t = orm.yield_records
        row = self._db.execute(
            select(t).where(t.c.lot_id == lot_id, t.c.wafer_id == wafer_id, t.c.layer == layer)
        ).first()
        return None if row is None else _yield(row)

    def page(
        self,
        *,
        lot_id: str | None = None,
        layer: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> YieldPage:
        t = orm.yield_records
        query = select(t)
        if lot_id is not None:
            query = query.where(t.c.lot_id == lot_id)
        if layer is not None:
            query = query.where(t.c.layer == layer)
        if after is not None:
            at, last = after[0].astimezone(UTC), after[1]
            query = query.where(
                or_(t.c.measured_at < at, and_(t.c.measured_at == at, t.c.id < last))
            )
        rows = self._db.execute(
            query.order_by(t.c.measured_at.desc(), t.c.id.desc()).limit(limit + 1)
        ).all()
        more = len(rows) > limit
        cursor = (utc(rows[limit - 1].measured_at), rows[limit - 1].id) if more else None
        return YieldPage([_yield(r) for r in rows[:limit]], cursor)


__all__ = ["SqlIngestedResultStore", "SqlYieldStore"]
