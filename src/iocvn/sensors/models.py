"""Tables of the sensors domain: devices (thiết bị quan trắc), their readings, the rollups
charts read, and each quantity's latest value.

Readings are built for volume (docs/decisions/0007-sensor-storage.md): a narrow row keyed by
(device, quantity, ts) — the key doubles as the duplicate check — with the device as an
integer; on PostgreSQL the table is partitioned by month and keyed by a unique index instead
of a primary-key constraint (both made by the migration, not by this metadata), with a BRIN
index on ``ts``. Readings, rollups and latest values carry no
foreign key to the device: a device is retired, never deleted, and ingestion resolves every
device before it writes, so the per-row check would only slow the hot path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    PrimaryKeyConstraint,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow

OUT_OF_RANGE = 1  # Reading.flags bit: outside the device's valid range (stored, not dropped)


class Device(Base):
    """A sensor or camera: what it measures, where, who answers for it, and its key."""

    __tablename__ = "sensor_devices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(20), index=True)
    name: Mapped[str] = mapped_column(String(200))
    lon: Mapped[float] = mapped_column(Float)
    lat: Mapped[float] = mapped_column(Float)
    org_code: Mapped[str] = mapped_column(ForeignKey("org_units.code"), index=True)
    # The commune the device stands in (from lon/lat), for communes' scope; None outside.
    area_code: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    quantities: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # name → unit
    ranges: Mapped[dict[str, list[float | None]]] = mapped_column(JSON, default=dict)
    interval_s: Mapped[int] = mapped_column(Integer, default=300)
    calibration: Mapped[str] = mapped_column(Text, default="")
    owner: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="active", index=True)
    api_key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    key_prefix: Mapped[str] = mapped_column(String(16), default="")
    demo: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    def snapshot(self) -> dict[str, Any]:
        """The audited fields (never the key)."""
        return {
            "code": self.code, "kind": self.kind, "name": self.name, "lon": self.lon,
            "lat": self.lat, "org_unit": self.org_code, "quantities": dict(self.quantities),
            "ranges": dict(self.ranges), "interval_s": self.interval_s,
            "calibration": self.calibration, "owner": self.owner, "status": self.status,
        }  # fmt: skip


class Reading(Base):
    """One measured value (số đo): a device's quantity at an instant, in UTC."""

    __tablename__ = "sensor_readings"

    device_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
    flags: Mapped[int] = mapped_column(SmallInteger, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        PrimaryKeyConstraint("device_id", "quantity", "ts", name="pk_sensor_readings"),
        # PostgreSQL only (the migration): BRIN on ts over the monthly partitions.
        Index("ix_sensor_readings_ts_brin", "ts", postgresql_using="brin").ddl_if(
            dialect="postgresql"
        ),
        {"sqlite_with_rowid": False},  # one B-tree (the key) instead of two
    )


class Rollup(Base):
    """Aggregates of one quantity of one device over a bucket of ``step`` seconds (60, 3600
    or 86400; days start at midnight in Vietnam), kept up to date as readings arrive."""

    __tablename__ = "sensor_rollups"

    device_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[str] = mapped_column(String(64))
    step: Mapped[int] = mapped_column(Integer)
    bucket: Mapped[datetime] = mapped_column(UTCDateTime)
    min: Mapped[float] = mapped_column(Float)
    max: Mapped[float] = mapped_column(Float)
    sum: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)

    __table_args__ = (
        PrimaryKeyConstraint("device_id", "quantity", "step", "bucket", name="pk_sensor_rollups"),
        Index("ix_sensor_rollups_step_bucket", "step", "bucket"),
        {"sqlite_with_rowid": False},
    )


class Latest(Base):
    """The newest reading (by ``ts``) of each quantity of each device."""

    __tablename__ = "sensor_latest"

    device_id: Mapped[int] = mapped_column(Integer)
    quantity: Mapped[str] = mapped_column(String(64))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    value: Mapped[float] = mapped_column(Float)
    flags: Mapped[int] = mapped_column(SmallInteger, default=0)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        PrimaryKeyConstraint("device_id", "quantity", name="pk_sensor_latest"),
        {"sqlite_with_rowid": False},
    )
