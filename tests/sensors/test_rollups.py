"""Rollups: the buckets (a day starts at midnight in Vietnam), and the property that the
stored rollups equal the aggregates computed directly from the readings, whatever the batches,
their order, lateness and duplicates."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from iocvn.sensors import rollups
from iocvn.sensors.ingest import ingest
from iocvn.sensors.models import Latest, Reading, Rollup
from tests.factories.sensors import NOW, device, reading

START = NOW - timedelta(days=3)


def test_buckets_of_each_step() -> None:
    ts = datetime(2026, 11, 30, 16, 59, 59, 500000, tzinfo=UTC)  # 23:59:59 in Vietnam
    assert rollups.bucket_of(ts, 60) == datetime(2026, 11, 30, 16, 59, tzinfo=UTC)
    assert rollups.bucket_of(ts, 3600) == datetime(2026, 11, 30, 16, 0, tzinfo=UTC)
    assert rollups.bucket_of(ts, 86400) == datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    midnight = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 00:00 on 1 December in Vietnam
    assert rollups.bucket_of(midnight, 86400) == midnight


Bucket = tuple[int, str, int, datetime]


def direct(
    readings: list[tuple[int, str, datetime, float]],
) -> dict[Bucket, tuple[float, float, float, int]]:
    """Aggregates computed the plain way: calendar arithmetic, no bucket_start."""
    groups: dict[Bucket, list[float]] = defaultdict(list)
    vn = timedelta(hours=7)
    for d, q, ts, v in readings:
        groups[(d, q, 60, ts.replace(second=0, microsecond=0))].append(v)
        groups[(d, q, 3600, ts.replace(minute=0, second=0, microsecond=0))].append(v)
        local_day = (ts + vn).replace(hour=0, minute=0, second=0, microsecond=0)
        groups[(d, q, 86400, local_day - vn)].append(v)
    return {k: (min(v), max(v), sum(v), len(v)) for k, v in groups.items()}


readings_strategy = st.lists(
    st.tuples(
        st.integers(1, 2),
        st.sampled_from(["pm25", "pm10"]),
        st.integers(0, 3 * 86400 - 1).map(lambda s: START + timedelta(seconds=s)),
        st.integers(-1000, 100_000).map(lambda n: n / 100),
    ),
    max_size=60,
)


@given(readings_strategy, st.integers(1, 4))
def test_aggregates_of_parts_combine_into_the_aggregate_of_the_whole(
    readings: list[tuple[int, str, datetime, float]], parts: int
) -> None:
    whole = rollups.aggregate(readings)
    merged: dict[rollups.Key, rollups.Agg] = {}
    for i in range(parts):
        for key, agg in rollups.aggregate(readings[i::parts]).items():
            merged[key] = rollups.combine(merged[key], agg) if key in merged else agg
    assert merged.keys() == whole.keys()
    for key, agg in whole.items():
        assert (merged[key].min, merged[key].max, merged[key].count) == (
            agg.min,
            agg.max,
            agg.count,
        )
        assert merged[key].sum == pytest.approx(agg.sum)


@pytest.fixture
def two_devices(org: Session) -> dict[int, str]:
    first, _ = device(org, "KK-01", "air_quality")
    second, _ = device(org, "KK-02", "air_quality")
    return {1: first.id, 2: second.id}


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(readings=readings_strategy, batch=st.integers(1, 25), data=st.data())
def test_stored_rollups_equal_the_aggregates_of_the_stored_readings(
    org: Session,
    two_devices: dict[int, str],
    readings: list[tuple[int, str, datetime, float]],
    batch: int,
    data: st.DataObject,
) -> None:
    for table in (Reading, Rollup, Latest):
        org.execute(delete(table))
    code = {1: "KK-01", 2: "KK-02"}
    items = [reading(code[d], ts, **{q: v}) for d, q, ts, v in readings]
    items += data.draw(st.lists(st.sampled_from(items), max_size=10)) if items else []  # repeats
    order = data.draw(st.permutations(items))
    for i in range(0, len(order), batch):
        ingest(org, order[i : i + batch], now=NOW)
    kept = org.execute(select(Reading.device_id, Reading.quantity, Reading.ts, Reading.value)).all()
    expected = direct([tuple(r) for r in kept])  # type: ignore[misc]
    rows = org.execute(select(Rollup)).scalars().all()
    got = {
        (r.device_id, r.quantity, r.step, r.bucket): (r.min, r.max, r.sum, r.count) for r in rows
    }
    assert got.keys() == expected.keys()
    for key, (lo, hi, total, count) in expected.items():
        assert got[key][0] == lo and got[key][1] == hi and got[key][3] == count
        assert got[key][2] == pytest.approx(total)
    # every distinct (device, quantity, ts) stored once, with the first value that arrived
    assert len(kept) == len({(d, q, ts) for d, q, ts, _ in readings})
    org.rollback()
