"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-12-03

Jobs and their history, results, predictions, alerts, the model registry's mirror, fabs and
litho cells, users and API keys, the audit log, the outbox, the idempotency keys, processed
messages and the training buffer.

The column types are written out here, not imported from ``orm.py``: a migration is a frozen
record of the schema at its revision, and ``orm.py`` moves on. Names follow the naming
convention of ``orm.metadata`` (``op.f`` marks them as final).
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.String(length=64)
Time = sa.DateTime(timezone=True)


def json() -> sa.types.TypeEngine[object]:
    """JSON, stored as JSONB on PostgreSQL."""
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def serial() -> sa.types.TypeEngine[int]:
    """BIGSERIAL on PostgreSQL; SQLite autoincrements INTEGER PRIMARY KEY only."""
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "jobs",
        sa.Column("id", Id, nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("submitted_at", Time, nullable=False),
        sa.Column("updated_at", Time, nullable=False),
        sa.Column("profile", sa.String(length=64), nullable=True),
        sa.Column("job_class", sa.String(length=16), nullable=False),
        sa.Column("priority", sa.Integer(), nullable=False),
        sa.Column("parameters", json(), nullable=False),
        sa.Column("rejection", json(), nullable=False),
        sa.Column("blocked_reason", sa.Text(), nullable=False),
        sa.Column("alternative", json(), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("prediction", json(), nullable=True),
        sa.Column("preflight_note", sa.Text(), nullable=False),
        sa.Column("worker_id", sa.String(length=200), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("evaluation", json(), nullable=True),
        sa.Column("reviewed_by", sa.String(length=200), nullable=False),
        sa.Column("review_note", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_jobs")),
    )
    op.create_index(op.f("ix_jobs_submitted_at_id"), "jobs", ["submitted_at", "id"])
    op.create_index(op.f("ix_jobs_state_submitted_at_id"), "jobs", ["state", "submitted_at", "id"])
    op.create_index(
        op.f("ix_jobs_submitted_by_submitted_at"), "jobs", ["submitted_by", "submitted_at"]
    )

    op.create_table(
        "job_state_changes",
        sa.Column("job_id", Id, nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_job_state_changes_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", "seq", name=op.f("pk_job_state_changes")),
    )

    op.create_table(
        "job_results",
        sa.Column("job_id", Id, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("simulator", sa.String(length=200), nullable=False),
        sa.Column("cd_nm", sa.Float(), nullable=True),
        sa.Column("depth_of_focus_nm", sa.Float(), nullable=True),
        sa.Column("exposure_latitude_pct", sa.Float(), nullable=True),
        sa.Column("nils", sa.Float(), nullable=True),
        sa.Column("signals", json(), nullable=True),
        sa.Column("result", json(), nullable=False),
        sa.Column("artifacts", json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_job_results_job_id_jobs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_job_results")),
    )

    op.create_table(
        "tradeoff_predictions",
        sa.Column("id", Id, nullable=False),
        sa.Column("job_id", Id, nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=False),
        sa.Column("parameters", json(), nullable=False),
        sa.Column("prediction", json(), nullable=False),
        sa.Column("recommend_physics", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_tradeoff_predictions_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tradeoff_predictions")),
    )
    op.create_index(op.f("ix_tradeoff_predictions_job_id"), "tradeoff_predictions", ["job_id"])
    op.create_index(
        op.f("ix_tradeoff_predictions_created_at_id"), "tradeoff_predictions", ["created_at", "id"]
    )

    op.create_table(
        "alerts",
        sa.Column("id", Id, nullable=False),
        sa.Column("fired_at", Time, nullable=False),
        sa.Column("severity", sa.String(length=16), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("job_id", Id, nullable=True),
        sa.Column("acknowledged_by", sa.String(length=200), nullable=True),
        sa.Column("acknowledged_at", Time, nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"], ["jobs.id"], name=op.f("fk_alerts_job_id_jobs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alerts")),
    )
    op.create_index(
        op.f("ix_alerts_acknowledged_at_fired_at"), "alerts", ["acknowledged_at", "fired_at"]
    )
    op.create_index(op.f("ix_alerts_job_id"), "alerts", ["job_id"])

    op.create_table(
        "model_versions",
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=64), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("aliases", json(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("metrics", json(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("version_lock", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", name=op.f("pk_model_versions")),
    )

    op.create_table(
        "fabs",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("links", json(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fabs")),
    )

    op.create_table(
        "litho_cells",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fab_id", Id, nullable=True),
        sa.Column("graph", json(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["fab_id"], ["fabs.id"], name=op.f("fk_litho_cells_fab_id_fabs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_litho_cells")),
    )
    op.create_index(op.f("ix_litho_cells_fab_id"), "litho_cells", ["fab_id"])

    op.create_table(
        "users",
        sa.Column("id", Id, nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=320), nullable=True),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("name", name=op.f("uq_users_name")),
    )

    op.create_table(
        "api_keys",
        sa.Column("id", Id, nullable=False),
        sa.Column("user_id", Id, nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=128), nullable=False),
        sa.Column("scopes", json(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("last_used_at", Time, nullable=True),
        sa.Column("revoked_at", Time, nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_api_keys_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    op.create_index(op.f("ix_api_keys_user_id"), "api_keys", ["user_id"])

    op.create_table(
        "audit_log",
        sa.Column("id", serial(), autoincrement=True, nullable=False),
        sa.Column("at", Time, nullable=False),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=64), nullable=False),
        sa.Column("entity_type", sa.String(length=32), nullable=False),
        sa.Column("entity_id", Id, nullable=False),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("detail", json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_log")),
    )
    op.create_index(
        op.f("ix_audit_log_entity_type_entity_id_id"),
        "audit_log",
        ["entity_type", "entity_id", "id"],
    )
    op.create_index(op.f("ix_audit_log_at"), "audit_log", ["at"])

    op.create_table(
        "outbox",
        sa.Column("id", serial(), autoincrement=True, nullable=False),
        sa.Column("event_id", Id, nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("payload", json(), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("sent_at", Time, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("event_id", name=op.f("uq_outbox_event_id")),
    )
    op.create_index(op.f("ix_outbox_sent_at_id"), "outbox", ["sent_at", "id"])

    op.create_table(
        "idempotency_keys",
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=8), nullable=False),
        sa.Column("path", sa.String(length=400), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("status_code", sa.Integer(), nullable=True),
        sa.Column("response", json(), nullable=True),
        sa.Column("created_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("owner", "key", name=op.f("pk_idempotency_keys")),
    )
    op.create_index(op.f("ix_idempotency_keys_created_at"), "idempotency_keys", ["created_at"])

    op.create_table(
        "processed_messages",
        sa.Column("consumer", sa.String(length=64), nullable=False),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("processed_at", Time, nullable=False),
        sa.PrimaryKeyConstraint("consumer", "message_id", name=op.f("pk_processed_messages")),
    )

    op.create_table(
        "training_buffer",
        sa.Column("job_id", Id, nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("model_version", sa.String(length=200), nullable=True),
        sa.Column("row", json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["job_id"],
            ["jobs.id"],
            name=op.f("fk_training_buffer_job_id_jobs"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("job_id", name=op.f("pk_training_buffer")),
    )
    op.create_index(op.f("ix_training_buffer_created_at"), "training_buffer", ["created_at"])


# children before their parents; a table's indexes, constraints and sequences go with it
TABLES = (
    "training_buffer",
    "processed_messages",
    "idempotency_keys",
    "outbox",
    "audit_log",
    "api_keys",
    "users",
    "litho_cells",
    "fabs",
    "model_versions",
    "alerts",
    "tradeoff_predictions",
    "job_results",
    "job_state_changes",
    "jobs",
)


def downgrade() -> None:
    for table in TABLES:
        op.drop_table(table)
