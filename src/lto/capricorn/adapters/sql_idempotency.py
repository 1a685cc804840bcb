"""Idempotency keys on SQLAlchemy: the primary key (owner, key) is the lock, so of two
requests racing with one key exactly one inserts its row and runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from lto.capricorn.adapters import orm
from lto.capricorn.adapters.mapping import utc
from lto.capricorn.repositories import IdempotencyRecord, IdempotencyStore


def _record(row: Any) -> IdempotencyRecord:
    return IdempotencyRecord(
        owner=row.owner,
        key=row.key,
        method=row.method,
        path=row.path,
        request_hash=row.request_hash,
        state=row.state,
        created_at=utc(row.created_at),
        resource_id=row.resource_id,
        status_code=row.status_code,
        response=row.response,
    )


class SqlIdempotencyStore(IdempotencyStore):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def reserve(self, record: IdempotencyRecord) -> IdempotencyRecord | None:
        t = orm.idempotency_keys
        try:
            with self._db.begin_nested():
                self._db.execute(insert(t).values(**vars(record)))
            return None
        except IntegrityError:
            row = self._db.execute(
                select(t).where(t.c.owner == record.owner, t.c.key == record.key)
            ).first()
            if row is None:  # purged between the two statements: the caller may try again
                raise
            return _record(row)

    def take_over(self, record: IdempotencyRecord, *, stale_before: datetime) -> bool:
        t = orm.idempotency_keys
        done = self._db.execute(
            update(t)
            .where(
                t.c.owner == record.owner,
                t.c.key == record.key,
                t.c.state == "in_flight",
                t.c.created_at < stale_before,
            )
            .values(created_at=record.created_at)
        )
        return done.rowcount == 1

    def complete(self, owner: str, key: str, status_code: int, response: dict[str, Any]) -> None:
        t = orm.idempotency_keys
        self._db.execute(
            update(t)
            .where(t.c.owner == owner, t.c.key == key)
            .values(state="done", status_code=status_code, response=response)
        )

    def release(self, owner: str, key: str) -> None:
        t = orm.idempotency_keys
        self._db.execute(
            delete(t).where(t.c.owner == owner, t.c.key == key, t.c.state == "in_flight")
        )

    def abandon(self, owner: str, key: str, *, stale_at: datetime) -> None:
        t = orm.idempotency_keys
        self._db.execute(
            update(t)
            .where(t.c.owner == owner, t.c.key == key, t.c.state == "in_flight")
            .values(created_at=stale_at)
        )

    def purge(self, before: datetime) -> int:
        t = orm.idempotency_keys
        return int(self._db.execute(delete(t).where(t.c.created_at < before)).rowcount)


__all__ = ["SqlIdempotencyStore"]
