"""alerts: alert rules, alert instances (the engine's state), their transitions, silences

Revision ID: 0007_alerts
Revises: 0006_warnings
Create Date: 2026-12-01 00:48:53.697189
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import iocvn.core.models

revision = "0007_alerts"
down_revision = "0006_warnings"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "alert_rules",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("selector", sa.JSON(), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("op", sa.String(length=2), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("for_s", sa.Float(), nullable=False),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("scenario", sa.String(length=40), nullable=True),
        sa.Column("interval_s", sa.Float(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("org_code", sa.String(length=32), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("created_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_rules")),
    )
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_rules_device"), ["device"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_rules_enabled"), ["enabled"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_rules_org_code"), ["org_code"], unique=False)

    op.create_table(
        "alert_silences",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("matchers", sa.JSON(), nullable=False),
        sa.Column("starts_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ends_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("created_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_silences")),
    )
    with op.batch_alter_table("alert_silences", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_silences_ends_at"), ["ends_at"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_alert_silences_starts_at"), ["starts_at"], unique=False
        )

    op.create_table(
        "alert_instances",
        sa.Column("id", sa.String(length=26), nullable=False),
        sa.Column("rule_id", sa.String(length=26), nullable=False),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("labels", sa.JSON(), nullable=False),
        sa.Column("device", sa.String(length=64), nullable=True),
        sa.Column("org_code", sa.String(length=32), nullable=True),
        sa.Column("area_code", sa.String(length=32), nullable=True),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("since", iocvn.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("active_since", iocvn.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("pending_to", sa.String(length=10), nullable=True),
        sa.Column("last_eval", iocvn.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("acknowledged_by", sa.String(length=100), nullable=True),
        sa.Column("acknowledged_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.Column("ack_comment", sa.Text(), nullable=False),
        sa.Column("escalation_level", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["rule_id"], ["alert_rules.id"], name=op.f("fk_alert_instances_rule_id_alert_rules")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_instances")),
        sa.UniqueConstraint("rule_id", "fingerprint", name="uq_alert_instances_rule_fingerprint"),
    )
    with op.batch_alter_table("alert_instances", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_alert_instances_area_code"), ["area_code"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_alert_instances_fingerprint"), ["fingerprint"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alert_instances_org_code"), ["org_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_instances_rule_id"), ["rule_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_alert_instances_state"), ["state"], unique=False)

    op.create_table(
        "alert_transitions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("instance_id", sa.String(length=26), nullable=False),
        sa.Column("rule_id", sa.String(length=26), nullable=False),
        sa.Column("fingerprint", sa.String(length=16), nullable=False),
        sa.Column("from_state", sa.String(length=10), nullable=False),
        sa.Column("to_state", sa.String(length=10), nullable=False),
        sa.Column("at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("values", sa.JSON(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("notifies", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["instance_id"],
            ["alert_instances.id"],
            name=op.f("fk_alert_transitions_instance_id_alert_instances"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_alert_transitions")),
    )
    with op.batch_alter_table("alert_transitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_alert_transitions_at"), ["at"], unique=False)
        batch_op.create_index(
            "ix_alert_transitions_instance_at", ["instance_id", "at"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_alert_transitions_rule_id"), ["rule_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("alert_transitions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_transitions_rule_id"))
        batch_op.drop_index("ix_alert_transitions_instance_at")
        batch_op.drop_index(batch_op.f("ix_alert_transitions_at"))

    op.drop_table("alert_transitions")
    with op.batch_alter_table("alert_instances", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_instances_state"))
        batch_op.drop_index(batch_op.f("ix_alert_instances_rule_id"))
        batch_op.drop_index(batch_op.f("ix_alert_instances_org_code"))
        batch_op.drop_index(batch_op.f("ix_alert_instances_fingerprint"))
        batch_op.drop_index(batch_op.f("ix_alert_instances_area_code"))

    op.drop_table("alert_instances")
    with op.batch_alter_table("alert_silences", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_silences_starts_at"))
        batch_op.drop_index(batch_op.f("ix_alert_silences_ends_at"))

    op.drop_table("alert_silences")
    with op.batch_alter_table("alert_rules", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_alert_rules_org_code"))
        batch_op.drop_index(batch_op.f("ix_alert_rules_enabled"))
        batch_op.drop_index(batch_op.f("ix_alert_rules_device"))

    op.drop_table("alert_rules")
