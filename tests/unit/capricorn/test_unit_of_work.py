from __future__ import annotations

from pathlib import Path

import pytest

from lto.atlas.lifecycle import Job
from lto.capricorn.adapters.artifact_store import FileArtifactStore
from tests.unit.capricorn.fakes import FakeUnitOfWork, Store
from tests.unit.capricorn.jobs import a_job
from tests.unit.capricorn.uow_contract import Factory, UnitOfWorkContract


class TestFakeUnitOfWork(UnitOfWorkContract):
    @pytest.fixture
    def make_uow(self) -> Factory:
        store = Store()
        return lambda: FakeUnitOfWork(store)


def test_artifacts_written_in_a_rolled_back_unit_of_work_are_deleted(tmp_path: Path) -> None:
    artifacts = FileArtifactStore(tmp_path / "artifacts")
    store = Store()
    with pytest.raises(RuntimeError), FakeUnitOfWork(store, artifacts=artifacts) as uow:  # noqa: PT012
        key = uow.put_artifact("jobs/job-1/aerial.npy", b"image")
        assert artifacts.exists(key)
        raise RuntimeError("the row did not commit")
    assert not artifacts.exists("jobs/job-1/aerial.npy")
    with FakeUnitOfWork(store, artifacts=artifacts) as uow:
        kept = uow.put_artifact("jobs/job-2/aerial.npy", b"image")
        uow.jobs.add(Job(a_job()))
        uow.commit()
    assert artifacts.get(kept) == b"image"


def test_artifact_keys_stay_inside_the_store(tmp_path: Path) -> None:
    artifacts = FileArtifactStore(tmp_path)
    for key in ("../escape", "/etc/passwd", ""):
        with pytest.raises(ValueError, match="relative path inside"):
            artifacts.put(key, b"x")


def test_a_unit_of_work_cannot_be_opened_twice() -> None:
    uow = FakeUnitOfWork()
    with uow, pytest.raises(RuntimeError, match="already open"), uow:
        pass
