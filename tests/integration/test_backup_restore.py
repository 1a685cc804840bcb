"""docker/backup.sh and docker/restore.sh on the machine's real PostgreSQL: what is backed up
comes back exactly, a damaged backup is refused before anything changes, and a failed backup
leaves nothing that looks like one."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from lto.capricorn.adapters.database import database_url
from tests.conftest import REPO
from tests.integration.databases import POSTGRES, fresh_database

BACKUP, RESTORE = REPO / "docker" / "backup.sh", REPO / "docker" / "restore.sh"


@pytest.fixture
def mlflow_database() -> Iterator[str]:
    server = make_url(database_url(POSTGRES))
    name = f"lto_it_mlflow_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(server.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    url = server.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def _run(script: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["bash", str(script), *args], env=os.environ | env, capture_output=True,
                          text=True, timeout=300, check=False)  # fmt: skip


def _users(url: str) -> list[str]:
    engine = sa.create_engine(url)
    with engine.connect() as connection:
        found = [r[0] for r in connection.exec_driver_sql("SELECT name FROM users ORDER BY name")]
    engine.dispose()
    return found


def _exec(url: str, sql: str) -> list[tuple[object, ...]]:
    engine = sa.create_engine(url)
    with engine.begin() as connection:
        result = connection.exec_driver_sql(sql)
        rows = [tuple(r) for r in result] if result.returns_rows else []
    engine.dispose()
    return rows


def test_a_backup_restores_both_databases_and_both_folders(
    tmp_path: Path, mlflow_database: str
) -> None:
    from lto.bootstrap import bootstrap
    from lto.capricorn.service.accounts import create_user
    from lto.config import Settings

    with fresh_database("postgresql", tmp_path) as url:
        app = bootstrap(Settings(data_dir=tmp_path / "data", database_url=url))
        create_user(app.uow, "alice", role="engineer")
        app.engine.dispose()
        _exec(mlflow_database, "CREATE TABLE runs (id text PRIMARY KEY, metric float)")
        _exec(mlflow_database, "INSERT INTO runs VALUES ('r1', 0.93)")
        artifacts, data = tmp_path / "mlflow" / "artifacts", tmp_path / "data"
        (artifacts / "1" / "r1").mkdir(parents=True)
        (artifacts / "1" / "r1" / "model.json").write_text('{"v": 1}')
        (data / "models" / "surrogate").mkdir(parents=True)
        (data / "models" / "surrogate" / "CURRENT").write_text("v1\n")
        env = {"LTO_DATABASE_URL": url, "LTO_MLFLOW_DATABASE_URL": mlflow_database,
               "MLFLOW_ARTIFACTS": str(artifacts), "LTO_DATA_DIR": str(data)}  # fmt: skip
        backups = tmp_path / "backups"
        backups.mkdir()

        made = _run(BACKUP, str(backups), env=env)
        assert made.returncode == 0, made.stderr
        folder = Path(made.stdout.strip().splitlines()[-1])
        assert sorted(p.name for p in folder.iterdir()) == [
            "MANIFEST", "SHA256SUMS", "lto-data.tar.gz", "lto.dump", "mlflow-artifacts.tar.gz",
            "mlflow.dump",
        ]  # fmt: skip
        assert "lto_database 0" in (folder / "MANIFEST").read_text()  # the schema revision

        # everything changes after the backup ...
        create_user(bootstrap(Settings(data_dir=data, database_url=url)).uow, "mallory")
        _exec(mlflow_database, "DELETE FROM runs")
        (artifacts / "1" / "r1" / "model.json").unlink()
        (data / "models" / "surrogate" / "CURRENT").write_text("v2\n")
        (data / "stray.txt").write_text("written after the backup")

        refused = _run(RESTORE, str(folder), env=env)  # no --yes: nothing happens
        assert refused.returncode == 2
        assert "add --yes" in refused.stderr
        assert _users(url) == ["alice", "mallory"]

        restored = _run(RESTORE, str(folder), "--yes", env=env)
        assert restored.returncode == 0, restored.stderr
        # ... and comes back exactly as it was
        assert _users(url) == ["alice"]
        assert _exec(mlflow_database, "SELECT id, metric FROM runs") == [("r1", 0.93)]
        assert (artifacts / "1" / "r1" / "model.json").read_text() == '{"v": 1}'
        assert (data / "models" / "surrogate" / "CURRENT").read_text() == "v1\n"
        assert not (data / "stray.txt").exists()


def test_a_damaged_backup_is_refused_before_anything_changes(
    tmp_path: Path, mlflow_database: str
) -> None:
    with fresh_database("postgresql", tmp_path) as url:
        env = {"LTO_DATABASE_URL": url, "LTO_MLFLOW_DATABASE_URL": mlflow_database,
               "MLFLOW_ARTIFACTS": str(tmp_path / "none"), "LTO_DATA_DIR": str(tmp_path / "d")}  # fmt: skip
        made = _run(BACKUP, str(tmp_path), env=env)
        assert made.returncode == 0, made.stderr
        folder = Path(made.stdout.strip().splitlines()[-1])
        with (folder / "lto.dump").open("ab") as dump:
            dump.write(b"corrupt")
        refused = _run(RESTORE, str(folder), "--yes", env=env)
        assert refused.returncode == 2
        assert "damaged" in refused.stderr


def test_a_failed_backup_leaves_no_folder(tmp_path: Path) -> None:
    env = {"LTO_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/no_such_database_here",
           "LTO_DATA_DIR": str(tmp_path / "d")}  # fmt: skip
    failed = _run(BACKUP, str(tmp_path), env=env)
    assert failed.returncode != 0
    assert list(tmp_path.iterdir()) == []
    assert _run(BACKUP, str(tmp_path / "missing"), env=env).returncode == 2
