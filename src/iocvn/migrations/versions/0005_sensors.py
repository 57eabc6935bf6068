"""sensors: devices, readings (partitioned by month on PostgreSQL), rollups, latest values

Revision ID: 0005_sensors
Revises: 0004_feedback
Create Date: 2026-12-01 00:04:06.267067

On PostgreSQL ``sensor_readings`` is declaratively partitioned by range of ``ts`` (one
partition per UTC month, ``sensor_readings_YYYY_MM``, plus a default partition for instants
outside them), keyed by a unique index on (device_id, quantity, ts), with a BRIN index on
``ts``; ``iocvn_sensor_partitions(first_month, months)`` creates missing monthly partitions
(the sensors maintenance job calls it) and moves rows the default partition already holds
for such a month into it. On SQLite it is a plain table
keyed by (device, quantity, ts) without a rowid. See docs/decisions/0007-sensor-storage.md.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import iocvn.core.models

revision = "0005_sensors"
down_revision = "0004_feedback"
branch_labels = None
depends_on = None

PG_READINGS = """
CREATE TABLE sensor_readings (
    device_id integer NOT NULL,
    quantity varchar(64) NOT NULL,
    ts timestamptz NOT NULL,
    value double precision NOT NULL,
    flags smallint NOT NULL,
    received_at timestamptz NOT NULL
) PARTITION BY RANGE (ts)
"""
# The key is a unique index, not a PRIMARY KEY constraint: pg_restore --clean (iocvn restore
# --force) cannot drop a partition's inherited key constraint, and fails; an attached index is
# dropped with its table. ON CONFLICT (device_id, quantity, ts) uses either.
PG_READINGS_KEY = (
    "CREATE UNIQUE INDEX uq_sensor_readings_key ON sensor_readings (device_id, quantity, ts)"
)

PG_PARTITIONS_FUNCTION = """
CREATE OR REPLACE FUNCTION iocvn_sensor_partitions(first_month date, months integer)
RETURNS integer LANGUAGE plpgsql AS $fn$
DECLARE
    lo timestamptz;
    hi timestamptz;
    part text;
    held boolean;
    made integer := 0;
BEGIN
    FOR i IN 0..months - 1 LOOP
        lo := (date_trunc('month', first_month::timestamp) + make_interval(months => i))
              AT TIME ZONE 'UTC';
        hi := (date_trunc('month', first_month::timestamp) + make_interval(months => i + 1))
              AT TIME ZONE 'UTC';
        part := 'sensor_readings_' || to_char(lo AT TIME ZONE 'UTC', 'YYYY_MM');
        CONTINUE WHEN to_regclass(part) IS NOT NULL;
        -- A month's rows already in the default partition would make the new partition's
        -- bounds overlap it: take them out, create the partition, put them back into it.
        SELECT EXISTS (SELECT 1 FROM sensor_readings_default WHERE ts >= lo AND ts < hi)
          INTO held;
        IF held THEN
            ALTER TABLE sensor_readings DETACH PARTITION sensor_readings_default;
        END IF;
        EXECUTE format(
            'CREATE TABLE %I PARTITION OF sensor_readings FOR VALUES FROM (%L) TO (%L)',
            part, lo, hi);
        IF held THEN
            EXECUTE format(
                'INSERT INTO %I SELECT * FROM sensor_readings_default WHERE ts >= %L AND ts < %L',
                part, lo, hi);
            DELETE FROM sensor_readings_default WHERE ts >= lo AND ts < hi;
            ALTER TABLE sensor_readings ATTACH PARTITION sensor_readings_default DEFAULT;
        END IF;
        made := made + 1;
    END LOOP;
    RETURN made;
