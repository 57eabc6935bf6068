"""Upkeep: raw readings past their kind's retention and old 1-minute rollups are deleted;
on PostgreSQL partitions are created ahead and expired ones dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from iocvn.sensors import maintenance
from iocvn.sensors.ingest import ingest
from iocvn.sensors.models import Reading, Rollup
from tests.factories.sensors import NOW, device, reading


def count(session: Session, *where: object) -> int:
    return int(
        session.execute(select(func.count()).select_from(Reading).where(*where)).scalar_one()
    )  # type: ignore[arg-type]


def test_raw_readings_are_kept_per_kind_and_rollups_longer(org: Session) -> None:
    device(org, "KK-01", "air_quality")  # raw kept 730 days
    device(org, "KC-01", "water_level")  # raw kept 1825 days
    then = NOW - timedelta(days=800)
    ingest(org, [reading("KK-01", then, pm25=12.0), reading("KC-01", then, currentLevel=250.0)],
           now=then)  # fmt: skip
    ingest(org, [reading("KK-01", NOW, pm25=15.0), reading("KC-01", NOW, currentLevel=251.0)],
           now=NOW)  # fmt: skip
    org.commit()
    done = maintenance.run(org, NOW)
    assert done.readings_deleted == 1
    kept = org.execute(
        select(Reading.quantity, Reading.ts).order_by(Reading.ts, Reading.quantity)
    ).all()
    assert [(q, ts) for q, ts in kept] == [("currentLevel", then), ("currentLevel", NOW),
                                           ("pm25", NOW)]  # fmt: skip
    steps = sorted(org.execute(select(Rollup.step).where(Rollup.bucket < NOW - timedelta(days=90)))
                   .scalars())  # fmt: skip
    assert steps == [3600, 3600, 86400, 86400]  # the old minutes went, hours and days stay
    assert maintenance.run(org, NOW).readings_deleted == 0


@pytest.mark.postgres_only
def test_partitions_are_created_ahead_and_expired_ones_dropped(org: Session) -> None:
    made = maintenance.ensure_partitions(org, datetime(2031, 5, 20, tzinfo=UTC), months_ahead=2)
    assert made == 3
    names = set(org.execute(text("SELECT tablename FROM pg_tables WHERE tablename LIKE "
                                 "'sensor_readings_%'")).scalars())  # fmt: skip
    assert {
        "sensor_readings_2031_05",
        "sensor_readings_2031_07",
        "sensor_readings_default",
    } <= names
    assert maintenance.ensure_partitions(org, datetime(2031, 5, 20, tzinfo=UTC), 2) == 0
    org.execute(text("SELECT iocvn_sensor_partitions('2019-01-01', 1)"))
    org.execute(text("INSERT INTO sensor_readings VALUES (1, 'x', '2019-01-15Z', 1, 0, now())"))
    report = maintenance.MaintenanceReport()
    maintenance.prune(org, NOW, report)
    assert report.partitions_dropped == 1
    assert count(org) == 0
    org.commit()
