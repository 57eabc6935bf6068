"""Upkeep of the readings store, run by ``iocvn serve`` every hour and by
``iocvn sensors maintain``: monthly partitions created ahead (PostgreSQL), raw readings past
their kind's retention deleted, rollups past theirs deleted (1-minute ones after 90 days,
hourly after 10 years, daily never), camera events past the camera kind's retention.

On PostgreSQL a monthly partition whose every reading is past the longest raw retention is
dropped whole (instant, no dead rows to vacuum) before the per-series deletes. Deletes go
series by series (device, quantity), each a range at the start of its key, so a run costs
what it deletes, not the size of the table.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, text
from sqlalchemy.orm import Session, sessionmaker

from iocvn.core import jobs as background
from iocvn.core.jobs import Loop
from iocvn.core.timeutil import utcnow
from iocvn.sensors.kinds import KINDS, ROLLUP_DAYS
from iocvn.sensors.models import Device, Latest, Reading, Rollup
from iocvn.sensors.models_events import CameraEvent

log = logging.getLogger("iocvn.sensors")
MONTHS_AHEAD = 3
LOCK_KEY = 4_050_001  # pg_try_advisory_xact_lock key of the maintenance loop
_PARTITION = re.compile(r"^sensor_readings_(\d{4})_(\d{2})$")


@dataclass
class MaintenanceReport:
    """What one run did."""

    partitions_created: int = 0
    partitions_dropped: int = 0
    readings_deleted: int = 0
    rollups_deleted: int = 0
    events_deleted: int = 0


def ensure_partitions(session: Session, now: datetime, months_ahead: int = MONTHS_AHEAD) -> int:
    """Create this month's partition and the next ``months_ahead`` (PostgreSQL; 0 elsewhere)."""
    if session.get_bind().dialect.name != "postgresql":
        return 0
    first = now.astimezone(UTC).date().replace(day=1)
    made = session.execute(
        text("SELECT iocvn_sensor_partitions(:first, :months)"),
        {"first": first, "months": months_ahead + 1},
    ).scalar_one()
    return int(made)


def _drop_expired_partitions(session: Session, cutoff: datetime) -> int:
    """Drop monthly partitions that end before ``cutoff`` (PostgreSQL)."""
    names = session.execute(
        text(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'sensor_readings'::regclass"
        )
    ).scalars()
    dropped = 0
    for name in names:
        match = _PARTITION.match(name)
        if match is None:
            continue  # the default partition
        year, month = int(match[1]), int(match[2])
        end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
        if end <= cutoff:
            session.execute(text(f'DROP TABLE "{name}"'))  # a name matched above
            dropped += 1
    return dropped


def prune(session: Session, now: datetime, report: MaintenanceReport) -> None:
    """Delete raw readings and rollups past their retention."""
    if session.get_bind().dialect.name == "postgresql":
        longest = max(k.raw_days for k in KINDS.values())
        report.partitions_dropped = _drop_expired_partitions(session, now - timedelta(longest))
    kinds: dict[int, str] = dict(session.execute(select(Device.id, Device.kind)).all())
    series = sorted((d, q) for d, q in session.execute(select(Latest.device_id, Latest.quantity)))
    for device_id, quantity in series:
        kind = KINDS.get(kinds.get(device_id, ""))
        if kind is None:
            continue
        done = session.execute(
            delete(Reading).where(
                Reading.device_id == device_id,
                Reading.quantity == quantity,
                Reading.ts < now - timedelta(days=kind.raw_days),
            )
        )
        report.readings_deleted += int(done.rowcount or 0)  # type: ignore[attr-defined]
    for step, days in ROLLUP_DAYS.items():
        if days is None:
            continue
        done = session.execute(
            delete(Rollup).where(Rollup.step == step, Rollup.bucket < now - timedelta(days=days))
        )
        report.rollups_deleted += int(done.rowcount or 0)  # type: ignore[attr-defined]
    # Camera events are kept as long as the raw readings of cameras.
    expired = now - timedelta(days=KINDS["camera"].raw_days)
    done = session.execute(delete(CameraEvent).where(CameraEvent.ts < expired))
    report.events_deleted = int(done.rowcount or 0)  # type: ignore[attr-defined]


def run(session: Session, now: datetime) -> MaintenanceReport:
    """Partitions ahead, then retention: one run in the caller's transaction."""
    report = MaintenanceReport(partitions_created=ensure_partitions(session, now))
    prune(session, now, report)
    return report


def run_once(sessions: sessionmaker[Session], now: datetime) -> MaintenanceReport | None:
    """One run in its own transaction (one node at a time on PostgreSQL); errors logged."""
    report = background.run_locked(sessions, LOCK_KEY, lambda session: run(session, now), log)
    if report is not None and (
        report.readings_deleted
        or report.events_deleted
        or report.partitions_created
        or report.partitions_dropped
    ):
        log.info("sensors maintenance", extra=vars(report))
    return report


def maintenance_loop(sessions: sessionmaker[Session], interval: float = 3600) -> Loop:
    """The loop of ``iocvn serve``: at start, then every ``interval`` seconds (not started)."""
    return Loop("iocvn-sensors", interval, lambda: run_once(sessions, utcnow()), at_start=True)
