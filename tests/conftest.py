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


@pytest.fixture(scope="session")
def trained_model(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """`lto train --samples 120` run once per session, as a user would (real physics, real
    members): its output and the model folder it made current."""
    import os

    from click.testing import CliRunner

    from lto.cli import cli

    data_dir = tmp_path_factory.mktemp("trained") / "lto-data"
    env = {name: None for name in os.environ if name.startswith("LTO_")}
    env.update({"LTO_DATA_DIR": str(data_dir), "COLUMNS": "200"})
    result = CliRunner().invoke(cli, ["train", "--samples", "120", "--seed", "3"], env=env)
    assert result.exit_code == 0, result.output
    pointer = data_dir / "models" / "surrogate" / "CURRENT"
    return {"folder": Path(pointer.read_text().strip()), "output": result.output, "data": data_dir}


@pytest.fixture
def current_model(trained_model: dict[str, object], tmp_path: Path) -> Path:
    """The session's trained surrogate made current in this test's data directory."""
    from lto.daedalus.adapters.model_store import LocalModelStore

    folder = trained_model["folder"]
    assert isinstance(folder, Path)
    LocalModelStore(tmp_path / "lto-data" / "models" / "surrogate").set_current(folder)
    return folder
