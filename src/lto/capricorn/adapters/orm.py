"""The database schema: SQLAlchemy Core tables, kept out of the domain.

Repositories translate rows to atlas objects and back (``mapping.py``); atlas never imports
SQLAlchemy. Alembic migrations (``migrations/``) are the only way the schema is made outside
tests; a test proves the migrated schema equals these tables. Constraint and index names come
from one naming convention, so they are the same on SQLite and PostgreSQL.

Times are stored timezone-aware (UTC); SQLite hands them back naive, and the mapping layer
reads naive times as UTC.
"""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.dialects.postgresql import JSONB

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = MetaData(naming_convention=NAMING_CONVENTION)

Json = JSON().with_variant(JSONB(), "postgresql")
Id = String(64)
Time = DateTime(timezone=True)
# SQLite autoincrements INTEGER PRIMARY KEY only; PostgreSQL gets a bigint identity
Serial = BigInteger().with_variant(Integer(), "sqlite")

jobs = Table(
    "jobs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("state", String(24), nullable=False),
    Column("submitted_by", String(200), nullable=False),
    Column("submitted_at", Time, nullable=False),
    Column("updated_at", Time, nullable=False),
    Column("profile", String(64)),
    Column("job_class", String(16), nullable=False),
    Column("priority", Integer, nullable=False),
    Column("parameters", Json, nullable=False),
    Column("rejection", Json, nullable=False),
    Column("blocked_reason", Text, nullable=False, default=""),
    Column("alternative", Json),
    Column("error", Text, nullable=False, default=""),
    Column("prediction", Json),
    Column("preflight_note", Text, nullable=False, default=""),
    Column("worker_id", String(200), nullable=False, default=""),
    Column("attempts", Integer, nullable=False, default=0),
    Column("evaluation", Json),
    Column("reviewed_by", String(200), nullable=False, default=""),
    Column("review_note", Text, nullable=False, default=""),
    Column("version", Integer, nullable=False),
    # the API's list: newest first, keyset-paginated on (submitted_at, id), by state or not
    Index(None, "submitted_at", "id"),
    Index(None, "state", "submitted_at", "id"),
    Index(None, "submitted_by", "submitted_at"),
)

job_state_changes = Table(
    "job_state_changes",
    metadata,
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("seq", Integer, primary_key=True),
    Column("state", String(24), nullable=False),
    Column("at", Time, nullable=False),
    Column("reason", Text, nullable=False, default=""),
)

job_results = Table(
    "job_results",
    metadata,
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", Time, nullable=False),
    Column("simulator", String(200), nullable=False),
    Column("cd_nm", Float),
    Column("depth_of_focus_nm", Float),
    Column("exposure_latitude_pct", Float),
    Column("nils", Float),
    Column("signals", Json),
    Column("result", Json, nullable=False),  # the SimulationResult as JSON
    Column("artifacts", Json, nullable=False),  # name → artifact store key
)

tradeoff_predictions = Table(
    "tradeoff_predictions",
    metadata,
    Column("id", Id, primary_key=True),
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="CASCADE")),
    Column("created_at", Time, nullable=False),
    Column("model_version", String(200), nullable=False),
    Column("parameters", Json, nullable=False),
    Column("prediction", Json, nullable=False),
    Column("recommend_physics", Boolean, nullable=False),
    Index(None, "job_id"),
    Index(None, "created_at", "id"),
)

alerts = Table(
    "alerts",
    metadata,
    Column("id", Id, primary_key=True),
    Column("fired_at", Time, nullable=False),
    Column("severity", String(16), nullable=False),
    Column("source", String(64), nullable=False),
    Column("message", Text, nullable=False),
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="SET NULL")),
    Column("acknowledged_by", String(200)),
    Column("acknowledged_at", Time),
    Column("version", Integer, nullable=False),
    Index(None, "acknowledged_at", "fired_at"),
    Index(None, "job_id"),
)

model_versions = Table(
    "model_versions",
    metadata,
    Column("name", String(200), primary_key=True),
    Column("version", String(64), primary_key=True),
    Column("created_at", Time, nullable=False),
    Column("aliases", Json, nullable=False),
    Column("status", String(32), nullable=False),
    Column("metrics", Json, nullable=False),
    Column("source", Text, nullable=False, default=""),
    Column("version_lock", Integer, nullable=False),
)

fabs = Table(
    "fabs",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("links", Json, nullable=False),  # [[upstream cell id, downstream cell id], ...]
    Column("version", Integer, nullable=False),
)

litho_cells = Table(
    "litho_cells",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("fab_id", Id, ForeignKey("fabs.id", ondelete="SET NULL")),
    Column("graph", Json, nullable=False),  # equipment nodes and stream edges
    Column("version", Integer, nullable=False),
    Index(None, "fab_id"),
)

