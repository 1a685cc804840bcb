"""The unit of work on a SQLAlchemy engine: one connection and one transaction per ``with``."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection, Engine, RootTransaction

from lto.atlas.events import DomainEvent
from lto.capricorn.adapters.sql_catalog import (
    SqlCellRepository,
    SqlFabRepository,
    SqlModelVersionRecords,
    SqlUserRepository,
)
from lto.capricorn.adapters.sql_idempotency import SqlIdempotencyStore
from lto.capricorn.adapters.sql_ingest import SqlIngestedResultStore, SqlYieldStore
from lto.capricorn.adapters.sql_optimisations import SqlOptimisationRepository
from lto.capricorn.adapters.sql_repositories import (
    SqlAlertRepository,
    SqlJobRepository,
    SqlRecordStore,
)
from lto.capricorn.ports import ArtifactStore
from lto.capricorn.service.unit_of_work import UnitOfWork


class SqlUnitOfWork(UnitOfWork):
    def __init__(
        self,
        engine: Engine,
        artifacts: ArtifactStore | None = None,
        on_commit: Callable[[list[DomainEvent]], None] | None = None,
    ) -> None:
        super().__init__(artifacts, on_commit)
        self.engine = engine
        self._connection: Connection | None = None
        self._transaction: RootTransaction | None = None

    def _begin(self) -> None:
        self._connection = self.engine.connect()
        self._transaction = self._connection.begin()
        self.jobs = SqlJobRepository(self._connection)
        self.alerts = SqlAlertRepository(self._connection)
        self.cells = cells = SqlCellRepository(self._connection)
        self.fabs = SqlFabRepository(self._connection, cells)
        self.users = SqlUserRepository(self._connection)
        self.model_versions = SqlModelVersionRecords(self._connection)
        self.records = SqlRecordStore(self._connection)
        self.idempotency = SqlIdempotencyStore(self._connection)
        self.ingested = SqlIngestedResultStore(self._connection)
        self.yields = SqlYieldStore(self._connection)
        self.optimisations = SqlOptimisationRepository(self._connection)

    def _commit(self) -> None:
        assert self._transaction is not None, "commit outside `with uow:`"
        self._transaction.commit()

    def _rollback(self) -> None:
        if self._transaction is not None and self._transaction.is_active:
            self._transaction.rollback()

    def _end(self) -> None:
        if self._connection is not None:
            self._connection.close()
        self._connection = self._transaction = None


__all__ = ["SqlUnitOfWork"]
