"""Writing checked readings: insert them (duplicates skipped), merge them into the rollups,
move latest values forward; returns the readings really inserted. Nothing here checks input
(that is :mod:`.ingest`); nothing here commits.

Two implementations of the same effect (docs/decisions/0007-sensor-storage.md):

- PostgreSQL: one statement per batch. The batch travels as six arrays (``unnest``), and
  data-modifying CTEs insert the readings, aggregate the inserted ones into the three rollup
  steps and upsert them, and upsert the latest values — one round trip and one plan
  (prepared by psycopg after a few batches) whatever the batch size.
- SQLite: a multi-row ``INSERT … ON CONFLICT DO NOTHING RETURNING``, then the rollups
  aggregated in Python (:func:`.rollups.aggregate`) and upserted, then the latest values
  upserted (executemany, which SQLite's driver runs in C, in process).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import lru_cache
from typing import Any, NamedTuple

from sqlalchemy import text
from sqlalchemy.orm import Session

from iocvn.sensors import rollups


class Row(NamedTuple):
    """A checked reading, ready to insert."""

    device_id: int
    quantity: str
    ts: datetime
    value: float
    flags: int


# Buckets: (step, offset) — a day's buckets start at 17:00 UTC, midnight in Vietnam.
_STEPS_SQL = ", ".join(
    f"({s}, {rollups.DAY_OFFSET_S if s == rollups.DAY else 0})" for s in rollups.STEP_SECONDS
)
PG_WRITE = f"""
WITH batch AS (
    SELECT * FROM unnest(CAST(:device_ids AS integer[]), CAST(:quantities AS varchar[]),
                         CAST(:tss AS timestamptz[]), CAST(:vals AS double precision[]),
                         CAST(:flags AS smallint[])) WITH ORDINALITY
        AS b(device_id, quantity, ts, value, flags, ord)
), ins AS (
    INSERT INTO sensor_readings (device_id, quantity, ts, value, flags, received_at)
    SELECT device_id, quantity, ts, value, flags, CAST(:now AS timestamptz) FROM batch
    ON CONFLICT (device_id, quantity, ts) DO NOTHING
    RETURNING device_id, quantity, ts, value, flags
), roll AS (
    INSERT INTO sensor_rollups (device_id, quantity, step, bucket, min, max, sum, count)
    SELECT ins.device_id, ins.quantity, s.step,
           to_timestamp(floor((extract(epoch FROM ins.ts) + s.off) / s.step) * s.step - s.off),
           min(ins.value), max(ins.value), sum(ins.value), count(*)
    FROM ins CROSS JOIN (VALUES {_STEPS_SQL}) AS s(step, off)
    GROUP BY 1, 2, 3, 4
    ORDER BY 1, 2, 3, 4
    ON CONFLICT (device_id, quantity, step, bucket) DO UPDATE SET
        min = least(sensor_rollups.min, excluded.min),
        max = greatest(sensor_rollups.max, excluded.max),
        sum = sensor_rollups.sum + excluded.sum,
        count = sensor_rollups.count + excluded.count
), newest AS (
    INSERT INTO sensor_latest (device_id, quantity, ts, value, flags, received_at)
    SELECT DISTINCT ON (device_id, quantity)
           device_id, quantity, ts, value, flags, CAST(:now AS timestamptz)
    FROM ins ORDER BY device_id, quantity, ts DESC
    ON CONFLICT (device_id, quantity) DO UPDATE SET
        ts = excluded.ts, value = excluded.value, flags = excluded.flags,
        received_at = excluded.received_at
    WHERE excluded.ts > sensor_latest.ts
)
SELECT b.ord FROM batch AS b
LEFT JOIN ins ON ins.device_id = b.device_id AND ins.quantity = b.quantity AND ins.ts = b.ts
WHERE ins.device_id IS NULL
"""  # noqa: S608 - the only interpolation is the constant steps
_PG_STATEMENT = text(PG_WRITE)


def write(session: Session, rows: Sequence[Row], now: datetime) -> list[Row]:
    """Store ``rows`` (each key once) with their rollups and latest values; the inserted."""
    if not rows:
        return []
    if session.get_bind().dialect.name == "postgresql":
        return _write_pg(session, rows, now)
    return _write_sqlite(session, rows, now)


def _array(texts: Iterable[str]) -> str:
    """A PostgreSQL array literal of elements that need no escaping (numbers, instants,
    quantity names: registry.QUANTITY), cast to the array type in the statement. psycopg's
    list adaptation costs more than the database's work at these rates (5 µs a reading)."""
    return "{" + ",".join(texts) + "}"


