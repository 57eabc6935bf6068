"""camera AI events (sự kiện camera AI) with snapshot references

Revision ID: 0010_camera_events
Revises: 0009_alert_conditions
Create Date: 2026-12-01 02:20:00

``sensor_camera_events``: one row per event a camera's analytics saw, unique by (device, ts,
kind) — the duplicate check of ingestion (``INSERT … ON CONFLICT DO NOTHING``) — with an index
on ``ts`` for the map's window and retention. Only this table.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import iocvn.core.models

revision = "0010_camera_events"
down_revision = "0009_alert_conditions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "sensor_camera_events",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("ts", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("confidence", sa.Float(), nullable=False),
        sa.Column("snapshot", sa.String(length=1000), nullable=False),
        sa.Column("attributes", sa.JSON(), nullable=False),
        sa.Column("received_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["device_id"],
            ["sensor_devices.id"],
            name=op.f("fk_sensor_camera_events_device_id_sensor_devices"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_camera_events")),
        sa.UniqueConstraint(
            "device_id", "ts", "kind", name=op.f("uq_sensor_camera_events_device_id")
        ),
    )
    with op.batch_alter_table("sensor_camera_events", schema=None) as batch_op:
        batch_op.create_index("ix_sensor_camera_events_ts", ["ts"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("sensor_camera_events", schema=None) as batch_op:
        batch_op.drop_index("ix_sensor_camera_events_ts")
    op.drop_table("sensor_camera_events")
