"""the REST API's tables

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

Users may sign in with a password (Argon2 hash); an idempotency key reserves the id of what it
creates; optimisation runs; results of simulations run elsewhere and wafer yield measurements,
as ingested.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.String(length=64)
Time = sa.DateTime(timezone=True)


def json() -> sa.types.TypeEngine[object]:
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.add_column("users", sa.Column("password_hash", sa.String(length=200), nullable=True))
    op.add_column("idempotency_keys", sa.Column("resource_id", Id, nullable=True))

    op.create_table(
        "optimisations",
        sa.Column("id", Id, nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("created_at", Time, nullable=False),
        sa.Column("started_at", Time, nullable=True),
        sa.Column("finished_at", Time, nullable=True),
        sa.Column("request", json(), nullable=False),
        sa.Column("progress", json(), nullable=True),
        sa.Column("result", json(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_optimisations")),
    )
    op.create_index(
        op.f("ix_optimisations_created_at_id"), "optimisations", ["created_at", "id"]
    )
    op.create_index(op.f("ix_optimisations_owner"), "optimisations", ["owner"])

    op.create_table(
        "ingested_results",
        sa.Column("id", Id, nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.Column("source", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.Column("parameters", json(), nullable=False),
        sa.Column("result", json(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingested_results")),
    )
    op.create_index(
        op.f("ix_ingested_results_received_at"), "ingested_results", ["received_at"]
    )

    op.create_table(
        "yield_records",
        sa.Column("id", Id, nullable=False),
        sa.Column("received_at", Time, nullable=False),
        sa.Column("measured_at", Time, nullable=False),
        sa.Column("lot_id", sa.String(length=100), nullable=False),
        sa.Column("wafer_id", sa.String(length=100), nullable=False),
        sa.Column("layer", sa.String(length=100), nullable=False),
        sa.Column("yield_fraction", sa.Float(), nullable=False),
        sa.Column("record", json(), nullable=False),
        sa.Column("job_id", Id, nullable=True),
        sa.Column("cell_id", Id, nullable=True),
        sa.Column("submitted_by", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_yield_records")),
        sa.UniqueConstraint(
            "lot_id", "wafer_id", "layer", name=op.f("uq_yield_records_lot_id_wafer_id_layer")
        ),
    )
    op.create_index(op.f("ix_yield_records_measured_at"), "yield_records", ["measured_at"])


def downgrade() -> None:
    for table in ("yield_records", "ingested_results", "optimisations"):
        op.drop_table(table)
    with op.batch_alter_table("idempotency_keys") as batch:
        batch.drop_column("resource_id")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("password_hash")