users = Table(
    "users",
    metadata,
    Column("id", Id, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("email", String(320)),
    Column("role", String(32), nullable=False),
    Column("created_at", Time, nullable=False),
    Column("disabled", Boolean, nullable=False, default=False),
    Column("password_hash", String(200)),  # Argon2; None: this user signs in with keys only
    UniqueConstraint("name"),
)

api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True),
    Column("user_id", Id, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("prefix", String(16), nullable=False),  # shown in lists: which key is which
    Column("key_hash", String(128), nullable=False),
    Column("scopes", Json, nullable=False),
    Column("created_at", Time, nullable=False),
    Column("last_used_at", Time),
    Column("revoked_at", Time),
    UniqueConstraint("key_hash"),
    Index(None, "user_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),
    Column("at", Time, nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(64), nullable=False),
    Column("entity_type", String(32), nullable=False),
    Column("entity_id", Id, nullable=False),
    Column("event_id", Id, nullable=False),
    Column("detail", Json, nullable=False),
    Index(None, "entity_type", "entity_id", "id"),
    Index(None, "at"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Serial, primary_key=True, autoincrement=True),  # publishing order
    Column("event_id", Id, nullable=False),
    Column("name", String(64), nullable=False),  # the routing key
    Column("payload", Json, nullable=False),
    Column("created_at", Time, nullable=False),
    Column("sent_at", Time),
    Column("attempts", Integer, nullable=False, default=0),
    Column("last_error", Text),
    UniqueConstraint("event_id"),
    Index(None, "sent_at", "id"),
)

idempotency_keys = Table(
    "idempotency_keys",
    metadata,
    Column("owner", String(200), primary_key=True),  # the API key's user: keys are per caller
    Column("key", String(200), primary_key=True),
    Column("method", String(8), nullable=False),
    Column("path", String(400), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("state", String(16), nullable=False),  # in_flight | done
    Column("resource_id", Id),  # the id the request creates, reserved before it runs
    Column("status_code", Integer),
    Column("response", Json),
    Column("created_at", Time, nullable=False),
    Index(None, "created_at"),
)

processed_messages = Table(
    "processed_messages",
    metadata,
    Column("consumer", String(64), primary_key=True),
    Column("message_id", Id, primary_key=True),
    Column("processed_at", Time, nullable=False),
)

training_buffer = Table(
    "training_buffer",
    metadata,
    Column("job_id", Id, ForeignKey("jobs.id", ondelete="CASCADE"), primary_key=True),
    Column("created_at", Time, nullable=False),
    Column("model_version", String(200)),  # the surrogate that predicted it, if one did
    Column("row", Json, nullable=False),  # the dataset builder's columns for this job
    Index(None, "created_at"),
)

optimisations = Table(
    "optimisations",
    metadata,
    Column("id", Id, primary_key=True),
    Column("owner", String(200), nullable=False),
    Column("state", String(16), nullable=False),  # repositories.OPTIMISATION_STATES
    Column("created_at", Time, nullable=False),
    Column("started_at", Time),
    Column("finished_at", Time),
    Column("request", Json, nullable=False),  # the problem as asked
    Column("progress", Json),  # trials done, best so far
    Column("result", Json),
    Column("error", Text),
    Index(None, "created_at", "id"),
    Index(None, "owner"),
)

ingested_results = Table(
    "ingested_results",
    metadata,
    Column("id", Id, primary_key=True),
    Column("received_at", Time, nullable=False),
    Column("source", String(200), nullable=False),  # the simulator or system that sent it
    Column("submitted_by", String(200), nullable=False),
    Column("parameters", Json, nullable=False),
    Column("result", Json, nullable=False),
    Index(None, "received_at"),
)

yield_records = Table(
    "yield_records",
    metadata,
    Column("id", Id, primary_key=True),
    Column("received_at", Time, nullable=False),
    Column("measured_at", Time, nullable=False),
    Column("lot_id", String(100), nullable=False),
    Column("wafer_id", String(100), nullable=False),
    Column("layer", String(100), nullable=False),
    Column("yield_fraction", Float, nullable=False),
    Column("record", Json, nullable=False),  # the whole validated measurement
    Column("job_id", Id),
    Column("cell_id", Id),
    Column("submitted_by", String(200), nullable=False),
    UniqueConstraint("lot_id", "wafer_id", "layer"),
    Index(None, "measured_at"),
)

__all__ = [
    "NAMING_CONVENTION",
    "alerts",
    "api_keys",
    "audit_log",
    "fabs",
    "idempotency_keys",
    "ingested_results",
    "job_results",
    "job_state_changes",
    "jobs",
    "litho_cells",
    "metadata",
    "model_versions",
    "optimisations",
    "outbox",
    "processed_messages",
    "tradeoff_predictions",
    "training_buffer",
    "users",
    "yield_records",
]
