"""Ingestion of camera AI events (sự kiện camera AI): the one function HTTP
(``POST /api/v1/sensors/events``) and MQTT (``<prefix>/<device>/events``) call to check a
batch of events, store the good ones and say what happened to each.

Rules (docs/sensors.md, "Camera AI events"): the device checks are those of readings (an
unknown device, a wrong key, a device outside the caller's scope or retired, and the same
timestamp rules: ISO-8601, at most 5 minutes ahead, not older than the camera kind's
retention), and the device must be a camera; ``kind`` is one of
:data:`~iocvn.sensors.models_events.EVENT_KINDS`; ``confidence`` a number from 0 to 1;
``snapshot`` an http(s) URL (no credentials in it) or a relative object key — never
``javascript:``, ``data:`` or a path out of the store; ``attributes`` an optional JSON object
of at most 4 KB. A bad item is rejected with a reason and counted; the others are stored. An
event already stored (same device, ts and kind) is a duplicate and ignored.

Writes go to the caller's transaction (MQTT acknowledges after the commit) and are not
audited one by one (they are observations, like readings). After storing,
``sensors.camera_events`` is published (:mod:`iocvn.core.events`) with the stored events and
the session, so that listeners (alerts) can react in the same transaction. This module does
not react to events itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final
from urllib.parse import urlsplit

from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.core import events as bus
from iocvn.core.errors import Invalid
from iocvn.core.ids import new_id
from iocvn.core.timeutil import as_utc, utcnow
from iocvn.sensors import directory, ingest
from iocvn.sensors.directory import DeviceInfo
from iocvn.sensors.ingest import REGISTRY, IngestReport, parse_ts
from iocvn.sensors.kinds import CODE
from iocvn.sensors.models import Device
from iocvn.sensors.models_events import EVENT_KINDS, CameraEvent

EVENT: Final = "sensors.camera_events"
CAMERA: Final = "camera"  # the kind of device that sends events (sensors/kinds.py)
MAX_SNAPSHOT: Final = 1000  # characters of a snapshot reference
MAX_ATTRIBUTES_BYTES: Final = 4096  # of attributes, as compact JSON in UTF-8
INSERT_CHUNK: Final = 1000  # rows per INSERT
DEFAULT_SPAN: Final = timedelta(days=1)  # the window of a listing without ``since``
# A relative object key: "cam-01/2026/11/30/083000.jpg" (no scheme, no "..", no leading "/").
_KEY: Final = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9._/-]*$")

EVENTS = Counter(
    "iocvn_camera_events_total",
    "Camera AI events by outcome (accepted, duplicate, rejected).",
    ["outcome"],
    registry=REGISTRY,
)
EVENT_REJECTIONS = Counter(
    "iocvn_camera_event_rejections_total",
    "Camera AI events rejected, by reason and channel.",
    ["reason", "channel"],
    registry=REGISTRY,
)
COLLECTORS = (EVENTS, EVENT_REJECTIONS)


def check_snapshot(raw: Any) -> str | None:
    """The snapshot reference when it is an http(s) URL with a host (and no user or password)
    or a relative object key; None otherwise (``javascript:``, ``data:``, ``/etc/…``, ``..``)."""
    if not isinstance(raw, str) or not 0 < len(raw) <= MAX_SNAPSHOT:
        return None
    if any(c.isspace() or not c.isprintable() for c in raw):
        return None
    if _KEY.match(raw):
        parts = raw.split("/")
        return raw if "" not in parts and ".." not in parts and "." not in parts else None
    try:
        url = urlsplit(raw)
        host = url.hostname
    except ValueError:  # an invalid IPv6 literal, a bad port…
        return None
    if url.scheme.lower() not in ("http", "https") or not host or "@" in url.netloc:
        return None
    return raw


def check_attributes(raw: Any) -> dict[str, Any] | None:
    """The attributes (absent: ``{}``) when they are a JSON object of at most 4 KB; None
    otherwise."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        return None
    try:
        text = json.dumps(raw, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        size = len(text.encode())  # (a lone surrogate cannot be encoded: ValueError)
    except (TypeError, ValueError, RecursionError):
        return None
    if size > MAX_ATTRIBUTES_BYTES or "\\u0000" in text:
        return None  # (PostgreSQL refuses NUL characters in text)
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def _confidence(raw: Any) -> float | None:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    try:
        value = float(raw)
    except OverflowError:  # an integer beyond a double
        return None
    return value if 0.0 <= value <= 1.0 else None  # (NaN compares false)


@dataclass(frozen=True, slots=True)
class _Row:
    device_id: int
    ts: datetime
    kind: str
    confidence: float
    snapshot: str
    attributes: dict[str, Any]


class _Events(ingest._Batch):
    """The checks of one batch of events; the device checks are those of readings."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.events: list[_Row] = []

    def add_event(self, index: int, item: Any) -> None:
        if not isinstance(item, Mapping):
            self.reject(index, None, "item_not_object")
            return
        info = self.device(index, item.get("device"), item.get("key"))
        if info is None:
            return
        checked = self.check(info, item)
        if isinstance(checked, str):
            self.reject(index, info.code, checked)
            return
        self.talked.add(info.id)
        key = (checked.device_id, checked.kind, checked.ts)
        if key in self.keys:
            self.report.duplicates += 1
            return
        self.keys.add(key)
        self.events.append(checked)

    def check(self, info: DeviceInfo, item: Mapping[str, Any]) -> _Row | str:
        """The event to store, or the reason it is rejected."""
        if info.kind != CAMERA:
            return "not_a_camera"
        ts = parse_ts(item.get("ts"))
        if ts is None:
            return "bad_timestamp"
        if ts > self.latest_ts:
            return "ts_in_future"
        if ts < self.now - timedelta(days=info.raw_days):
            return "ts_too_old"
        kind = item.get("kind")
        if not isinstance(kind, str) or kind not in EVENT_KINDS:
            return "bad_event_kind"
        confidence = _confidence(item.get("confidence"))
        if confidence is None:
            return "bad_confidence"
        snapshot = check_snapshot(item.get("snapshot"))
        if snapshot is None:
            return "bad_snapshot"
        attributes = check_attributes(item.get("attributes"))
        if attributes is None:
            return "bad_attributes"
        return _Row(info.id, ts, kind, confidence, snapshot, attributes)


def _insert(session: Session, rows: list[_Row], now: datetime) -> list[tuple[str, _Row]]:
    """Insert ``rows``, skipping those already stored; the inserted with their ids."""
    postgres = session.get_bind().dialect.name == "postgresql"
    make: Any = postgresql.insert if postgres else sqlite.insert
    stored: list[tuple[str, _Row]] = []
    for start in range(0, len(rows), INSERT_CHUNK):
        chunk = {new_id(): row for row in rows[start : start + INSERT_CHUNK]}
        values = [
            {"id": i, "device_id": r.device_id, "ts": r.ts, "kind": r.kind,
             "confidence": r.confidence, "snapshot": r.snapshot, "attributes": r.attributes,
             "received_at": now}
            for i, r in chunk.items()
        ]  # fmt: skip
        stmt = make(CameraEvent).values(values)
        stmt = stmt.on_conflict_do_nothing(index_elements=["device_id", "ts", "kind"])
        ids = session.execute(stmt.returning(CameraEvent.id)).scalars().all()
        stored += [(i, chunk[i]) for i in ids]
    stored.sort(key=lambda pair: (pair[1].ts, pair[1].device_id, pair[1].kind))
    return stored


def ingest_events(
    session: Session,
    items: Iterable[Any],
    *,
    key: str | None = None,
    scope: OrgScope | None = None,
    channel: str = "http",
    now: datetime | None = None,
) -> IngestReport:
    """Check and store a batch of camera events; returns what became of each.

    ``items`` are ``{"device", "ts", "kind", "confidence", "snapshot", "attributes"?,
    "key"?}`` mappings. ``key`` (a device's API key) limits the batch to that device's events,
    an item's own ``key`` is checked against its device, ``scope`` limits it to a staff
    caller's devices; ``channel`` labels the rejection counters (http, mqtt, …). The report's
    ``flagged`` is always 0.
    """
    now = now or utcnow()
    batch = list(items)
    codes = [i.get("device") for i in batch if isinstance(i, Mapping)]
    devices = directory.lookup(session, {c for c in codes if isinstance(c, str)})
    checks = _Events(devices, key, scope, now)
    for index, item in enumerate(batch):
        checks.add_event(index, item)
    report = checks.report
    report.items = len(batch)
    checks.events.sort(key=lambda r: (r.device_id, r.ts, r.kind))  # no deadlock between writers
    stored = _insert(session, checks.events, now) if checks.events else []
    report.accepted = len(stored)
    report.duplicates += len(checks.events) - len(stored)
    if checks.talked:
        ingest._seen(session, checks.talked, now)
    _count(report, channel)
    if stored:
        infos = {info.id: info for info in devices.values()}
        published = []
        for event_id, r in stored:
            info = infos[r.device_id]
            published.append({
                "id": event_id, "device": info.code, "org_unit": info.org_code,
                "area": info.area_code, "kind": r.kind, "ts": r.ts, "confidence": r.confidence,
                "snapshot": r.snapshot, "attributes": r.attributes,
            })  # fmt: skip
        bus.publish(EVENT, events=published, session=session)
    return report


def _count(report: IngestReport, channel: str) -> None:
    outcomes = {"accepted": report.accepted, "duplicate": report.duplicates,
                "rejected": report.rejected}  # fmt: skip
    for outcome, count in outcomes.items():
        if count:
            EVENTS.labels(outcome).inc(count)
    for r in report.rejections:
        EVENT_REJECTIONS.labels(r.reason, channel).inc()


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFilter:
    """Which events a listing returns (None: any; the window defaults to the last day)."""

    since: datetime | None = None
    until: datetime | None = None
    kind: str | None = None
    device: str | None = None


def recent(
    session: Session,
    scope: OrgScope | None,
    filters: EventFilter,
    *,
    limit: int,
    now: datetime | None = None,
) -> list[tuple[CameraEvent, Device]]:
    """Events of the cameras in ``scope`` (None: all) over ``[since, until)``, newest first,
    each with its camera; 422 ``camera_events_query`` when the filters make no sense."""
    try:
        until = as_utc(filters.until) if filters.until is not None else now or utcnow()
        since = as_utc(filters.since) if filters.since is not None else until - DEFAULT_SPAN
    except (OverflowError, ValueError) as exc:
        raise Invalid("camera_events_query", reason="since, until") from exc
    if since >= until:
        raise Invalid("camera_events_query", reason="since < until")
    if filters.kind is not None and filters.kind not in EVENT_KINDS:
        raise Invalid("camera_events_query", reason="kind: " + ", ".join(EVENT_KINDS))
    if filters.device is not None and not CODE.match(filters.device):
        raise Invalid("camera_events_query", reason="device")
    stmt = (
        select(CameraEvent, Device)
        .join(Device, Device.id == CameraEvent.device_id)
        .where(CameraEvent.ts >= since, CameraEvent.ts < until)
    )
    if scope is not None:
        stmt = stmt.where(scope.handling_clause(Device.org_code, Device.area_code))
    if filters.kind is not None:
        stmt = stmt.where(CameraEvent.kind == filters.kind)
    if filters.device is not None:
        stmt = stmt.where(Device.code == filters.device)
    stmt = stmt.order_by(CameraEvent.ts.desc(), CameraEvent.id.desc()).limit(limit)
    return [(event, device) for event, device in session.execute(stmt)]
