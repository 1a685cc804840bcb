"""The API on the embedded stack (a SQLite file, the in-memory broker, no surrogate unless a
test asks for one), with users of every role and a key for each."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lto.bootstrap import Application, bootstrap
from lto.capricorn.api.passwords import hash_password
from lto.capricorn.service.accounts import create_user, issue_key
from lto.config import Settings

PASSWORD = "correct horse battery"


@dataclass
class Api:
    app: Application
    client: TestClient
    keys: dict[str, str] = field(default_factory=dict)  # user name → secret

    def headers(self, user: str = "erin", **extra: str) -> dict[str, str]:
        return {"X-API-Key": self.keys[user], **extra}


def make_api(tmp_path: Path, **settings: object) -> Api:
    options: dict[str, object] = {"data_dir": tmp_path / "lto-data", "log_level": "WARNING"}
    options.update(settings)
    app = bootstrap(Settings(**options))  # type: ignore[arg-type]
    client = TestClient(app.api(), raise_server_exceptions=False)
    api = Api(app, client)
    for name, role in (("erin", "engineer"), ("omar", "operator"), ("ada", "admin")):
        create_user(app.uow, name, role=role, password_hash=hash_password(PASSWORD))
        api.keys[name] = issue_key(app.uow, name, []).secret
    create_user(app.uow, "eve", role="engineer")
    api.keys["eve"] = issue_key(app.uow, "eve", []).secret
    api.keys["reader"] = issue_key(app.uow, "erin", ["jobs:read"]).secret
    return api


@pytest.fixture
def api(tmp_path: Path) -> Iterator[Api]:
    made = make_api(tmp_path)
    with made.client:
        yield made


def a_job(**changes: object) -> dict[str, object]:
    job: dict[str, object] = {
        "na": 0.85,
        "wavelength_nm": 193.0,
        "dose_mj_cm2": 30.0,
        "sigma": 0.7,
        "resist_thickness_nm": 100.0,
        "grid_size_nm": 4.0,
        "target_cd_nm": 90.0,
        "pitch_nm": 180.0,
    }
    job.update(changes)
    return job
