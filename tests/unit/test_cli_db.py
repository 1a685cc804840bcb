"""`lto db upgrade` and `lto db current` on the embedded SQLite database in LTO_DATA_DIR:
one line each, idempotent, and one-line errors with exit code 3 for a bad environment."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from lto.capricorn.adapters import orm
from lto.capricorn.adapters.migrations import VERSION_TABLE
from lto.cli import cli
from lto.cli.errors import ExitCode


def data_dir() -> Path:
    return Path(os.environ["LTO_DATA_DIR"])


def database() -> str:
    return f"sqlite:///{data_dir() / 'lto.db'}"


def test_upgrade_makes_the_tables_and_a_second_run_does_nothing() -> None:
    first = CliRunner().invoke(cli, ["db", "upgrade"])
    assert first.exit_code == 0, first.output
    assert first.output == f"database {database()} at revision 0002 (head)\n"
    engine = sa.create_engine(database())
    tables = set(sa.inspect(engine).get_table_names())
    engine.dispose()
    assert tables == {*orm.metadata.tables, VERSION_TABLE}

    second = CliRunner().invoke(cli, ["db", "upgrade"])
    assert second.exit_code == 0, second.output
    assert second.output == f"database {database()} already at head (revision 0002)\n"


def test_current_says_where_the_database_is() -> None:
    before = CliRunner().invoke(cli, ["db", "current"])
    assert before.exit_code == 0, before.output
    assert "has no schema yet: run `lto db upgrade`" in before.output
    assert not (data_dir() / "lto.db").exists()  # asking creates nothing
    CliRunner().invoke(cli, ["db", "upgrade"])
    after = CliRunner().invoke(cli, ["db", "current"])
    assert after.output == f"database {database()} at revision 0002 (head)\n"


def one_line_error(args: list[str], env: dict[str, str] | None = None) -> str:
    result = CliRunner().invoke(cli, args, env=env)
    assert result.exit_code == ExitCode.ENVIRONMENT, result.output
    assert "Traceback" not in result.output
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


@pytest.mark.parametrize("command", ["upgrade", "current"])
def test_an_unwritable_data_dir_is_exit_code_3(tmp_path: Path, command: str) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    line = one_line_error(["db", command], env={"LTO_DATA_DIR": str(blocker / "lto")})
    assert "LTO_DATA_DIR=" in line
    assert "set LTO_DATA_DIR to a folder you can write" in line


@pytest.mark.parametrize("command", ["upgrade", "current"])
def test_an_unreachable_database_is_exit_code_3(command: str) -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:1/x"
    line = one_line_error(["db", command], env={"LTO_DATABASE_URL": url})
    assert f"cannot connect to database {url}" in line
    assert "check LTO_DATABASE_URL" in line


def test_the_password_is_not_shown() -> None:
    url = "postgresql+psycopg://nobody:hunter2@127.0.0.1:1/x"
    line = one_line_error(["db", "upgrade"], env={"LTO_DATABASE_URL": url})
    assert "nobody:***@127.0.0.1:1/x" in line
    assert "hunter2" not in line


def test_a_database_from_a_newer_lto_is_exit_code_3() -> None:
    assert CliRunner().invoke(cli, ["db", "upgrade"]).exit_code == 0
    engine = sa.create_engine(database())
    with engine.begin() as connection:
        connection.exec_driver_sql("UPDATE lto_schema_version SET version_num = '9999'")
    engine.dispose()
    for command in ("upgrade", "current"):
        line = one_line_error(["db", command])
        assert "revision '9999', which this version of LTO does not know" in line
