"""Engines for the two databases LTO runs on: SQLite (the embedded default) and PostgreSQL.

SQLite runs in WAL mode (readers never wait for the writer), with foreign keys on and a busy
timeout; every transaction begins IMMEDIATE, taking the write lock up front: a deferred
transaction that reads and then writes can fail with "database is locked" the moment another
process writes, whatever the timeout, and the outbox relays and workers do exactly that.
PostgreSQL goes through psycopg 3 with pre-ping (a server restart costs a retry, not an error).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url

SQLITE_BUSY_TIMEOUT_MS = 30_000


def database_url(url: str) -> str:
    """``postgresql://`` means psycopg 3 here (SQLAlchemy's default driver is psycopg2)."""
    if url.startswith("postgresql://"):
        return "postgresql+psycopg://" + url.removeprefix("postgresql://")
    return url


def make_engine(url: str, **options: Any) -> Engine:
    url = database_url(url)
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **options)
    options.setdefault("pool_pre_ping", True)
    # the API answers up to 40 requests at once (its thread pool): they should not queue for
    # a connection; 30 per process stays well inside PostgreSQL's default 100 connections for
    # two API processes and the workers
    options.setdefault("pool_size", 10)
    options.setdefault("max_overflow", 20)
    return create_engine(url, **options)


def _sqlite_engine(url: str, **options: Any) -> Engine:
    parsed = make_url(url)
    if parsed.database and parsed.database != ":memory:":
        from pathlib import Path

        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, **options)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy's "begin" below owns transactions
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def describe(url: str) -> str:
    """The URL without its password, for messages and health checks."""
    return make_url(database_url(url)).render_as_string(hide_password=True)


__all__ = ["database_url", "describe", "make_engine"]
