"""Alembic's environment for LTO, configured in code (``lto.capricorn.adapters.migrations``).

The URL comes from the ``sqlalchemy.url`` main option, set programmatically; the engine from
``make_engine``, so SQLite migrates with the application's pragmas and ``BEGIN IMMEDIATE``
transactions. Because SQLAlchemy, not the sqlite3 module, owns those transactions, DDL on SQLite
is transactional too: a migration that fails leaves the database as it was, on both databases.

SQLite alters tables by copying them (``render_as_batch``). With foreign keys on, dropping the
old copy would run its ``ON DELETE`` actions (cascading deletes into the child tables), so the
migration connection turns them off, as SQLite's documentation prescribes for schema changes,
and checks every reference before it commits.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from sqlalchemy import Connection, event

from lto.capricorn.adapters import orm
from lto.capricorn.adapters.database import database_url, make_engine
from lto.capricorn.adapters.migrations import VERSION_TABLE, engine_options

config = context.config
target_metadata = orm.metadata


def _url() -> str:
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError(
            "sqlalchemy.url is not set: migrate with `lto db upgrade` or "
            "lto.capricorn.adapters.migrations.upgrade(url)"
        )
    return database_url(url)


def _options(url: str) -> dict[str, Any]:
    sqlite = url.startswith("sqlite")
    return {
        "target_metadata": target_metadata,
        "version_table": VERSION_TABLE,
        "compare_type": True,
        "render_as_batch": sqlite,
        # BEGIN IMMEDIATE … COMMIT around the whole run: SQLite's DDL is transactional
        "transactional_ddl": True,
    }


def run_migrations_offline() -> None:
    """``--sql`` mode: print the SQL instead of running it."""
    url = _url()
    context.configure(
        url=url, literal_binds=True, dialect_opts={"paramstyle": "named"}, **_options(url)
    )
    with context.begin_transaction():
        context.run_migrations()


def _migrate(connection: Connection, url: str) -> None:
    context.configure(connection=connection, **_options(url))
    with context.begin_transaction():
        context.run_migrations()
        if url.startswith("sqlite"):
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if broken:
                raise RuntimeError(f"the migration left rows with broken references: {broken}")


def run_migrations_online() -> None:
    url = _url()
    given = config.attributes.get("connection")
    if given is not None:  # a caller's connection (tests): its transaction is the caller's
        _migrate(given, url)
        return
    engine = make_engine(url, **engine_options(url))
    if url.startswith("sqlite"):

        @event.listens_for(engine, "connect")
        def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
            # after make_engine's own listener, outside any transaction (a no-op inside one)
            dbapi_connection.execute("PRAGMA foreign_keys = OFF")

    try:
        with engine.connect() as connection:
            _migrate(connection, url)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
