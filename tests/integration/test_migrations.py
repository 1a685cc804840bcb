"""Alembic makes the schema, on SQLite and on the machine's real PostgreSQL: the migrated
schema equals ``orm.metadata`` (no drift, the naming convention's names), migrations go down to
nothing and up again, and a migration that fails leaves the database as it was.

PostgreSQL tests each get a fresh database (``lto_mig_<uuid>``), dropped afterwards; they fail,
not skip, when the server is down.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy.engine import make_url

from lto.capricorn.adapters import migrations, orm
from lto.capricorn.adapters.database import database_url, make_engine
from lto.capricorn.adapters.migrations import VERSION_TABLE, DatabaseError

POSTGRES = os.environ.get(
    "LTO_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'lto.db'}"
        return
    server = make_url(database_url(POSTGRES))
    name = f"lto_mig_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def drift(url: str) -> list[object]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": VERSION_TABLE}
            )
            return list(compare_metadata(context, orm.metadata))
    finally:
        engine.dispose()


def table_names(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


def reflected_names(url: str) -> dict[str, set[str]]:
    """Every table's constraint and index names, as the database has them."""
    engine = make_engine(url)
    try:
        inspector = sa.inspect(engine)
        names = {}
        for table in orm.metadata.tables:
            found = {inspector.get_pk_constraint(table)["name"]}
            found |= {fk["name"] for fk in inspector.get_foreign_keys(table)}
            found |= {uq["name"] for uq in inspector.get_unique_constraints(table)}
            found |= {ix["name"] for ix in inspector.get_indexes(table)}
            names[table] = found
        return names
    finally:
        engine.dispose()


def declared_names() -> dict[str, set[str]]:
    names = {}
    for table in orm.metadata.sorted_tables:
        found = {str(c.name) for c in table.constraints if not isinstance(c, sa.CheckConstraint)}
        found |= {str(ix.name) for ix in table.indexes}
        names[table.name] = found
    return names


def test_the_migrated_schema_equals_the_tables(url: str) -> None:
    migrations.upgrade(url)
    assert drift(url) == []
    assert table_names(url) == {*orm.metadata.tables, VERSION_TABLE}
    # the naming convention's names, on both databases (unnamed SQLite indexes would differ)
    assert reflected_names(url) == declared_names()


def test_down_to_nothing_and_up_again(url: str) -> None:
    migrations.upgrade(url)
    migrations.downgrade(url, "base")
    assert table_names(url) == {VERSION_TABLE}
    assert migrations.current(url) is None
    migrations.upgrade(url)
    assert drift(url) == []
    assert migrations.current(url) == migrations.head()


def test_current_and_up_to_date(url: str) -> None:
    assert migrations.head() == "0002"
    assert migrations.current(url) is None
    assert not migrations.is_up_to_date(url)
    migrations.upgrade(url)
    assert migrations.current(url) == "0002"
    assert migrations.is_up_to_date(url)
    migrations.upgrade(url)  # again: nothing to do
    assert migrations.current(url) == "0002"


def test_a_missing_sqlite_file_is_not_created_by_asking(tmp_path: Path) -> None:
    file = tmp_path / "nowhere" / "lto.db"
    assert migrations.current(f"sqlite:///{file}") is None
    assert not file.exists()


def test_a_failing_migration_leaves_the_database_as_it_was(url: str, tmp_path: Path) -> None:
    """Alembic's transaction works under make_engine's BEGIN IMMEDIATE: on SQLite as on
    PostgreSQL, the whole run is one transaction, and a failure rolls all of it back."""
    scripts = tmp_path / "migrations"
    shutil.copytree(
        migrations.migrations_path(), scripts, ignore=shutil.ignore_patterns("__pycache__")
    )
    (scripts / "versions" / "2099_01_01_0099_broken.py").write_text(
        '"""broken"""\n'
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        'revision = "0099"\n'
        f'down_revision = "{migrations.head()}"\n'
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade():\n"
        '    op.create_table("half_done", sa.Column("id", sa.Integer, primary_key=True))\n'
        '    op.execute("SELECT * FROM no_such_table")\n\n\n'
        "def downgrade():\n"
        "    pass\n"
    )
    config = migrations.alembic_config(url)
    config.set_main_option("script_location", str(scripts))
    with pytest.raises(sa.exc.DBAPIError, match="no_such_table"):
        command.upgrade(config, "head")
    assert table_names(url) == set()
    assert migrations.current(url) is None


def test_a_database_from_a_newer_lto_is_left_alone(url: str) -> None:
    migrations.upgrade(url)
    engine = make_engine(url)
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE lto_schema_version SET version_num = '9999'")
    engine.dispose()
    with pytest.raises(DatabaseError, match="revision '9999', which this version of LTO"):
        migrations.upgrade(url)
    with pytest.raises(DatabaseError, match="a newer LTO migrated it"):
        migrations.downgrade(url, "base")
    assert migrations.current(url) == "9999"
    assert not migrations.is_up_to_date(url)


def test_an_unreachable_server_is_a_database_error_without_the_password() -> None:
    url = "postgresql+psycopg://nobody:secret@127.0.0.1:1/x"
    with pytest.raises(DatabaseError) as info:
        migrations.upgrade(url)
    message = str(info.value)
    assert "cannot connect to database postgresql+psycopg://nobody:***@127.0.0.1:1/x" in message
    assert "secret" not in message
    assert "LTO_DATABASE_URL" in message


def test_a_sqlite_file_that_cannot_be_written_is_a_database_error(tmp_path: Path) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    with pytest.raises(DatabaseError, match="a-file") as info:
        migrations.upgrade(f"sqlite:///{blocker / 'sub' / 'lto.db'}")
    assert "LTO_DATABASE_URL" in str(info.value)


def test_optuna_studies_in_the_same_database_leave_the_schema_alone(url: str) -> None:
    """LTO_STUDY_STORAGE defaults to the PostgreSQL database: Optuna's own Alembic revision
    must not be taken for LTO's (nor LTO's for Optuna's), in either order."""
    if not url.startswith("postgresql"):
        pytest.skip("studies share the database on PostgreSQL only")
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    optuna.create_study(storage=url, study_name="before").optimize(
        lambda t: t.suggest_float("x", 0, 1), 2
    )
    migrations.upgrade(url)
    assert migrations.is_up_to_date(url)
    optuna.create_study(storage=url, study_name="after").optimize(
        lambda t: t.suggest_float("x", 0, 1), 2
    )
    assert migrations.current(url) == migrations.head()
