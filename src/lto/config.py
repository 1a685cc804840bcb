"""Settings from ``LTO_*`` environment variables (and a ``.env`` file), with embedded defaults.

With nothing set, LTO runs on one machine with no servers: a SQLite database and an MLflow
SQLite store under the data directory, an in-process message bus, and the numpy backend.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

ArrayBackendName = Literal["numpy", "cupy", "auto"]


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/lto`` (``~/.local/share/lto``): where embedded state lives."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "lto"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="LTO_", env_file=".env", extra="ignore", frozen=True, validate_default=True
    )

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str = Field(
        default="", description="SQLAlchemy URL; sqlite file in data_dir by default"
    )
    broker_url: str = Field(
        default="memory://", description="memory:// or amqp://user:pass@host:5672/vhost"
    )
    mlflow_tracking_uri: str = Field(default="", description="sqlite store in data_dir by default")
    study_storage: str = Field(
        default="",
        description="Optuna studies: the PostgreSQL database_url when there is one, else a "
        "journal file in data_dir (journal:PATH); a postgresql:// URL to share studies",
    )
    array_backend: ArrayBackendName = "numpy"
    simulator: Literal["builtin", "external", "surrogate"] = "builtin"
    external_simulator_command: str = Field(
        default="",
        description="command with {input} {output} placeholders (docs/external-simulators.md)",
    )
    external_simulator_timeout_s: float = Field(default=600.0, gt=0)
    api_url: str = "http://127.0.0.1:8000"
    api_key: str = Field(default="", description="the key `lto` commands use to call the API")
    jwt_secret: str = Field(
        default="",
        description="signs bearer tokens and cursors (32+ characters); a random one kept in "
        "data_dir/api-secret when empty (set it when several API processes share a database)",
    )
    cors_origins: str = Field(default="", description="comma-separated origins allowed to call")
    api_docs: bool = Field(default=True, description="serve /docs and /openapi.json")
    api_tls: bool = Field(default=False, description="served behind TLS: send HSTS")
    api_rate_limit_per_minute: int = Field(default=1200, ge=1)
    api_max_body_bytes: int = Field(default=1_000_000, ge=1024)
    api_max_active_jobs_per_user: int = Field(default=500, ge=1)
    api_token_ttl_s: int = Field(default=3600, ge=60, le=7 * 24 * 3600)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @field_validator("data_dir", mode="after")
    @classmethod
    def _expand(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("jwt_secret")
    @classmethod
    def _long_secret(cls, value: str) -> str:
        if value and len(value) < 32:
            raise ValueError("must be at least 32 characters (e.g. `openssl rand -hex 32`)")
        return value

    @field_validator("cors_origins")
    @classmethod
    def _explicit_origins(cls, value: str) -> str:
        for origin in (o.strip() for o in value.split(",") if o.strip()):
            if origin == "*":
                raise ValueError("list the origins explicitly; '*' is refused")
            if not origin.startswith(("http://", "https://")):
                raise ValueError(f"{origin!r} is not an origin like https://lto.example.com")
        return value

    @field_validator("database_url")
    @classmethod
    def _database_scheme(cls, value: str) -> str:
        if value and not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:")):
            raise ValueError("must be a sqlite:/// or postgresql:// URL")
        return value

    @field_validator("broker_url")
    @classmethod
    def _broker_scheme(cls, value: str) -> str:
        if not value.startswith(("memory://", "amqp://", "amqps://")):
            raise ValueError("must be memory:// or an amqp:// URL")
        return value

    @field_validator("mlflow_tracking_uri")
    @classmethod
    def _tracking_scheme(cls, value: str) -> str:
        if value.startswith("file:"):
            raise ValueError("file: stores are refused by MLflow 3; use sqlite:/// or http(s)://")
        return value

    @field_validator("study_storage")
    @classmethod
    def _study_scheme(cls, value: str) -> str:
        if value and not value.startswith(
            ("journal:", "postgresql:", "postgresql+psycopg:", "sqlite:")
        ):
            raise ValueError("must be journal:PATH, a postgresql:// URL or a sqlite:/// URL")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("array_backend", mode="before")
    @classmethod
    def _lower(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("external_simulator_command")
    @classmethod
    def _external_needs_a_command(cls, value: str, info: ValidationInfo) -> str:
        # a field validator, not a model one, so that the error names LTO_EXTERNAL_SIMULATOR_COMMAND
        if info.data.get("simulator") == "external" and not value.strip():
            raise ValueError(
                "is required when LTO_SIMULATOR=external "
                "(e.g. 'prolith-wrapper --job {input} --result {output}')"
            )
        return value

    @model_validator(mode="after")
    def _embedded_defaults(self) -> Settings:
        if not self.database_url:
            object.__setattr__(self, "database_url", f"sqlite:///{self.data_dir / 'lto.db'}")
        if not self.mlflow_tracking_uri:
            object.__setattr__(
                self, "mlflow_tracking_uri", f"sqlite:///{self.data_dir / 'mlflow.db'}"
            )
        if not self.study_storage:
            # SQLite locks under parallel writers: local processes share a journal file instead
            shared = self.database_url.startswith("postgresql")
            location = (
                self.database_url if shared else f"journal:{self.data_dir / 'studies.journal'}"
            )
            object.__setattr__(self, "study_storage", location)
        return self

    @property
    def embedded(self) -> bool:
        """True when nothing but local files is needed (no database server, no broker)."""
        return self.database_url.startswith("sqlite:") and self.broker_url.startswith("memory://")


def load_settings(**overrides: object) -> Settings:
    """Settings from the environment, with explicit overrides (for tests and the CLI) on top."""
    return Settings(**overrides)  # type: ignore[arg-type]
