"""alert notification: contact points, notification groups, escalation ladder

Revision ID: 0008_alert_notify
Revises: 0007_alerts
Create Date: 2026-12-01 02:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import iocvn.core.models

revision = "0008_alert_notify"
down_revision = "0007_alerts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_contact_points",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("channel", sa.String(length=32), nullable=False),
        sa.Column("destination", sa.Text(), nullable=False),
        sa.Column("destination_masked", sa.String(length=200), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("min_severity", sa.String(length=10), nullable=False),
        sa.Column("group_by", sa.JSON(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.Column("org_code", sa.String(length=32), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_contact_points")),
    )
    with op.batch_alter_table("alert_contact_points", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_contact_points_enabled"), ["enabled"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alert_contact_points_escalation_level"),
            ["escalation_level"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_alert_contact_points_org_code"), ["org_code"], unique=False
        )

    op.create_table(
        "alert_group_states",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("receiver", sa.String(length=64), nullable=False),
        sa.Column("group_key", sa.String(length=64), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("created_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("flushed_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("notified", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_group_states")),
        sa.UniqueConstraint("receiver", "group_key", name="uq_alert_group_states_receiver_key"),
    )
    with op.batch_alter_table("alert_group_states", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_group_states_receiver"), ["receiver"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("alert_group_states", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_group_states_receiver"))
    op.drop_table("alert_group_states")
    with op.batch_alter_table("alert_contact_points", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_contact_points_org_code"))
        batch_op.drop_index(batch_op.f("ix_alert_contact_points_escalation_level"))
        batch_op.drop_index(batch_op.f("ix_alert_contact_points_enabled"))
    op.drop_table("alert_contact_points")
