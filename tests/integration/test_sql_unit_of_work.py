"""The unit of work's contract (tests/unit/capricorn/uow_contract.py) on SQLAlchemy, against
a SQLite file and the machine's real PostgreSQL; and what only a real database shows."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from lto.atlas.lifecycle import Job
from lto.capricorn.adapters.database import make_engine
from lto.capricorn.adapters.sql_unit_of_work import SqlUnitOfWork
from tests.integration.databases import fresh_database
from tests.unit.capricorn.jobs import a_job
from tests.unit.capricorn.uow_contract import Factory, UnitOfWorkContract


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    with fresh_database(request.param, tmp_path) as url:
        engine = make_engine(url)
        yield engine
        engine.dispose()


class TestSqlUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def make_uow(self, engine: Engine) -> Factory:
        return lambda: SqlUnitOfWork(engine)


def test_two_relays_never_take_the_same_outbox_rows(engine: Engine) -> None:
    """Row locking (PostgreSQL: SKIP LOCKED; SQLite: one writer at a time): while one
    transaction holds a batch, another sees only the rest."""
    with SqlUnitOfWork(engine) as uow:
        for _ in range(4):
            uow.jobs.add(Job(a_job()))
        uow.commit()
    taken: dict[str, list[int]] = {}
    first_has_rows, second_done = threading.Event(), threading.Event()

    def first() -> None:
        with SqlUnitOfWork(engine) as uow:
            taken["first"] = [r.id for r in uow.records.unsent(limit=2)]
            first_has_rows.set()
            second_done.wait(timeout=2 if engine.dialect.name == "sqlite" else 30)
            uow.records.mark_sent(taken["first"], __import__("datetime").datetime.now())
            uow.commit()

    def second() -> None:
        first_has_rows.wait(timeout=30)
        with SqlUnitOfWork(engine) as uow:
            taken["second"] = [r.id for r in uow.records.unsent(limit=10)]
        second_done.set()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert len(taken["first"]) == 2
    assert not set(taken["first"]) & set(taken["second"])
    assert len(taken["second"]) == 2
