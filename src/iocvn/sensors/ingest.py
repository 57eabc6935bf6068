"""Ingestion (thu nhận số đo): the one function every channel calls — HTTP now, MQTT later —
to check a batch of readings, store the good ones in bulk, keep rollups and latest values up
to date, and say what happened to each one.

Rules (docs/sensors.md): an unknown device, a wrong key, a device outside the caller's scope
or retired, a timestamp that is not ISO-8601, more than 5 minutes in the future or older than
the kind's retention, an undeclared quantity, a value that is not a finite number → that
reading (or item) is rejected with a reason and counted; a value outside the device's valid
range is stored and flagged; a reading already stored (same device, quantity and ts) is a
duplicate and ignored; late and out-of-order readings are stored like any other. A good
reading is never lost because another in its batch is bad.

Writes go to the caller's transaction (it commits; MQTT acknowledges after the commit) and
are not audited one by one: they are measurements, not changes made by a person. After
storing, ``sensors.readings`` is published (:mod:`iocvn.core.events`) with the stored
readings and the session, so listeners (the alerting engine) work in the same transaction.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Final

from prometheus_client import CollectorRegistry, Counter
from sqlalchemy import update
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.core import events
from iocvn.core.crypto import same, token_hash
from iocvn.core.timeutil import utcnow
from iocvn.sensors import directory, store
from iocvn.sensors.directory import DeviceInfo
from iocvn.sensors.models import OUT_OF_RANGE, Device
from iocvn.sensors.store import Row

EVENT: Final = "sensors.readings"
FUTURE_TOLERANCE: Final = timedelta(minutes=5)
SEEN_EVERY_S: Final = 60.0  # Device.last_seen_at is written at most this often per device

# In-process counters, exported at /metrics (the app registers this registry's collectors).
REGISTRY = CollectorRegistry()
READINGS = Counter(
    "iocvn_sensor_readings_total",
    "Sensor readings by outcome (accepted, duplicate, flagged, rejected).",
    ["outcome"],
    registry=REGISTRY,
)
REJECTIONS = Counter(
    "iocvn_sensor_rejections_total",
    "Sensor readings rejected, by reason and channel.",
    ["reason", "channel"],
    registry=REGISTRY,
)
COLLECTORS = (READINGS, REJECTIONS)
_SEEN: dict[int, float] = {}  # device id → monotonic time last_seen_at was last written


@dataclass(frozen=True, slots=True)
class Rejection:
    """A reading (``quantity`` set) or a whole item of the batch that was not stored."""

    index: int
    device: str | None
    reason: str
    quantity: str | None = None


@dataclass
class IngestReport:
    """What became of a batch: counts of readings, and every rejection with its reason."""

    items: int = 0
    accepted: int = 0  # readings stored (flagged ones included)
    flagged: int = 0  # stored, outside the device's valid range
    duplicates: int = 0  # already stored (or twice in the batch): ignored
    rejections: list[Rejection] = field(default_factory=list)

    @property
    def rejected(self) -> int:
        """Rejected readings and items."""
        return len(self.rejections)


def parse_ts(raw: Any) -> datetime | None:
    """An ISO-8601 instant (``Z`` or an offset; none: UTC, as FIWARE does) or an aware or
    naive (UTC) datetime, as an aware UTC datetime; None when it is neither."""
    if isinstance(raw, datetime):
        ts = raw
    elif isinstance(raw, str) and 10 <= len(raw) <= 40:
        try:
            ts = datetime.fromisoformat(raw)
        except ValueError:
            return None
    else:
        return None
    if ts.tzinfo is None:
        return ts.replace(tzinfo=UTC)
    try:
        return ts.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00-01:00 and the like
        return None


def _unpack(item: Any) -> tuple[Any, Any, Any, Any] | None:
    """``(device, ts, values, key)``; ``key`` is an item's own device key (MQTT's FIWARE
    topic carries one per message), None when the item has none."""
    if isinstance(item, Mapping):
        return item.get("device"), item.get("ts"), item.get("values"), item.get("key")
    if isinstance(item, tuple | list) and len(item) in (3, 4):
        return item[0], item[1], item[2], item[3] if len(item) == 4 else None
    return None


class _Batch:
    """The checks of one batch, and the rows to insert."""

    def __init__(
        self, devices: dict[str, DeviceInfo], key: str | None, scope: OrgScope | None,
        now: datetime,
    ) -> None:  # fmt: skip
        self.devices, self.scope, self.now = devices, scope, now
        self.key_hash = token_hash(key) if key is not None else None
        self.latest_ts = now + FUTURE_TOLERANCE
        self.report = IngestReport()
        self.rows: list[Row] = []
        self.keys: set[tuple[int, str, datetime]] = set()
        self.talked: set[int] = set()
        self.item_keys: dict[str, str] = {}  # an item's own key → its hash (once per batch)

    def reject(
        self, index: int, device: str | None, reason: str, quantity: str | None = None
    ) -> None:
        self.report.rejections.append(Rejection(index, device, reason, quantity))

    def item_key_hash(self, key: Any) -> str | None:
        if key is None:
            return self.key_hash
        if not isinstance(key, str):
            return ""  # matches no device
        known = self.item_keys.get(key)
        if known is None:
            known = self.item_keys[key] = token_hash(key)
        return known

    def device(self, index: int, code: Any, key: Any = None) -> DeviceInfo | None:
        if not isinstance(code, str) or not code:
            self.reject(index, None, "bad_device")
            return None
        info = self.devices.get(code)
        key_hash = self.item_key_hash(key)
        reason = None
        if info is None:
            reason = "unknown_device"
        elif key_hash is not None and not same(key_hash, info.key_hash):
            reason = "wrong_key"
        elif self.scope is not None and not info.visible_to(self.scope):
            reason = "out_of_scope"
        elif info.status == "retired":
            reason = "device_retired"
        if reason is not None:
            self.reject(index, code[:64], reason)
            return None
        return info

    def add(self, index: int, item: Any) -> None:
        unpacked = _unpack(item)
        if unpacked is None:
            self.reject(index, None, "item_not_object")
            return
        code, raw_ts, values, key = unpacked
        info = self.device(index, code, key)
        if info is None:
            return
        ts = parse_ts(raw_ts)
        if ts is None:
            self.reject(index, info.code, "bad_timestamp")
            return
        if ts > self.latest_ts:
            self.reject(index, info.code, "ts_in_future")
            return
        if ts < self.now - timedelta(days=info.raw_days):
            self.reject(index, info.code, "ts_too_old")
            return
        if not isinstance(values, Mapping) or not values:
            self.reject(index, info.code, "no_values")
            return
        self.talked.add(info.id)
        for quantity, raw in values.items():
            self.value(index, info, ts, quantity, raw)

    def value(self, index: int, info: DeviceInfo, ts: datetime, quantity: Any, raw: Any) -> None:
        if quantity not in info.quantities:
            self.reject(index, info.code, "unknown_quantity", str(quantity)[:64])
            return
        if isinstance(raw, bool) or not isinstance(raw, int | float):
            self.reject(index, info.code, "not_a_number", quantity)
            return
        try:
            value = float(raw)
        except OverflowError:  # an integer beyond a double
            value = math.inf
        if not math.isfinite(value):
            self.reject(index, info.code, "not_finite", quantity)
            return
        key = (info.id, quantity, ts)
        if key in self.keys:
            self.report.duplicates += 1
            return
        self.keys.add(key)
        bounds = info.ranges.get(quantity)
        flags = OUT_OF_RANGE if bounds and not bounds[0] <= value <= bounds[1] else 0
        self.rows.append(Row(info.id, quantity, ts, value, flags))


def forget_seen() -> None:
    """Forget when ``last_seen_at`` was written (tests empty the tables between them)."""
    _SEEN.clear()


def _seen(session: Session, device_ids: set[int], now: datetime) -> None:
    """Write ``last_seen_at`` of devices not marked in the last minute (by this process)."""
    clock = time.monotonic()
    due = sorted(i for i in device_ids if clock - _SEEN.get(i, -math.inf) >= SEEN_EVERY_S)
    if not due:
        return
    session.execute(  # updated_at kept: it is the directory's version, not a change of device
        update(Device)
        .where(Device.id.in_(due))
        .values(last_seen_at=now, updated_at=Device.updated_at)
        .execution_options(synchronize_session=False)
    )
    for i in due:
        _SEEN[i] = clock


def ingest(
    session: Session,
    items: Iterable[Any],
    *,
    key: str | None = None,
    scope: OrgScope | None = None,
    channel: str = "http",
    now: datetime | None = None,
) -> IngestReport:
    """Check and store a batch of readings; returns what became of each.

    ``items`` are ``{"device", "ts", "values": {quantity: number}, "key"?}`` mappings or
    ``(device, ts, values[, key])`` tuples. With ``key`` (a device's API key) only that
    device's readings are accepted (others: ``wrong_key``); an item's own ``key`` is checked
    against its device the same way; with ``scope`` (a staff caller's) only
    devices in it. ``channel`` labels the rejection counters (http, mqtt, …).
    """
    now = now or utcnow()
    batch = list(items)
    codes = {u[0] for u in map(_unpack, batch) if u is not None and isinstance(u[0], str)}
    checks = _Batch(directory.lookup(session, codes), key, scope, now)
    for index, item in enumerate(batch):
        checks.add(index, item)
    report = checks.report
    report.items = len(batch)
    checks.rows.sort()  # key order: concurrent writers of the same keys never deadlock
    stored = store.write(session, checks.rows, now)
    report.accepted = len(stored)
    report.flagged = sum(1 for row in stored if row.flags & OUT_OF_RANGE)
    report.duplicates += len(checks.rows) - len(stored)
    if checks.talked:
        _seen(session, checks.talked, now)
    _count(report, channel)
    if stored:
        by_id = {info.id: info.code for info in checks.devices.values()}
        events.publish(
            EVENT,
            readings=[
                {"device": by_id[r.device_id], "quantity": r.quantity, "ts": r.ts,
                 "value": r.value, "out_of_range": bool(r.flags & OUT_OF_RANGE)}
                for r in stored
            ],
            session=session,
        )  # fmt: skip
    return report


def _count(report: IngestReport, channel: str) -> None:
    if report.accepted:
        READINGS.labels("accepted").inc(report.accepted)
    if report.flagged:
        READINGS.labels("flagged").inc(report.flagged)
    if report.duplicates:
        READINGS.labels("duplicate").inc(report.duplicates)
    if report.rejections:
        READINGS.labels("rejected").inc(len(report.rejections))
        for r in report.rejections:
            REJECTIONS.labels(r.reason, channel).inc()
