"""Optimisation runs on SQLAlchemy: plain rows written at once in the unit of work's
transaction; every state change is a conditional UPDATE (``WHERE state IN (...)``), so of two
racing changes exactly one lands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update

from lto.capricorn.adapters import orm
from lto.capricorn.adapters.mapping import utc
from lto.capricorn.repositories import (
    FINISHED_OPTIMISATION_STATES,
    UNFINISHED_OPTIMISATION_STATES,
    OptimisationPage,
    OptimisationRecord,
    OptimisationRepository,
)


def _record(row: Any) -> OptimisationRecord:
    return OptimisationRecord(
        id=row.id,
        owner=row.owner,
        state=row.state,
        created_at=utc(row.created_at),
        request=row.request,
        started_at=utc(row.started_at),
        finished_at=utc(row.finished_at),
        progress=row.progress,
        result=row.result,
        error=row.error,
    )


class SqlOptimisationRepository(OptimisationRepository):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def add(self, record: OptimisationRecord) -> None:
        self._db.execute(insert(orm.optimisations).values(**vars(record)))

    def get(self, id: str) -> OptimisationRecord | None:
        t = orm.optimisations
        row = self._db.execute(select(t).where(t.c.id == id)).first()
        return None if row is None else _record(row)

    def page(
        self,
        *,
        owner: str | None = None,
        state: str | None = None,
        after: tuple[datetime, str] | None = None,
        limit: int = 50,
    ) -> OptimisationPage:
        t = orm.optimisations
        query = select(t)
        if owner is not None:
            query = query.where(t.c.owner == owner)
        if state is not None:
            query = query.where(t.c.state == state)
        if after is not None:
            at, last = after
            query = query.where(or_(t.c.created_at < at, and_(t.c.created_at == at, t.c.id < last)))
        rows = self._db.execute(
            query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit + 1)
        ).all()
        runs = [_record(row) for row in rows[:limit]]
        cursor = (runs[-1].created_at, runs[-1].id) if len(rows) > limit else None
        return OptimisationPage(runs, cursor)

    def unfinished(self, *, limit: int = 1000) -> list[OptimisationRecord]:
        t = orm.optimisations
        rows = self._db.execute(
            select(t)
            .where(t.c.state.in_(UNFINISHED_OPTIMISATION_STATES))
            .order_by(t.c.created_at, t.c.id)
            .limit(limit)
        ).all()
        return [_record(row) for row in rows]

    def start(self, id: str, at: datetime, progress: dict[str, Any]) -> bool:
        t = orm.optimisations
        done = self._db.execute(
            update(t)
            .where(t.c.id == id, t.c.state == "queued")
            .values(state="running", started_at=at, progress=progress)
        )
        return done.rowcount == 1

    def record_progress(self, id: str, progress: dict[str, Any]) -> bool:
        t = orm.optimisations
        done = self._db.execute(
            update(t)
            .where(t.c.id == id, t.c.state.in_(UNFINISHED_OPTIMISATION_STATES))
            .values(progress=progress)
        )
        return done.rowcount == 1

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
        if state not in FINISHED_OPTIMISATION_STATES:
            raise ValueError(f"a run finishes completed, failed or cancelled, not {state!r}")
        t = orm.optimisations
        values: dict[str, Any] = {
            "state": state,
            "finished_at": at,
            "result": result,
            "error": error,
        }
        if progress is not None:
            values["progress"] = progress
        done = self._db.execute(
            update(t)
            .where(t.c.id == id, t.c.state.in_(UNFINISHED_OPTIMISATION_STATES))
            .values(**values)
        )
        return done.rowcount == 1


__all__ = ["SqlOptimisationRepository"]
