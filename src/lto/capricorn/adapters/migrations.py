"""Alembic, configured in code: the only way LTO's database schema is made or changed.

The migration scripts live in the repository's ``migrations/`` folder (packaged in the wheel as
``lto/capricorn/migrations``). There is no ``alembic.ini``: ``alembic_config`` builds the
configuration from a database URL, and ``migrations/env.py`` connects with ``make_engine`` so
that SQLite gets the same pragmas and ``BEGIN IMMEDIATE`` transactions as the application.

Failures a user can cause (a database that cannot be reached, a SQLite file that cannot be
written, a database migrated by a newer LTO) raise ``DatabaseError``, whose message names the
database without its password and says what to do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from lto.capricorn.adapters.database import database_url, describe, make_engine

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy import Connection

T = TypeVar("T")

# new revisions are named like the first one: 2026_12_03_0001_initial_schema.py
FILE_TEMPLATE = "%(year)d_%(month).2d_%(day).2d_%(rev)s_%(slug)s"
POSTGRES_CONNECT_TIMEOUT_S = 10
# Not Alembic's default ``alembic_version``: Optuna's studies (LTO_STUDY_STORAGE defaults to the
# same PostgreSQL database) keep their own Alembic revision under that name.
VERSION_TABLE = "lto_schema_version"


class DatabaseError(RuntimeError):
    """The database cannot be reached, written or migrated; the message says what to do."""


def migrations_path() -> Path:
    """The folder holding ``env.py`` and ``versions/``.

    In a wheel it is packaged beside this package (``lto/capricorn/migrations``); in a source
    or editable install it is the repository's ``migrations/``.
    """
    here = Path(__file__).resolve()
    packaged = here.parents[1] / "migrations"
    if (packaged / "env.py").is_file():
        return packaged
    return here.parents[4] / "migrations"


def engine_options(url: str) -> dict[str, Any]:
    """Options for the migration engine: a PostgreSQL server that does not answer fails fast."""
    if database_url(url).startswith("postgresql") and "connect_timeout" not in url:
        return {"connect_args": {"connect_timeout": POSTGRES_CONNECT_TIMEOUT_S}}
    return {}


def alembic_config(url: str | None = None) -> Config:
    """An Alembic configuration for the database at ``url``, built without an ini file."""
    from alembic.config import Config

    folder = migrations_path()
    if not (folder / "env.py").is_file():
        raise DatabaseError(
            f"the database migrations are missing ({folder}/env.py not found): reinstall LTO"
        )
    config = Config()
    # ConfigParser interpolates %: a literal one (a URL-encoded password) must be doubled
    config.set_main_option("script_location", str(folder).replace("%", "%%"))
    config.set_main_option("path_separator", "os")
    config.set_main_option("file_template", FILE_TEMPLATE.replace("%", "%%"))
    if url is not None:
        config.set_main_option("sqlalchemy.url", database_url(url).replace("%", "%%"))
    return config


def head() -> str:
    """The newest revision this version of LTO knows."""
    from alembic.script import ScriptDirectory

    revision = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if revision is None:  # pragma: no cover - the initial revision is always there
        raise DatabaseError(f"no migrations found in {migrations_path()}: reinstall LTO")
    return revision


def current(url: str) -> str | None:
    """The database's revision, or None when it has no schema yet (a SQLite file that does not
    exist is not created)."""
    file = _sqlite_file(url)
    if file is not None and not file.exists():
        return None
    return _with_connection(url, _current_revision)


def is_up_to_date(url: str) -> bool:
    """True when the database is at the newest revision."""
    return current(url) == head()


def upgrade(url: str, revision: str = "head") -> None:
    """Migrate the database up to ``revision`` (a no-op when it is there already)."""
    from alembic import command

    require_known_revision(url)
    _run(url, "upgrade", lambda: command.upgrade(alembic_config(url), revision))


def downgrade(url: str, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"``: drop every table)."""
    from alembic import command

    require_known_revision(url)
    _run(url, "downgrade", lambda: command.downgrade(alembic_config(url), revision))


def _current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()


def require_known_revision(url: str) -> str | None:
    """The database's revision, or a ``DatabaseError`` when a newer LTO migrated it (it is
    then left alone: this version cannot know what its schema holds)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    revision = current(url)
    if revision is None:
        return None
    try:
        known = ScriptDirectory.from_config(alembic_config()).get_revision(revision) is not None
    except CommandError:
        known = False
    if not known:
        raise DatabaseError(
            f"database {describe(url)} is at revision {revision!r}, which this version of LTO "
            f"does not know (its newest is {head()!r}): a newer LTO migrated it; use that "
            "version, or point LTO_DATABASE_URL at another database"
        )
    return revision


def _sqlite_file(url: str) -> Path | None:
    from sqlalchemy.engine import make_url

    parsed = make_url(database_url(url))
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database).expanduser()


def _with_connection(url: str, work: Callable[[Connection], T]) -> T:
    with _database_errors(url, "read"):
        engine = make_engine(url, **engine_options(url))
        try:
            with engine.connect() as connection:
                return work(connection)
        finally:
            engine.dispose()


def _run(url: str, action: str, work: Callable[[], None]) -> None:
    from alembic.util import CommandError

    with _database_errors(url, action):
        try:
            work()
        except CommandError as exc:
            raise DatabaseError(
                f"cannot {action} database {describe(url)}: {exc} (known revisions: `lto db "
                "current` shows where it is)"
            ) from exc


@contextmanager
def _database_errors(url: str, action: str) -> Iterator[None]:
    """What the driver or the file system says, as a ``DatabaseError`` naming the database."""
    from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

    where = describe(url)
    try:
        yield
    except DatabaseError:
        raise
    except (OperationalError, InterfaceError) as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        if where.startswith("sqlite"):
            message = (
                f"cannot {action} database {where}: {reason}; check that its file and folder "
                "can be written, or set LTO_DATABASE_URL"
            )
        else:
            message = (
                f"cannot connect to database {where}: {reason}; check LTO_DATABASE_URL and that "
                "the database server is running and reachable"
            )
        raise DatabaseError(message) from exc
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseError(
            f"cannot {action} database {where}: {reason}; check LTO_DATABASE_URL and the "
            "database user's rights"
        ) from exc
    except OSError as exc:  # the SQLite file's folder cannot be made
        target = f"{exc.filename}: " if exc.filename else ""
        raise DatabaseError(
            f"cannot {action} database {where}: {target}{exc.strerror or exc}; set "
            "LTO_DATABASE_URL (or LTO_DATA_DIR) to a place you can write"
        ) from exc


__all__ = [
    "DatabaseError",
    "alembic_config",
    "current",
    "downgrade",
    "engine_options",
    "head",
    "is_up_to_date",
    "migrations_path",
    "require_known_revision",
    "upgrade",
]
