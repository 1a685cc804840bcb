"""Fresh, migrated databases for integration tests: a SQLite file, or a new database on the
machine's real PostgreSQL (``lto_it_<uuid>``, dropped afterwards). PostgreSQL tests fail, not
skip, when the server is down: CI must run them."""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lto.capricorn.adapters import migrations
from lto.capricorn.adapters.database import database_url

POSTGRES = os.environ.get(
    "LTO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
AMQP = os.environ.get("LTO_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F")


@contextlib.contextmanager
def fresh_database(kind: str, folder: Path) -> Iterator[str]:
    """The URL of an empty database of ``kind`` ("sqlite" or "postgresql"), migrated to head."""
    if kind == "sqlite":
        url = f"sqlite:///{folder / f'lto-{uuid.uuid4().hex[:8]}.db'}"
        migrations.upgrade(url)
        yield url
        return
    server = make_url(database_url(POSTGRES))
    name = f"lto_it_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(  # pre-ping: a test may have restarted the server meanwhile
        server.set(database="postgres"), isolation_level="AUTOCOMMIT", pool_pre_ping=True
    )
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        url = server.set(database=name).render_as_string(hide_password=False)
        migrations.upgrade(url)
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()
