"""The catalog's contract (tests/unit/capricorn/catalog_contract.py) on SQLAlchemy, against a
SQLite file and the machine's real PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from lto.atlas.examples import reference_fab
from lto.capricorn.adapters import orm
from lto.capricorn.adapters.database import make_engine
from lto.capricorn.adapters.sql_unit_of_work import SqlUnitOfWork
from tests.integration.databases import fresh_database
from tests.unit.capricorn.catalog_contract import CatalogContract
from tests.unit.capricorn.uow_contract import Factory


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


class TestSqlCatalog(CatalogContract):
    @pytest.fixture
    def make_uow(self, engine: Engine) -> Factory:
        return lambda: SqlUnitOfWork(engine)


def test_a_fab_is_its_row_and_its_cells_rows(engine: Engine) -> None:
    fab = reference_fab()
    with SqlUnitOfWork(engine) as uow:
        uow.fabs.add(fab)
        uow.commit()
    with engine.connect() as connection:
        fab_row = connection.execute(select(orm.fabs)).one()
        cells = connection.execute(select(orm.litho_cells.c.id, orm.litho_cells.c.fab_id)).all()
    assert fab_row.links == [list(route) for route in fab.routes()]
    assert fab_row.version == 1
    assert sorted(cells) == sorted((c.id, fab.id) for c in fab.cells)
