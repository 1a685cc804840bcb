"""The catalog's repositories on SQLAlchemy Core: litho cells, fabs, users with their API keys,
and model versions, inside the unit of work's connection and transaction.

Cells and fabs are versioned as jobs are (``WHERE version = :read``; a stale copy is
``ConcurrentUpdate``). A cell's ``fab_id`` belongs to its fab: the cell repository never writes
it, the fab repository writes nothing else of the cell. Users are not versioned; their unique
name is the database's to guard, and its refusal becomes ``DuplicateName``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection, and_, insert, or_, select, update
from sqlalchemy.exc import IntegrityError

from lto.atlas.cell import LithoCell
from lto.atlas.errors import InvariantViolated
from lto.atlas.fab import Fab
from lto.atlas.users import ApiKey, User
from lto.capricorn.adapters import orm
from lto.capricorn.adapters.cell_mapping import cell_from_row, cell_row, fab_from_row, fab_row
from lto.capricorn.adapters.mapping import utc
from lto.capricorn.repositories import (
    CellRepository,
    ConcurrentUpdate,
    DuplicateName,
    FabRepository,
    ModelVersionRecord,
    ModelVersionRecords,
    UserRepository,
)


class SqlCellRepository(CellRepository):
    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self._db = connection
        self._stored: dict[str, dict[str, Any]] = {}

    def _get(self, id: str) -> LithoCell | None:
        t = orm.litho_cells
        row = self._db.execute(select(t).where(t.c.id == id)).first()
        return None if row is None else self._load([row])[0]

    def _load(self, rows: Sequence[Any]) -> list[LithoCell]:
        cells = []
        for row in rows:
            cell = cell_from_row(row)
            self._stored[cell.id] = cell_row(cell)
            cells.append(self.seen.setdefault(cell.id, cell))
        return cells

    def list(self) -> list[LithoCell]:
        t = orm.litho_cells
        return self._load(self._db.execute(select(t).order_by(t.c.name, t.c.id)).all())

    def flush(self) -> None:
        t = orm.litho_cells
        for cell in self.seen.values():
            row = cell_row(cell)
            stored = self._stored.get(cell.id)
            if stored is None:
                self._db.execute(insert(t).values(**row, version=1))
                cell.version = 1
            elif row != stored:
                done = self._db.execute(
                    update(t)
                    .where(t.c.id == cell.id, t.c.version == cell.version)
                    .values(**row, version=cell.version + 1)
                )
                if done.rowcount != 1:
                    raise ConcurrentUpdate(
                        f"cell {cell.id} was changed by another transaction since it was read"
                    )
                cell.version += 1
            self._stored[cell.id] = row


class SqlFabRepository(FabRepository):
    def __init__(self, connection: Connection, cells: SqlCellRepository) -> None:
        super().__init__(cells)
        self._db = connection
        self._cells = cells
        self._stored: dict[str, tuple[dict[str, Any], frozenset[str]]] = {}  # row, cell ids

    def _get(self, id: str) -> Fab | None:
        row = self._db.execute(select(orm.fabs).where(orm.fabs.c.id == id)).first()
        if row is None:
            return None
        t = orm.litho_cells
        cells = self._cells._load(
            self._db.execute(select(t).where(t.c.fab_id == id).order_by(t.c.id)).all()
        )
        fab = fab_from_row(row, cells)
        self._stored[fab.id] = (fab_row(fab), frozenset(c.id for c in cells))
        return fab

    def flush(self) -> None:
        self.adopt_cells()
        self._cells.flush()  # a new cell's row must exist before its fab claims it
        t = orm.fabs
        for fab in self.seen.values():
            row, members = fab_row(fab), frozenset(c.id for c in fab.cells)
            stored = self._stored.get(fab.id)
            if stored is None:
                self._db.execute(insert(t).values(**row, version=1))
                fab.version, before = 1, frozenset[str]()
            elif (row, members) != stored:
                done = self._db.execute(
                    update(t)
                    .where(t.c.id == fab.id, t.c.version == fab.version)
                    .values(**row, version=fab.version + 1)
                )
                if done.rowcount != 1:
                    raise ConcurrentUpdate(
                        f"fab {fab.id} was changed by another transaction since it was read"
                    )
                fab.version, before = fab.version + 1, stored[1]
            else:
                continue
            self._claim(fab, members - before, before - members)
            self._stored[fab.id] = (row, members)

    def _claim(self, fab: Fab, added: frozenset[str], removed: frozenset[str]) -> None:
        t = orm.litho_cells
        if added:
            done = self._db.execute(
                update(t)
                .where(t.c.id.in_(added), or_(t.c.fab_id.is_(None), t.c.fab_id == fab.id))
                .values(fab_id=fab.id)
            )
            if done.rowcount != len(added):
                taken = self._db.execute(
                    select(t.c.id, t.c.fab_id).where(t.c.id.in_(added), t.c.fab_id != fab.id)
                ).all()
                names = ", ".join(f"{r.id} (fab {r.fab_id})" for r in taken)
                raise InvariantViolated(
                    f"a litho cell belongs to one fab at most; {names} cannot join {fab.id}"
                )
        if removed:
            self._db.execute(
                update(t).where(t.c.id.in_(removed), t.c.fab_id == fab.id).values(fab_id=None)
            )


def _user_row(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "name": user.name,
        "email": user.email,
        "role": user.role,
        "created_at": user.created_at,
        "disabled": user.disabled,
        "password_hash": user.password_hash,
    }


def _key_row(key: ApiKey) -> dict[str, Any]:
    return {
        "id": key.id,
        "user_id": key.user_id,
        "prefix": key.prefix,
        "key_hash": key.key_hash,
        "scopes": list(key.scopes),
        "created_at": key.created_at,
        "last_used_at": key.last_used_at,
        "revoked_at": key.revoked_at,
    }


def _key_from_row(row: Any) -> ApiKey:
    return ApiKey(
        id=row.id,
        user_id=row.user_id,
        prefix=row.prefix,
        key_hash=row.key_hash,
        scopes=tuple(row.scopes),
        created_at=utc(row.created_at),
        last_used_at=utc(row.last_used_at),
        revoked_at=utc(row.revoked_at),
    )


class SqlUserRepository(UserRepository):
    def __init__(self, connection: Connection) -> None:
        super().__init__()
        self._db = connection
        self._stored: dict[str, tuple[dict[str, Any], dict[str, dict[str, Any]]]] = {}

    def _get(self, id: str) -> User | None:
        return self._one(orm.users.c.id == id)

    def _one(self, condition: Any) -> User | None:
        row = self._db.execute(select(orm.users).where(condition)).first()
        return None if row is None else self._load([row])[0]

    def _load(self, rows: Sequence[Any]) -> list[User]:
        if not rows:
            return []
        k = orm.api_keys
        keys: dict[str, list[ApiKey]] = {r.id: [] for r in rows}
        for row in self._db.execute(
            select(k).where(k.c.user_id.in_(keys)).order_by(k.c.created_at, k.c.id)
        ):
            keys[row.user_id].append(_key_from_row(row))
        users = []
        for row in rows:
            if row.id in self.seen:  # what this unit of work holds wins over the database
                users.append(self.seen[row.id])
                continue
            user = User(
                id=row.id,
                name=row.name,
                email=row.email,
                role=row.role,
                created_at=utc(row.created_at),
                disabled=row.disabled,
                keys=keys[row.id],
                password_hash=row.password_hash,
            )
            self._stored[user.id] = (_user_row(user), {k.id: _key_row(k) for k in user.keys})
            users.append(self.seen.setdefault(user.id, user))
        return users

    def by_name(self, name: str) -> User | None:
        return self._one(orm.users.c.name == name)

    def key_by_hash(self, key_hash: str) -> ApiKey | None:
        k = orm.api_keys
        user_id = self._db.execute(select(k.c.user_id).where(k.c.key_hash == key_hash)).scalar()
        user = None if user_id is None else self.get(user_id)
        if user is None:
            return None
        return next((key for key in user.keys if key.key_hash == key_hash), None)

    def list(self) -> list[User]:
        t = orm.users
        return self._load(self._db.execute(select(t).order_by(t.c.name)).all())

    def flush(self) -> None:
        t, k = orm.users, orm.api_keys
        for user in self.seen.values():
            row, keys = _user_row(user), {key.id: _key_row(key) for key in user.keys}
            old_row, old_keys = self._stored.get(user.id, (None, {}))
            if row != old_row:
                try:
                    if old_row is None:
                        self._db.execute(insert(t).values(**row))
                    else:
                        self._db.execute(update(t).where(t.c.id == user.id).values(**row))
                except IntegrityError as exc:
                    raise DuplicateName(f"a user named {user.name!r} already exists") from exc
            new = [key for id, key in keys.items() if id not in old_keys]
            if new:
                self._db.execute(insert(k), new)
            for id, key in keys.items():
                if id in old_keys and key != old_keys[id]:
                    self._db.execute(update(k).where(k.c.id == id).values(**key))
            self._stored[user.id] = (row, keys)


def _record_from_row(row: Any) -> ModelVersionRecord:
    return ModelVersionRecord(
        name=row.name,
        version=row.version,
        status=row.status,
        aliases=tuple(row.aliases),
        metrics=dict(row.metrics),
        source=row.source,
        created_at=utc(row.created_at),
    )


class SqlModelVersionRecords(ModelVersionRecords):
    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def upsert(self, record: ModelVersionRecord) -> ModelVersionRecord:
        t = orm.model_versions
        # the model's rows, locked on PostgreSQL so two upserts of one model take turns
        rows = self._db.execute(
            select(t).where(t.c.name == record.name).order_by(t.c.version).with_for_update()
        ).all()
        taken = set(record.aliases)
        stored = None
        for row in rows:
            if row.version == record.version:
                stored = row
            elif taken & set(row.aliases):
                kept = [a for a in row.aliases if a not in taken]
                self._set(row, aliases=kept)
        values = {
            "status": record.status,
            "aliases": list(record.aliases),
            "metrics": dict(record.metrics),
            "source": record.source,
        }
        if stored is None:
            self._db.execute(
                insert(t).values(
                    name=record.name,
                    version=record.version,
                    created_at=record.created_at,
                    version_lock=1,
                    **values,
                )
            )
            return record
        self._set(stored, **values)
        return replace(record, created_at=utc(stored.created_at) or record.created_at)

    def _set(self, row: Any, **values: Any) -> None:
        t = orm.model_versions
        self._db.execute(
            update(t)
            .where(t.c.name == row.name, t.c.version == row.version)
            .values(**values, version_lock=row.version_lock + 1)
        )

    def get(self, name: str, version: str) -> ModelVersionRecord | None:
        t = orm.model_versions
        row = self._db.execute(
            select(t).where(and_(t.c.name == name, t.c.version == version))
        ).first()
        return None if row is None else _record_from_row(row)

    def list(self, name: str | None = None) -> list[ModelVersionRecord]:
        t = orm.model_versions
        query = select(t) if name is None else select(t).where(t.c.name == name)
        rows = self._db.execute(query.order_by(t.c.name, t.c.created_at, t.c.version)).all()
        return [_record_from_row(r) for r in rows]

    def by_alias(self, name: str, alias: str) -> ModelVersionRecord | None:
        return next((r for r in self.list(name) if alias in r.aliases), None)


__all__ = [
    "SqlCellRepository",
    "SqlFabRepository",
    "SqlModelVersionRecords",
    "SqlUserRepository",
]
