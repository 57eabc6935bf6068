"""feedback: a handling unit's extension requests (đề nghị gia hạn), decided by the IOC

Revision ID: 0011_feedback_extension_requests
Revises: 0010_camera_events
Create Date: 2026-12-02 10:00:00

``feedback_extension_requests``: one row per request (pending, approved, refused, lapsed), with
the days asked and approved, the reason, the requesting unit and who decided when. A partial
unique index keeps at most one pending request per case (``WHERE status = 'pending'``: SQLite
and PostgreSQL both have partial indexes). Only this table; no existing row changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import iocvn.core.models

revision = "0011_feedback_extension_requests"
down_revision = "0010_camera_events"
branch_labels = None
depends_on = None

PENDING = sa.text("status = 'pending'")


def upgrade() -> None:
    op.create_table(
        "feedback_extension_requests",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("feedback_id", sa.String(length=26), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("working_days", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("org_code", sa.String(length=32), nullable=False),
        sa.Column("requested_by", sa.String(length=100), nullable=False),
        sa.Column("requested_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("decided_by", sa.String(length=100), nullable=True),
        sa.Column("decided_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("approved_days", sa.Integer(), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["feedback_id"], ["feedback.id"],
            name=op.f("fk_feedback_extension_requests_feedback_id_feedback"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_extension_requests")),
    )  # fmt: skip
    with op.batch_alter_table("feedback_extension_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_extension_requests_feedback_id"), ["feedback_id"],
            unique=False,
        )  # fmt: skip
        batch_op.create_index(
            "uq_feedback_extension_requests_pending", ["feedback_id"], unique=True,
            sqlite_where=PENDING, postgresql_where=PENDING,
        )  # fmt: skip


def downgrade() -> None:
    with op.batch_alter_table("feedback_extension_requests", schema=None) as batch_op:
        batch_op.drop_index("uq_feedback_extension_requests_pending")
        batch_op.drop_index(batch_op.f("ix_feedback_extension_requests_feedback_id"))
    op.drop_table("feedback_extension_requests")
