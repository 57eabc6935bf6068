"""alert rules with richer conditions over devices, groups and areas; violation log

Revision ID: 0009_alert_conditions
Revises: 0008_alert_notify
Create Date: 2026-12-01 02:20:00

Conditions: thresholds, rates of change, absences and their combinations. ``alert_rules``
gains ``condition`` (the engine's condition as JSON) and ``no_data_state``; its flat
``quantity``, ``op`` and ``value`` become nullable (a rule that is not a plain threshold has
none). Existing rows keep working unchanged: without ``condition`` a rule is the threshold of
its flat columns. ``alert_violations`` is the violation log. Downgrading fails while a rule
without flat columns exists (it could not be represented).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import iocvn.core.models

revision = "0009_alert_conditions"
down_revision = "0008_alert_notify"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.add_column(sa.Column("condition", sa.JSON(), nullable=True))
        batch_op.add_column(
            sa.Column("no_data_state", sa.String(length=8), server_default="NoData",
                      nullable=False)
        )  # fmt: skip
        batch_op.alter_column("quantity", existing_type=sa.String(length=64), nullable=True)
        batch_op.alter_column("op", existing_type=sa.String(length=2), nullable=True)
        batch_op.alter_column("value", existing_type=sa.Float(), nullable=True)

    op.create_table(
        "alert_violations",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("rule_id", sa.String(length=26), nullable=False),
        sa.Column("instance_id", sa.String(length=26), nullable=False),
        sa.Column("rule_name", sa.String(length=200), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("org_code", sa.String(length=32), nullable=True),
        sa.Column("area_code", sa.String(length=32), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=True),
        sa.Column("op", sa.String(length=2), nullable=True),
        sa.Column("limit_value", sa.Float(), nullable=True),
        sa.Column("unit", sa.String(length=32), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("exceeded", sa.JSON(), nullable=False),
        sa.Column("peak_value", sa.Float(), nullable=True),
        sa.Column("started_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("fired_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"], ["alert_instances.id"],
            name=op.f("fk_alert_violations_instance_id_alert_instances"),
        ),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_alert_violations_rule_id_alert_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_violations")),
        sa.UniqueConstraint("instance_id", "fired_at", name="uq_alert_violations_instance_fired"),
    )  # fmt: skip
    with op.batch_alter_table("alert_violations", schema=None) as batch_op:
        batch_op.create_index("ix_alert_violations_started_at", ["started_at"], unique=False)
        for column in ("area_code", "device", "instance_id", "org_code", "rule_id"):
            batch_op.create_index(
                batch_op.f(f"ix_alert_violations_{column}"), [column], unique=False
            )


def downgrade() -> None:
    op.drop_table("alert_violations")
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.alter_column("value", existing_type=sa.Float(), nullable=False)
        batch_op.alter_column("op", existing_type=sa.String(length=2), nullable=False)
        batch_op.alter_column("quantity", existing_type=sa.String(length=64), nullable=False)
        batch_op.drop_column("no_data_state")
        batch_op.drop_column("condition")
