from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import settings

settings.register_profile("lto", deadline=None, max_examples=100)
settings.load_profile("lto")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every test gets its own data dir and no LTO_* variables from the developer's shell."""
    import os

    for name in list(os.environ):
        if name.startswith("LTO_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LTO_DATA_DIR", str(tmp_path / "lto-data"))
    monkeypatch.chdir(tmp_path)  # no stray .env from the repo is read
