"""Ingestion: what is stored, flagged, ignored or rejected (with which reason), and that a good
reading is never lost beside bad ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.core import events
from iocvn.org.models import OrgUnit
from iocvn.sensors import ingest, registry
from iocvn.sensors.ingest import REJECTIONS
from iocvn.sensors.ingest import ingest as take
from iocvn.sensors.models import Device, Latest, Reading, Rollup
from tests.factories.sensors import ACTOR, DONG_KINH, NOW, device, reading


def stored(session: Session) -> list[tuple[str, datetime, float, int]]:
    rows = session.execute(
        select(Reading.quantity, Reading.ts, Reading.value, Reading.flags).order_by(
            Reading.quantity, Reading.ts
        )
    ).all()
    return [tuple(r) for r in rows]  # type: ignore[misc]


def reasons(report: ingest.IngestReport) -> list[tuple[int, str, str | None]]:
    return [(r.index, r.reason, r.quantity) for r in report.rejections]


def test_a_good_batch_is_stored_with_latest_values_and_rollups(org: Session) -> None:
    gauge, _ = device(org)
    t0 = NOW - timedelta(minutes=10)
    items = [reading("KC-LS-01", t0 + timedelta(minutes=i), currentLevel=252.0 + i / 10)
             for i in range(3)]  # fmt: skip
    report = take(org, items, now=NOW)
    org.commit()
    assert (report.items, report.accepted, report.duplicates, report.rejected) == (3, 3, 0, 0)
    assert [v for _, _, v, _ in stored(org)] == [252.0, 252.1, 252.2]
    latest = org.execute(select(Latest)).scalar_one()
    assert (latest.quantity, latest.ts, latest.value) == (
        "currentLevel",
        t0 + timedelta(minutes=2),
        252.2,
    )
    minute = org.execute(select(Rollup).where(Rollup.step == 60)).scalars().all()
    assert [(r.count, r.min, r.max) for r in minute] == [(1, 252.0, 252.0), (1, 252.1, 252.1),
                                                         (1, 252.2, 252.2)]  # fmt: skip
    hour = org.execute(select(Rollup).where(Rollup.step == 3600)).scalar_one()
    assert (hour.count, hour.min, hour.max) == (3, 252.0, 252.2)
    assert hour.sum == pytest.approx(756.3)
    org.refresh(gauge)
    assert gauge.last_seen_at == NOW


def test_an_unknown_device_is_rejected_and_counted_and_the_good_reading_kept(
    org: Session,
) -> None:
    device(org)
    before = REJECTIONS.labels("unknown_device", "http")._value.get()
    report = take(
        org,
        [reading("NOPE", NOW, currentLevel=1.0), reading("KC-LS-01", NOW, currentLevel=250.5)],
        now=NOW,
    )
    assert report.accepted == 1
    assert reasons(report) == [(0, "unknown_device", None)]
    assert report.rejections[0].device == "NOPE"
    assert REJECTIONS.labels("unknown_device", "http")._value.get() == before + 1
    assert [v for _, _, v, _ in stored(org)] == [250.5]


def test_a_device_key_writes_only_its_own_device(org: Session) -> None:
    _, key = device(org)
    device(org, "MUA-01", "rain_gauge")
    report = take(
        org,
        [reading("KC-LS-01", NOW, currentLevel=250.0), reading("MUA-01", NOW, precipitation=2.0)],
        key=key,
        now=NOW,
    )
    assert report.accepted == 1
    assert reasons(report) == [(1, "wrong_key", None)]
    report = take(org, [reading("KC-LS-01", NOW, currentLevel=250.0)], key="iocvnd_wrong", now=NOW)
    assert reasons(report) == [(0, "wrong_key", None)]


@pytest.mark.parametrize(
    ("value", "reason"),
    [("12.5", "not_a_number"), (True, "not_a_number"), (None, "not_a_number"),
     ([1], "not_a_number"), (10**400, "not_finite"), (float("nan"), "not_finite"),
     (float("inf"), "not_finite")],
)  # fmt: skip
def test_values_that_are_not_finite_numbers_are_rejected(
    org: Session, value: Any, reason: str
) -> None:
    device(org, "KK-01", "air_quality")
    report = take(org, [reading("KK-01", NOW, pm25=value, pm10=40)], now=NOW)
    assert reasons(report) == [(0, reason, "pm25")]
    assert [(q, v) for q, _, v, _ in stored(org)] == [("pm10", 40.0)]


@pytest.mark.parametrize(
    ("ts", "reason"),
    [("hôm qua", "bad_timestamp"), (1764471600, "bad_timestamp"), (None, "bad_timestamp"),
     ("2026-13-01T00:00:00Z", "bad_timestamp"), ("0001-01-01T00:00:00+01:00", "bad_timestamp"),
     ((NOW + timedelta(minutes=6)).isoformat(), "ts_in_future"),
     ((NOW - timedelta(days=6 * 365)).isoformat(), "ts_too_old")],
)  # fmt: skip
def test_bad_timestamps_are_rejected(org: Session, ts: Any, reason: str) -> None:
    device(org)
    report = take(org, [{"device": "KC-LS-01", "ts": ts, "values": {"currentLevel": 1}}], now=NOW)
    assert reasons(report) == [(0, reason, None)]
    assert report.accepted == 0


def test_timestamps_with_offsets_or_none_are_utc_and_the_near_future_is_accepted(
    org: Session,
) -> None:
    device(org)
    items = [
        reading("KC-LS-01", "2026-11-30T09:00:00+07:00", currentLevel=1),  # 02:00Z
        reading("KC-LS-01", "2026-11-30T02:30:00", currentLevel=2),  # no offset: UTC
        reading("KC-LS-01", "2026-11-30T02:45:00Z", currentLevel=3),
        reading("KC-LS-01", NOW + timedelta(minutes=4), currentLevel=4),
    ]
    assert take(org, items, now=NOW).accepted == 4
    assert [ts for _, ts, _, _ in stored(org)] == [
        datetime(2026, 11, 30, 2, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 2, 30, tzinfo=UTC),
        datetime(2026, 11, 30, 2, 45, tzinfo=UTC),
        NOW + timedelta(minutes=4),
    ]


def test_out_of_range_values_are_stored_and_flagged(org: Session) -> None:
    device(org, "KK-01", "air_quality", ranges={"pm25": [0, 500], "relativeHumidity": [0, 1]})
    report = take(org, [reading("KK-01", NOW, pm25=900.0, relativeHumidity=0.5)], now=NOW)
    assert (report.accepted, report.flagged, report.rejected) == (2, 1, 0)
    assert [(q, f) for q, _, _, f in stored(org)] == [("pm25", 1), ("relativeHumidity", 0)]
    latest = org.execute(select(Latest).where(Latest.quantity == "pm25")).scalar_one()
    assert latest.flags == 1


def test_late_and_out_of_order_readings_are_accepted_and_latest_never_goes_back(
    org: Session,
) -> None:
    device(org)
    take(org, [reading("KC-LS-01", NOW, currentLevel=253.0)], now=NOW)
    late = take(org, [reading("KC-LS-01", NOW - timedelta(hours=30), currentLevel=251.0),
                      reading("KC-LS-01", NOW - timedelta(hours=1), currentLevel=252.0)],
                now=NOW)  # fmt: skip
    assert late.accepted == 2
    assert org.execute(select(Latest.value)).scalar_one() == 253.0
    assert len(stored(org)) == 3


def test_duplicates_are_ignored_and_not_counted_twice_in_rollups(org: Session) -> None:
    device(org)
    first = take(org, [reading("KC-LS-01", NOW, currentLevel=253.0)] * 2, now=NOW)
    assert (first.accepted, first.duplicates) == (1, 1)
    again = take(org, [reading("KC-LS-01", NOW, currentLevel=999.0),
                       reading("KC-LS-01", NOW + timedelta(seconds=1), currentLevel=254.0)],
                 now=NOW + timedelta(seconds=2))  # fmt: skip
    assert (again.accepted, again.duplicates, again.rejected) == (1, 1, 0)
    assert [v for _, _, v, _ in stored(org)] == [253.0, 254.0]  # the first value stays
    day = org.execute(select(Rollup).where(Rollup.step == 86400)).scalar_one()
    assert (day.count, day.sum, day.max) == (2, 507.0, 254.0)


def test_items_that_are_not_readings_are_rejected_item_by_item(org: Session) -> None:
    device(org)
    device(org, "OLD-01", "rain_gauge")
    registry.retire(org, ACTOR, org.execute(select(Device).where(Device.code == "OLD-01"))
                    .scalar_one(), None)  # fmt: skip
    items: list[Any] = [
        "not an object",
        {"device": 12, "ts": NOW.isoformat(), "values": {"currentLevel": 1}},
        {"device": "KC-LS-01", "ts": NOW.isoformat(), "values": {}},
        {"device": "KC-LS-01", "ts": NOW.isoformat(), "values": [1, 2]},
        {"device": "KC-LS-01", "ts": NOW.isoformat(), "values": {"flow": 3.0}},
        {"device": "OLD-01", "ts": NOW.isoformat(), "values": {"precipitation": 1}},
        ("KC-LS-01", NOW, {"currentLevel": 252.5}),  # the tuple form of MQTT adapters
    ]
    report = take(org, items, now=NOW)
    assert reasons(report) == [
        (0, "item_not_object", None), (1, "bad_device", None), (2, "no_values", None),
        (3, "no_values", None), (4, "unknown_quantity", "flow"), (5, "device_retired", None),
    ]  # fmt: skip
    assert report.accepted == 1


def test_a_staff_caller_writes_only_devices_in_its_scope(org: Session) -> None:
    device(org, "DK-01", "weather", org="05977", at=DONG_KINH)
    device(org, "KL-01", "weather", org="06187")
    commune = OrgScope.of(org.get(OrgUnit, "05977"))  # type: ignore[arg-type]
    items = [reading("DK-01", NOW, temperature=21.0), reading("KL-01", NOW, temperature=22.0)]
    report = take(org, items, scope=commune, now=NOW)
    assert report.accepted == 1
    assert reasons(report) == [(1, "out_of_scope", None)]


def test_stored_readings_are_published_with_the_session(org: Session) -> None:
    device(org)
    got: list[events.Event] = []
    events.subscribe(ingest.EVENT, got.append)
    try:
        take(org, [reading("KC-LS-01", NOW, currentLevel=253.0)] * 2, now=NOW)
        take(org, [reading("KC-LS-01", NOW, currentLevel=253.0)], now=NOW)  # nothing new
    finally:
        events.unsubscribe(ingest.EVENT, got.append)
    assert len(got) == 1
    assert got[0].payload["session"] is org
    assert got[0].payload["readings"] == [
        {"device": "KC-LS-01", "quantity": "currentLevel", "ts": NOW, "value": 253.0,
         "out_of_range": False}
    ]  # fmt: skip


def test_a_device_registered_elsewhere_is_found_at_once(org: Session) -> None:
    device(org)
    assert take(org, [reading("KC-LS-01", NOW, currentLevel=1)], now=NOW).accepted == 1
    device(org, "MUA-02", "rain_gauge")  # (another process would not clear our directory)
    assert take(org, [reading("MUA-02", NOW, precipitation=0.5)], now=NOW).accepted == 1


def test_codes_no_device_can_have_are_unknown_without_asking_the_database(org: Session) -> None:
    device(org)
    items = [reading("KC\x00-01", NOW, currentLevel=1), reading("x" * 500, NOW, currentLevel=1),
             reading("KC-LS-01", NOW, currentLevel=252.0)]  # fmt: skip
    report = take(org, items, now=NOW)
    assert reasons(report) == [(0, "unknown_device", None), (1, "unknown_device", None)]
    assert report.accepted == 1
