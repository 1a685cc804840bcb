"""``lto db``: migrate the database (Alembic) and say at which revision it is.

The database is LTO_DATABASE_URL (by default the SQLite file ``lto.db`` in LTO_DATA_DIR).
Migrations are the only way its schema is made: run ``lto db upgrade`` after installing or
upgrading LTO; running it again does nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click

from lto.cli.errors import CliError, ExitCode

DB_EXIT_CODES = (
    "Exit codes: 0 done; 3 environment (LTO_DATABASE_URL or LTO_DATA_DIR: a database that "
    "cannot be reached or written, or one migrated by a newer LTO)."
)


@click.group()
def db() -> None:
    """The database: migrate its schema, show its revision."""


@db.command("upgrade", epilog=DB_EXIT_CODES)
def db_upgrade() -> None:
    """Migrate the database to the newest schema (a no-op when it is there already)."""
    from lto.capricorn.adapters import migrations

    url = _database_url()
    with _environment_errors():
        newest = migrations.head()
        before = migrations.require_known_revision(url)
        if before == newest:
            click.echo(f"database {_where(url)} already at head (revision {newest})")
            return
        migrations.upgrade(url)
        after = migrations.current(url)
    click.echo(f"database {_where(url)} at revision {after} (head)")


@db.command("current", epilog=DB_EXIT_CODES)
def db_current() -> None:
    """Show the database's revision and whether it is the newest."""
    from lto.capricorn.adapters import migrations

    url = _database_url()
    with _environment_errors():
        newest = migrations.head()
        revision = migrations.require_known_revision(url)
    if revision is None:
        click.echo(f"database {_where(url)} has no schema yet: run `lto db upgrade`")
    elif revision == newest:
        click.echo(f"database {_where(url)} at revision {revision} (head)")
    else:
        click.echo(
            f"database {_where(url)} at revision {revision}, behind head {newest}: "
            "run `lto db upgrade`"
        )


def _database_url() -> str:
    """LTO_DATABASE_URL, with the data folder made first when the database is a SQLite file."""
    from lto.bootstrap import ConfigurationError, ensure_data_dir
    from lto.config import load_settings

    settings = load_settings()
    if settings.database_url.startswith("sqlite:"):
        try:
            ensure_data_dir(settings.data_dir)
        except ConfigurationError as exc:
            raise CliError(str(exc), ExitCode.ENVIRONMENT) from exc
    return settings.database_url


def _where(url: str) -> str:
    from lto.capricorn.adapters.database import describe

    return describe(url)


@contextmanager
def _environment_errors() -> Iterator[None]:
    """A ``DatabaseError`` becomes a one-line message with exit code 3."""
    from lto.capricorn.adapters.migrations import DatabaseError

    try:
        yield
    except DatabaseError as exc:
        raise CliError(str(exc), ExitCode.ENVIRONMENT) from exc
