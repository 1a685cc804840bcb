from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from lto.config import load_settings


def test_embedded_defaults_need_no_server(tmp_path: Path) -> None:
    settings = load_settings()
    data_dir = tmp_path / "lto-data"
    assert settings.data_dir == data_dir
    assert settings.database_url == f"sqlite:///{data_dir / 'lto.db'}"
    assert settings.mlflow_tracking_uri == f"sqlite:///{data_dir / 'mlflow.db'}"
    assert settings.broker_url == "memory://"
    assert settings.array_backend == "numpy"
    assert settings.embedded


def test_lto_variables_configure_a_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LTO_DATABASE_URL", "postgresql+psycopg://lto@db:5432/lto")
    monkeypatch.setenv("LTO_BROKER_URL", "amqp://guest:guest@mq:5672/")
    monkeypatch.setenv("LTO_MLFLOW_TRACKING_URI", "http://mlflow:5000")
    monkeypatch.setenv("LTO_ARRAY_BACKEND", " AUTO ")
    settings = load_settings()
    assert settings.database_url.startswith("postgresql+psycopg://")
    assert settings.broker_url.startswith("amqp://")
    assert settings.mlflow_tracking_uri == "http://mlflow:5000"
    assert settings.array_backend == "auto"
    assert not settings.embedded


@pytest.mark.parametrize(
    ("variable", "value", "field"),
    [
        ("LTO_ARRAY_BACKEND", "gpu", "array_backend"),
        ("LTO_DATABASE_URL", "mysql://x", "database_url"),
        ("LTO_BROKER_URL", "redis://x", "broker_url"),
        ("LTO_MLFLOW_TRACKING_URI", "file:///tmp/mlruns", "mlflow_tracking_uri"),
        ("LTO_SIMULATOR", "external", "external_simulator_command"),  # required with it
    ],
)
def test_bad_settings_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, field: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ValidationError) as info:
        load_settings()
    assert [e["loc"] for e in info.value.errors()] == [(field,)]
