"""Alembic migrations are the only way the schema is made: nothing under src/ calls
``create_all``, the scripts are found in a source tree and packaged in the wheel."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from lto.capricorn.adapters import migrations

REPO = Path(__file__).resolve().parents[2]


def test_no_module_under_src_calls_create_all() -> None:
    calls = [
        f"{path.relative_to(REPO)}:{number}: {line.strip()}"
        for path in sorted((REPO / "src").rglob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\.create_all\b", line)
    ]
    assert calls == [], "the schema is made by migrations (lto db upgrade), not create_all"


def test_the_migrations_are_found_and_packaged() -> None:
    folder = migrations.migrations_path()
    assert folder == REPO / "migrations"
    assert (folder / "env.py").is_file()
    assert (folder / "script.py.mako").is_file()
    names = sorted(p.name for p in (folder / "versions").glob("*.py"))
    assert names[0] == "2026_12_03_0001_initial_schema.py"
    assert all(re.fullmatch(r"\d{4}_\d\d_\d\d_\w+\.py", name) for name in names)
    assert migrations.head() == "0002"
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    wheel = pyproject["tool"]["hatch"]["build"]["targets"]["wheel"]
    assert wheel["force-include"]["migrations"] == "lto/capricorn/migrations"


def test_the_configuration_needs_no_ini_file_and_keeps_percent_signs() -> None:
    config = migrations.alembic_config("postgresql://u:p%40ss@db:5432/lto")
    assert config.config_file_name is None
    assert config.get_main_option("sqlalchemy.url") == "postgresql+psycopg://u:p%40ss@db:5432/lto"
    assert config.get_main_option("script_location") == str(migrations.migrations_path())