END
$fn$
"""


def _readings(postgres: bool) -> None:
    if postgres:
        op.execute(PG_READINGS)
        op.execute(PG_READINGS_KEY)
        op.execute("CREATE INDEX ix_sensor_readings_ts_brin ON sensor_readings USING brin (ts)")
        op.execute("CREATE TABLE sensor_readings_default PARTITION OF sensor_readings DEFAULT")
        op.execute(PG_PARTITIONS_FUNCTION)
        # The previous month, this one and the next three; the maintenance job keeps ahead.
        op.execute(
            "SELECT iocvn_sensor_partitions("
            "(date_trunc('month', now() AT TIME ZONE 'UTC') - interval '1 month')::date, 5)"
        )
        return
    op.create_table(
        "sensor_readings",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("ts", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("flags", sa.SmallInteger(), nullable=False),
        sa.Column("received_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "quantity", "ts", name="pk_sensor_readings"),
        sqlite_with_rowid=False,
    )


def upgrade() -> None:
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "sensor_devices",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("lon", sa.Float(), nullable=False),
        sa.Column("lat", sa.Float(), nullable=False),
        sa.Column("org_code", sa.String(length=32), nullable=False),
        sa.Column("area_code", sa.String(length=32), nullable=True),
        sa.Column("quantities", sa.JSON(), nullable=False),
        sa.Column("ranges", sa.JSON(), nullable=False),
        sa.Column("interval_s", sa.Integer(), nullable=False),
        sa.Column("calibration", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("api_key_hash", sa.String(length=64), nullable=False),
        sa.Column("key_prefix", sa.String(length=16), nullable=False),
        sa.Column("demo", sa.Boolean(), nullable=False),
        sa.Column("created_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["org_code"], ["org_units.code"], name=op.f("fk_sensor_devices_org_code_org_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sensor_devices")),
        sa.UniqueConstraint("api_key_hash", name=op.f("uq_sensor_devices_api_key_hash")),
        sa.UniqueConstraint("code", name=op.f("uq_sensor_devices_code")),
    )
    with op.batch_alter_table("sensor_devices", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_sensor_devices_area_code"), ["area_code"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_sensor_devices_kind"), ["kind"], unique=False)
        batch_op.create_index(batch_op.f("ix_sensor_devices_org_code"), ["org_code"], unique=False)
        batch_op.create_index(batch_op.f("ix_sensor_devices_status"), ["status"], unique=False)

    _readings(postgres)

    op.create_table(
        "sensor_rollups",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("step", sa.Integer(), nullable=False),
        sa.Column("bucket", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("min", sa.Float(), nullable=False),
        sa.Column("max", sa.Float(), nullable=False),
        sa.Column("sum", sa.Float(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "device_id", "quantity", "step", "bucket", name="pk_sensor_rollups"
        ),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("sensor_rollups", schema=None) as batch_op:
        batch_op.create_index("ix_sensor_rollups_step_bucket", ["step", "bucket"], unique=False)

    op.create_table(
        "sensor_latest",
        sa.Column("device_id", sa.Integer(), nullable=False),
        sa.Column("quantity", sa.String(length=64), nullable=False),
        sa.Column("ts", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("value", sa.Float(), nullable=False),
        sa.Column("flags", sa.SmallInteger(), nullable=False),
        sa.Column("received_at", iocvn.core.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("device_id", "quantity", name="pk_sensor_latest"),
        sqlite_with_rowid=False,
    )
    if postgres:
        # Rows updated in place at every reading: room on the page keeps the updates HOT.
        op.execute("ALTER TABLE sensor_rollups SET (fillfactor = 80)")
        op.execute("ALTER TABLE sensor_latest SET (fillfactor = 50)")


def downgrade() -> None:
    op.drop_table("sensor_latest")
    with op.batch_alter_table("sensor_rollups", schema=None) as batch_op:
        batch_op.drop_index("ix_sensor_rollups_step_bucket")
    op.drop_table("sensor_rollups")
    op.drop_table("sensor_readings")  # on PostgreSQL with its partitions
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS iocvn_sensor_partitions(date, integer)")
    with op.batch_alter_table("sensor_devices", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sensor_devices_status"))
        batch_op.drop_index(batch_op.f("ix_sensor_devices_org_code"))
        batch_op.drop_index(batch_op.f("ix_sensor_devices_kind"))
        batch_op.drop_index(batch_op.f("ix_sensor_devices_area_code"))
    op.drop_table("sensor_devices")