def _write_pg(session: Session, rows: Sequence[Row], now: datetime) -> list[Row]:
    params = {
        "device_ids": _array(map(str, (r.device_id for r in rows))),
        "quantities": _array(f'"{r.quantity}"' for r in rows),  # quoted: "null" is a name
        "tss": _array(r.ts.isoformat() for r in rows),
        "vals": _array(map(repr, (r.value for r in rows))),
        "flags": _array(map(str, (r.flags for r in rows))),
        "now": now,
    }
    # The statement answers with the (1-based) positions of the rows not inserted — the
    # duplicates, usually none — rather than the inserted rows: reading those back cost
    # more than writing them.
    skipped = {ord_ for (ord_,) in session.execute(_PG_STATEMENT, params)}
    if not skipped:
        return list(rows)
    return [r for i, r in enumerate(rows, 1) if i not in skipped]


# SQLite: statements run on the driver's connection, inside the session's transaction, with
# instants formatted as SQLAlchemy stores them (UTCDateTime on SQLite): the type machinery
# would cost more than the database work at these rates.
SQLITE_CHUNK = 1000  # rows per INSERT (6 parameters each; SQLite allows 32766)
SQLITE_ROLLUP = (
    "INSERT INTO sensor_rollups (device_id, quantity, step, bucket, min, max, sum, count) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, quantity, step, bucket) DO UPDATE "
    "SET min = min(sensor_rollups.min, excluded.min), max = max(sensor_rollups.max, excluded.max), "
    "sum = sensor_rollups.sum + excluded.sum, count = sensor_rollups.count + excluded.count"
)  # (SQLite's min and max with two arguments are scalar functions)
SQLITE_LATEST = (
    "INSERT INTO sensor_latest (device_id, quantity, ts, value, flags, received_at) "
    "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, quantity) DO UPDATE SET ts = excluded.ts, "
    "value = excluded.value, flags = excluded.flags, received_at = excluded.received_at "
    "WHERE excluded.ts > sensor_latest.ts"
)


def _sqlite_ts(ts: datetime) -> str:
    """``2026-11-30 03:00:00.000000`` for an instant in UTC (isoformat is twice as fast as
    strftime)."""
    return ts.isoformat(" ", "microseconds")[:26]


@lru_cache(maxsize=8)
def _sqlite_insert(rows: int) -> str:
    values = ", ".join(["(?, ?, ?, ?, ?, ?)"] * rows)
    return (
        "INSERT INTO sensor_readings (device_id, quantity, ts, value, flags, received_at) "  # noqa: S608 - placeholders only
        f"VALUES {values} ON CONFLICT (device_id, quantity, ts) DO NOTHING "
        "RETURNING device_id, quantity, ts"
    )


def _write_sqlite(session: Session, rows: Sequence[Row], now: datetime) -> list[Row]:
    driver: Any = session.connection().connection.driver_connection
    received = _sqlite_ts(now.astimezone(UTC))
    by_key: dict[tuple[int, str, str], Row] = {}
    params: list[Any] = []
    for row in rows:
        ts = _sqlite_ts(row.ts)  # (row.ts is in UTC)
        by_key[(row.device_id, row.quantity, ts)] = row
        params += (row.device_id, row.quantity, ts, row.value, row.flags, received)
    stored: list[Row] = []
    for start in range(0, len(rows), SQLITE_CHUNK):
        count = min(SQLITE_CHUNK, len(rows) - start)
        chunk = params[start * 6 : (start + count) * 6]
        returned = driver.execute(_sqlite_insert(count), chunk).fetchall()
        stored += [by_key[(d, q, ts)] for d, q, ts in returned]
    if not stored:
        return stored
    aggs = rollups.aggregate((r.device_id, r.quantity, r.ts, r.value) for r in stored)
    buckets = {b: _sqlite_ts(datetime.fromtimestamp(b, UTC)) for (_, _, _, b) in aggs}
    driver.executemany(SQLITE_ROLLUP, [
        (d, q, s, buckets[b], a.min, a.max, a.sum, a.count)
        for (d, q, s, b), a in sorted(aggs.items())
    ])  # fmt: skip
    newest: dict[tuple[int, str], Row] = {}
    for row in stored:
        key = (row.device_id, row.quantity)
        if key not in newest or row.ts > newest[key].ts:
            newest[key] = row
    driver.executemany(SQLITE_LATEST, [
        (r.device_id, r.quantity, _sqlite_ts(r.ts), r.value, r.flags, received)
        for r in (newest[k] for k in sorted(newest))
    ])  # fmt: skip
    return stored
