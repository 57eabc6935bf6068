"""The sensor simulator (``iocvn simulate sensors``): realistic readings for the registered
devices — by default the demo devices of Lạng Sơn (``iocvn demo``) — sent over MQTT or HTTP
at a steady rate, so the map, the charts and the alerting engine have something to show.

Generators are pure functions of the instant and a seeded RNG, in Vietnam's time and Lạng
Sơn's climate (a cool winter around 13 °C, a hot wet summer around 27 °C, rain mostly from
May to September): river levels with a slow daily cycle and noise; rain in showers; PM2.5,
PM10 and the VN_AQI with the morning and evening traffic; temperature and humidity with the
day; street lights on at night, dimmed after 23:00; forest-fire sensors mostly quiet. Every
value stays within the device's ranges and its kind's physical limits.

The ``flood`` scenario (:class:`Flood`) sends a flood wave down every river gauge: the rain
gauges' showers turn into a downpour, then the level rises over a few minutes past the
gauge's alert level and its danger level, peaks and recedes. The kinds define no thresholds,
so each gauge's are set from its normal level (:func:`levels`): alert level I of the Lạng Sơn
station (252 m) sits 1.6 m over the demo's normal 250.4 m. A gauge declaring ``alertLevel``
and ``dangerLevel`` (FIWARE FloodMonitoring) gets them in every reading.

AI cameras also send an occasional event (:func:`camera_event`: a traffic jam at rush hours,
a car parked where it must not be, a crowd…; flooding when the flood wave is high).

Readings are paced open-loop (reading ``i`` is due at ``start + i / rate``, however long the
sending takes) and go through a :class:`Transport`: :class:`MqttTransport` (one QoS 1 message
per reading on ``<prefix>/<device>/readings``, per event on ``…/events``) or
:class:`HttpTransport` (batches on ``POST /api/v1/sensors/readings`` and ``…/events`` with a
staff token holding ``sensor.ingest``).
"""

from __future__ import annotations

import json
import math
import random
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Annotated, Any, Final, Protocol

import paho.mqtt.client as paho
import typer
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.config import get_settings
from iocvn.core.timeutil import to_local, utcnow
from iocvn.db import transaction
from iocvn.sensors import demo
from iocvn.sensors.kinds import KINDS, Range
from iocvn.sensors.models import Device, Latest
from iocvn.sensors.mqtt import Broker

Item = dict[str, Any]  # {"device", "ts", "values"}, as the HTTP API takes it
SEED: Final = 2026
ALERT_RISE: Final = 1.6  # m over the normal level: alert level (báo động I)
DANGER_RISE: Final = 2.6  # m over the normal level: danger level
DEFAULT_LEVEL: Final = 2.0  # m: a gauge with no history, no range and not a demo one
HTTP_BATCH: Final = 1000  # readings per request (the API takes up to 10 000)
EVENT_BLOCK_S: Final = 120  # a camera sends at most one event in each block of this many s


# --- devices ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Levels:
    """A river gauge's normal level and thresholds (m)."""

    normal: float
    alert: float
    danger: float


@dataclass(frozen=True)
class SimDevice:
    """What the simulator needs of a device."""

    code: str
    kind: str
    quantities: tuple[str, ...]
    limits: dict[str, Range] = field(default_factory=dict)  # device ranges ∩ kind limits
    levels: Levels | None = None  # river gauges


def levels(normal: float) -> Levels:
    """A gauge's alert and danger levels from its normal level."""
    return Levels(normal, round(normal + ALERT_RISE, 2), round(normal + DANGER_RISE, 2))


def _limits(kind: str, ranges: dict[str, Any], quantities: Sequence[str]) -> dict[str, Range]:
    """The narrowest of the device's ranges and its kind's physical limits, per quantity."""
    physical = KINDS[kind].ranges if kind in KINDS else {}
    out: dict[str, Range] = {}
    for q in quantities:
        lo, hi = physical.get(q, (None, None))
        own = ranges.get(q) or [None, None]
        if own[0] is not None:
            lo = own[0] if lo is None else max(lo, own[0])
        if own[1] is not None:
            hi = own[1] if hi is None else min(hi, own[1])
        out[q] = (lo, hi)
    return out


def sim_device(
    code: str,
    kind: str,
    quantities: Sequence[str],
    ranges: dict[str, Any] | None = None,
    latest_level: float | None = None,
) -> SimDevice:
    """A device to simulate; a river gauge's normal level is the demo's, else its latest
    level, else the middle of its range, else 2 m."""
    limits = _limits(kind, ranges or {}, quantities)
    gauge = None
    if kind == "water_level":
        lo, hi = limits.get("currentLevel", (None, None))
        normal = demo.LEVELS.get(code, latest_level)
        if normal is None:
            normal = (lo + hi) / 2 if lo is not None and hi is not None else DEFAULT_LEVEL
        gauge = levels(normal)
    return SimDevice(code, kind, tuple(quantities), limits, gauge)


def load_devices(session: Session, codes: Sequence[str] = ()) -> list[SimDevice]:
    """The devices to simulate: ``codes`` (any registered, not retired), or else every demo
    device — never a real device unless named."""
    query = select(Device).where(Device.status != "retired").order_by(Device.code)
    query = query.where(Device.code.in_(codes)) if codes else query.where(Device.demo)
    rows = list(session.execute(query).scalars())
    rows_latest = session.execute(
        select(Latest.device_id, Latest.value).where(
            Latest.device_id.in_([d.id for d in rows]), Latest.quantity == "currentLevel"
        )
    )
    latest = {row[0]: row[1] for row in rows_latest}
    return [
        sim_device(d.code, d.kind, list(d.quantities), dict(d.ranges), latest.get(d.id))
        for d in rows
    ]


# --- the weather, the river and the city (pure) ----------------------------------------------


def _hour(at: datetime) -> float:
    """Hour of the day in Vietnam, 0–24."""
    local = to_local(at)
    return local.hour + local.minute / 60 + local.second / 3600


def _season(at: datetime) -> float:
    """-1 in mid-January (coldest), +1 in mid-July (hottest)."""
    day = to_local(at).timetuple().tm_yday
    return -math.cos((day - 15) / 365.25 * 2 * math.pi)


def _daily(at: datetime) -> float:
    """The day's warmth, -1 before dawn … +1 mid-afternoon (about 14:30)."""
    return math.sin((_hour(at) - 8.5) / 24 * 2 * math.pi)


def _bump(x: float, centre: float, width: float) -> float:
    return math.exp(-(((x - centre) / width) ** 2))


def _smoothstep(x: float) -> float:
    x = min(1.0, max(0.0, x))
    return x * x * (3 - 2 * x)


def temperature(at: datetime, rng: random.Random, offset: float = 0.0) -> float:
    """Air temperature in Lạng Sơn (°C): about 13 °C in January and 27 °C in July, ±4 °C
    over the day."""
    return 20.5 + 7.0 * _season(at) + 4.0 * _daily(at) + offset + rng.gauss(0, 0.3)


def humidity(at: datetime, rng: random.Random) -> float:
    """Relative humidity (0–1): damp nights, drier afternoons, a wetter summer."""
    return 0.80 + 0.04 * _season(at) - 0.12 * _daily(at) + rng.gauss(0, 0.015)


def shower(code: str, at: datetime) -> float:
    """Rain of a shower (mm in the 10 minutes before ``at``): each half-hour of each gauge is
    dry or holds one shower, drawn from a seed of the gauge and the half-hour — the same
    instant gives the same rain. Showers are frequent and heavy from May to September."""
    stamp = at.timestamp()
    block = int(stamp // 1800)
    draw = random.Random(f"{SEED}:{code}:{block}")
    wet = 0.12 + 0.2 * (_season(at) + 1) / 2  # 12 % of half-hours in winter, 32 % in summer
    if draw.random() >= wet:
        return 0.0
    peak = draw.uniform(0.4, 1.5 + 5.0 * (_season(at) + 1) / 2)
    start, length = draw.uniform(0.0, 0.5), draw.uniform(0.25, 0.5)
    x = ((stamp % 1800) / 1800 - start) / length
    return peak * math.sin(math.pi * x) if 0.0 <= x <= 1.0 else 0.0


def pm25(at: datetime, rng: random.Random) -> float:
    """PM2.5 (µg/m³) in the city: a background, the morning (7:30) and evening (18:00)
    traffic, worse in the dry winter."""
    hour = _hour(at)
    traffic = 22 * _bump(hour, 7.5, 1.3) + 28 * _bump(hour, 18.0, 1.8)
    return (16 + traffic) * (1.15 - 0.25 * _season(at)) + rng.gauss(0, 2.5)


# VN_AQI (Quyết định 1459/QĐ-TCMT): concentration breakpoints and their AQI.
_AQI_BANDS: Final = (0, 50, 100, 150, 200, 300, 400, 500)
_PM25_POINTS: Final = (0, 25, 50, 80, 150, 250, 350, 500)
_PM10_POINTS: Final = (0, 50, 150, 250, 350, 420, 500, 600)


def _sub_index(value: float, points: Sequence[float]) -> float:
    for i in range(1, len(points)):
        if value <= points[i]:
            lo, hi, low = points[i - 1], points[i], _AQI_BANDS[i - 1]
            return low + (value - lo) / (hi - lo) * (_AQI_BANDS[i] - low)
    return 500.0


def aqi(pm25_value: float, pm10_value: float) -> float:
    """VN_AQI of PM2.5 and PM10: the worse of the two sub-indexes."""
    return max(_sub_index(pm25_value, _PM25_POINTS), _sub_index(pm10_value, _PM10_POINTS))


def night(at: datetime) -> bool:
    """Between sunset and sunrise in Lạng Sơn: about 17:20 to 6:30 in December, 18:50 to
    5:00 in June (solar noon about 11:55)."""
    longer = 0.75 * math.sin((to_local(at).timetuple().tm_yday - 80) / 365.25 * 2 * math.pi)
    hour = _hour(at)
    return hour >= 18.05 + longer or hour < 5.75 - longer


@dataclass(frozen=True)
class Flood:
    """A flood wave, in seconds from the start of the scenario: rain builds up to a downpour
    and eases; the river starts rising at ``rise_s``, passes the alert level (about 2 min),
    the danger level (about 3 min), peaks ``peak_rise`` m over normal at ``peak_s`` and is
    back to normal at ``end_s``."""

    rain_peak_s: float = 90.0
    rain_end_s: float = 300.0
    rain_mm: float = 18.0  # mm in 10 minutes at the heaviest
    rise_s: float = 45.0
    peak_s: float = 210.0
    end_s: float = 480.0
    peak_rise: float = 3.0  # m; over the danger rise

    def rain(self, t: float) -> float:
        """Extra rain (mm in 10 minutes) ``t`` seconds into the scenario."""
        if t < 0 or t > self.rain_end_s:
            return 0.0
        if t <= self.rain_peak_s:
            return self.rain_mm * _smoothstep(t / self.rain_peak_s)
        return self.rain_mm * (1 - _smoothstep((t - self.rain_peak_s) /
                                               (self.rain_end_s - self.rain_peak_s)))  # fmt: skip

    def rise(self, t: float) -> float:
        """How far (m) the river stands over its normal level ``t`` seconds in."""
        if t <= self.rise_s or t >= self.end_s:
            return 0.0
        if t <= self.peak_s:
            return self.peak_rise * _smoothstep((t - self.rise_s) / (self.peak_s - self.rise_s))
        return self.peak_rise * (1 - _smoothstep((t - self.peak_s) / (self.end_s - self.peak_s)))


def _clamp(value: float, limits: Range) -> float:
    lo, hi = limits
    if lo is not None:
        value = max(lo, value)
    if hi is not None:
        value = min(hi, value)
    return value


def _raw(
    device: SimDevice, at: datetime, rng: random.Random, flood: Flood | None, t: float
) -> dict[str, float]:
    kind = device.kind
    if kind == "water_level":
        gauge = device.levels or levels(DEFAULT_LEVEL)
        rise = flood.rise(t) if flood else 0.0
        current = gauge.normal + 0.05 * _daily(at) + rise + rng.gauss(0, 0.01)
        return {"currentLevel": round(current, 2), "alertLevel": gauge.alert,
                "dangerLevel": gauge.danger}  # fmt: skip
    if kind == "rain_gauge":
        rain = shower(device.code, at) + (flood.rain(t) * rng.uniform(0.8, 1.2) if flood else 0)
        return {"precipitation": round(round(rain / 0.2) * 0.2, 1)}  # 0.2 mm tipping bucket
    if kind == "air_quality":
        fine = max(2.0, pm25(at, rng))
        coarse = fine * rng.uniform(1.5, 1.9)
        return {"pm25": round(fine, 1), "pm10": round(coarse, 1), "aqi": round(aqi(fine, coarse)),
                "temperature": round(temperature(at, rng), 1),
                "relativeHumidity": round(humidity(at, rng), 2)}  # fmt: skip
    if kind == "weather":
        return {"temperature": round(temperature(at, rng), 1),
                "relativeHumidity": round(humidity(at, rng), 2)}  # fmt: skip
    if kind == "fire_smoke":  # on a forested mountain: cooler; smoke very rarely, briefly
        smoke = random.Random(f"{SEED}:{device.code}:{int(at.timestamp() // 600)}").random()
        return {"temperature": round(temperature(at, rng, offset=-5.0), 1),
                "relativeHumidity": round(humidity(at, rng) + 0.05, 2),
                "smokeDetected": 1.0 if smoke < 0.002 else 0.0}  # fmt: skip
    if kind == "street_light":
        on = night(at)
        dimmed = 0.5 <= _hour(at) < 4.5 or _hour(at) >= 23
        level = (0.5 if dimmed else 1.0) if on else 0.0
        power = 120 * level + rng.gauss(0, 2) if on else 0.5  # W; 0.5 W standby
        return {"powerState": 1.0 if on else 0.0, "illuminanceLevel": level,
                "activePower": round(max(0.0, power), 1)}  # fmt: skip
    if kind == "emission":  # a stack well under QCVN 19:2009 limits
        load = 0.8 + 0.2 * _bump(_hour(at), 11, 4)
        return {"so2": round(load * 120 + rng.gauss(0, 8), 1),
                "nox": round(load * 180 + rng.gauss(0, 10), 1),
                "co": round(load * 90 + rng.gauss(0, 6), 1),
                "dust": round(load * 25 + rng.gauss(0, 2), 1)}  # fmt: skip
    if kind == "camera":
        hour = _hour(at)
        crowd = 5 + 40 * _bump(hour, 8, 1.5) + 60 * _bump(hour, 19, 2.5)
        return {"peopleCount": float(max(0, round(crowd + rng.gauss(0, 4))))}
    return {}


def camera_event(
    code: str, at: datetime, flood: Flood | None = None, flood_t: float = 0.0
) -> Item | None:
    """The event an AI camera sends at ``at``, or None: each 2-minute block of each camera
    holds one or none, drawn from a seed of the camera and the block — about one in ten
    blocks, one in three at rush hours (mostly congestion then), flooding when the flood wave
    stands over the alert level."""
    draw = random.Random(f"{SEED}:{code}:event:{int(at.timestamp() // EVENT_BLOCK_S)}")
    rush = max(_bump(_hour(at), 7.5, 1.3), _bump(_hour(at), 17.5, 1.5))
    kind = "congestion" if draw.random() < rush else draw.choice(
        ("illegal_parking", "illegal_parking", "crowd", "accident", "other"))  # fmt: skip
    chance = 0.08 + 0.25 * rush
    if flood is not None and flood.rise(flood_t) >= ALERT_RISE:
        kind, chance = "flooding", 0.8
    if draw.random() >= chance:
        return None
    return {"device": code, "ts": at.isoformat(), "kind": kind,
            "confidence": round(draw.uniform(0.6, 0.97), 2),
            "snapshot": f"sim/{code}/{at:%Y%m%dT%H%M%S}.jpg"}  # fmt: skip


def values(
    device: SimDevice,
    at: datetime,
    rng: random.Random,
    flood: Flood | None = None,
    flood_t: float = 0.0,
) -> dict[str, float]:
    """The device's reading at ``at`` (its quantities that the simulator knows), within its
    limits; ``flood_t``: seconds into the ``flood`` scenario."""
    raw = _raw(device, at, rng, flood, flood_t)
    return {
        q: _clamp(raw[q], device.limits.get(q, (None, None))) for q in device.quantities if q in raw
    }


# --- sending ----------------------------------------------------------------------------------


class Transport(Protocol):
    """Where readings go; counts what arrived (``sent``) and what did not (``errors``)."""

    sent: int
    errors: int
    last_error: str

    def send(self, items: list[Item]) -> None: ...

    def send_events(self, items: list[Item]) -> None: ...

    def close(self) -> None: ...


# (url, body, headers) → (status, body); urllib by default, a test client in tests
Post = Callable[[str, bytes, dict[str, str]], tuple[int, bytes]]


def _urllib_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:  # noqa: S310
            return int(answer.status), bytes(answer.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())


class HttpTransport:
    """Batches on ``POST /api/v1/sensors/readings`` with a staff token (``sensor.ingest``)."""

    def __init__(self, base_url: str, token: str, post: Post = _urllib_post) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"--url must look like http://127.0.0.1:8000, not {base_url!r}")
        self.endpoint = base_url.rstrip("/") + "/api/v1/sensors/readings"
        self.events_endpoint = base_url.rstrip("/") + "/api/v1/sensors/events"
        self.headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        self.post = post
        self.sent = self.errors = self.events_sent = 0
        self.last_error = ""

    def send(self, items: list[Item]) -> None:
        for i in range(0, len(items), HTTP_BATCH):
            self.sent += self._send(self.endpoint, "readings", items[i : i + HTTP_BATCH])

    def send_events(self, items: list[Item]) -> None:
        """Camera events, in one request (a few at a time)."""
        self.events_sent += self._send(self.events_endpoint, "events", items)

    def _send(self, endpoint: str, field: str, batch: list[Item]) -> int:
        """Post one batch; how many items were stored (the errors are counted here)."""
        try:
            status, body = self.post(endpoint, json.dumps({field: batch}).encode(),
                                     self.headers)  # fmt: skip
            answer = json.loads(body) if body else {}
        except (OSError, ValueError) as exc:
            self.errors += len(batch)
            self.last_error = f"{type(exc).__name__}: {exc}"
            return 0
        if status == 422 and answer.get("error") in ("readings_rejected", "camera_events_rejected"):
            answer = answer.get("details") or {}
        elif status not in (200, 207):
            self.errors += len(batch)
            self.last_error = (
                f"HTTP {status} {answer.get('error', '')}: {answer.get('message', '')}"
            )
            return 0
        rejections = answer.get("rejections") or []
        failed = {r.get("index") for r in rejections}
        self.errors += len(failed)
        if rejections:
            first = rejections[0]
            self.last_error = f"{first.get('device')}: {first.get('reason')}"
        return len(batch) - len(failed)

    def close(self) -> None:
        return None


class MqttTransport:
    """One QoS 1 message per reading on ``<prefix>/<device>/readings`` (per camera event on
    ``…/events``); ``sent`` (``events_sent``) counts those the broker acknowledged."""

    def __init__(self, url: str, prefix: str, connect_timeout: float = 10.0) -> None:
        broker = Broker.from_url(url)
        self.prefix = prefix
        self.sent = self.errors = self.published = 0
        self.events_sent = self.events_published = 0
        self.last_error = ""
        self._lock = threading.Lock()
        # What each message in flight is (by id: True for an event); an acknowledgement may
        # come before publish() has returned the id, and then waits in _early.
        self._pending: dict[int, bool] = {}
        self._early: set[int] = set()
        self._connected = threading.Event()
        self.client = paho.Client(CallbackAPIVersion.VERSION2,
                                  client_id=f"iocvn-sim-{secrets.token_hex(4)}")  # fmt: skip
        if broker.username:
            self.client.username_pw_set(broker.username, broker.password)
        if broker.tls:  # mqtts://: the system's authorities check the broker's certificate
            self.client.tls_set()
        self.client.max_inflight_messages_set(1000)
        self.client.on_connect = self._on_connect
        self.client.on_disconnect = self._on_disconnect
        self.client.on_publish = self._on_publish
        self.client.connect(broker.host, broker.port, keepalive=30)
        self.client.loop_start()
        if not self._connected.wait(connect_timeout):
            self.client.loop_stop()
            raise ConnectionError(f"MQTT broker {broker.host}:{broker.port} did not accept us")

    def _on_connect(self, _c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        if reason.is_failure:
            self.last_error = f"MQTT: {reason}"
        else:
            self._connected.set()

    def _on_disconnect(self, _c: paho.Client, _u: Any, _f: Any, reason: Any, _p: Any) -> None:
        self._connected.clear()
        if reason.is_failure:
            self.last_error = f"MQTT disconnected: {reason}"

    def _on_publish(self, _c: paho.Client, _u: Any, mid: int, _r: Any, _p: Any) -> None:
        with self._lock:
            event = self._pending.pop(mid, None)
            if event is None:
                self._early.add(mid)
            else:
                self._acknowledged(event)

    def _acknowledged(self, event: bool) -> None:
        if event:
            self.events_sent += 1
        else:
            self.sent += 1

    def _publish(self, topic: str, payload: str, event: bool) -> None:
        info = self.client.publish(topic, payload, qos=1)
        if info.rc != paho.MQTT_ERR_SUCCESS:
            with self._lock:
                self.errors += 1
            self.last_error = f"MQTT publish: {paho.error_string(info.rc)}"
            return
        with self._lock:
            if info.mid in self._early:  # acknowledged before publish() returned
                self._early.discard(info.mid)
                self._acknowledged(event)
            else:
                self._pending[info.mid] = event

    def send(self, items: list[Item]) -> None:
        for item in items:
            payload = json.dumps({"ts": item["ts"], "values": item["values"]})
            self.published += 1
            self._publish(f"{self.prefix}/{item['device']}/readings", payload, event=False)

    def send_events(self, items: list[Item]) -> None:
        """One QoS 1 message per camera event on ``<prefix>/<device>/events``."""
        for item in items:
            payload = json.dumps({k: v for k, v in item.items() if k != "device"})
            self.events_published += 1
            self._publish(f"{self.prefix}/{item['device']}/events", payload, event=True)

    def close(self, timeout: float = 10.0) -> None:
        """Wait (a while) for the broker to acknowledge what was published, then leave."""
        end = time.monotonic() + timeout
        published = self.published + self.events_published
        while (self.sent + self.events_sent + self.errors < published
               and time.monotonic() < end):  # fmt: skip
            time.sleep(0.05)
        self.client.disconnect()
        self.client.loop_stop()


# --- the loop ---------------------------------------------------------------------------------


@dataclass
class Simulator:
    """Makes readings for ``devices`` in turn, ``rate`` per second overall."""

    devices: Sequence[SimDevice]
    rate: float
    flood: Flood | None = None
    seed: int = SEED
    _next: int = 0
    _last: dict[str, datetime] = field(default_factory=dict)
    _rngs: dict[str, random.Random] = field(default_factory=dict)
    events: list[Item] = field(default_factory=list)  # cameras' events, not yet sent
    _blocks: dict[str, int] = field(default_factory=dict)  # each camera's last event block

    def readings(self, count: int, at: datetime, flood_t: float) -> list[Item]:
        """The next ``count`` readings, stamped ``at`` (strictly later per device)."""
        out: list[Item] = []
        for _ in range(count):
            device = self.devices[self._next % len(self.devices)]
            self._next += 1
            rng = self._rngs.setdefault(device.code, random.Random(f"{self.seed}:{device.code}"))
            ts = at
            last = self._last.get(device.code)
            if last is not None and ts <= last:
                ts = last + timedelta(microseconds=1)
            self._last[device.code] = ts
            reading = values(device, ts, rng, self.flood, flood_t)
            if reading:
                out.append({"device": device.code, "ts": ts.isoformat(), "values": reading})
            block = int(ts.timestamp() // EVENT_BLOCK_S)
            if device.kind == "camera" and self._blocks.get(device.code) != block:
                self._blocks[device.code] = block
                seen = camera_event(device.code, ts, self.flood, flood_t)
                self.events += [seen] if seen else []
        return out

    def gauges(self, at: datetime, flood_t: float) -> list[tuple[str, float, Levels]]:
        """Each river gauge's level now, without noise (for the progress line)."""
        rise = self.flood.rise(flood_t) if self.flood else 0.0
        return [
            (d.code, d.levels.normal + 0.05 * _daily(at) + rise, d.levels)
            for d in self.devices
            if d.levels is not None and "currentLevel" in d.quantities
        ]


def progress(sim: Simulator, transport: Transport, at: datetime, flood_t: float,
             elapsed: float) -> str:  # fmt: skip
    """One line: the time in Vietnam, what was sent, the errors, the flood's state."""
    rate = transport.sent / elapsed if elapsed > 0 else 0.0
    line = (f"{to_local(at):%H:%M:%S} — đã gửi / sent {transport.sent}, lỗi / errors "
            f"{transport.errors} ({rate:.1f}/s)")  # fmt: skip
    events = getattr(transport, "events_sent", 0)  # (a transport may not carry events)
    if events:
        line += f", sự kiện camera / camera events {events}"
    if sim.flood is not None:
        gauges = sim.gauges(at, flood_t)
        if gauges:
            worst = max(level - gauge.alert for _, level, gauge in gauges)
            danger = any(level >= gauge.danger for _, level, gauge in gauges)
            state = "NGUY HIỂM / DANGER" if danger else "BÁO ĐỘNG / ALERT" if worst >= 0 else ""
            shown = ", ".join(f"{code} {level:.2f}/{gauge.alert:.2f}"
                              for code, level, gauge in gauges[:3])  # fmt: skip
            line += (f"; lũ / flood +{int(flood_t) // 60}:{int(flood_t) % 60:02d} "
                     f"(mực nước/báo động / level/alert, m) {shown} {state}").rstrip()  # fmt: skip
    return line


def run(
    sim: Simulator,
    transport: Transport,
    *,
    duration: float | None = None,
    stop: threading.Event | None = None,
    echo: Callable[[str], None] = print,
    every: float = 5.0,
    clock: Callable[[], datetime] = utcnow,
    monotonic: Callable[[], float] = time.monotonic,
    tick: float = 0.05,
) -> None:
    """Send ``sim.rate`` readings a second, open-loop, until ``duration`` seconds have passed
    or ``stop`` is set; a progress line every ``every`` seconds (and new errors as they
    come). Readings due while sending was slow are sent at once, not dropped."""
    stop = stop or threading.Event()
    start, started_at = monotonic(), clock()
    made, shown_at, shown_error = 0, start, ""
    while not stop.is_set():
        now = monotonic()
        elapsed = now - start
        if duration is not None and elapsed >= duration:
            elapsed = duration
        due = int(elapsed * sim.rate) - made
        if due > 0:
            at = clock()
            transport.send(sim.readings(due, at, (at - started_at).total_seconds()))
            made += due
            if sim.events:
                transport.send_events(sim.events)
                sim.events = []
        if transport.last_error and transport.last_error != shown_error:
            shown_error = transport.last_error
            echo(f"  lỗi / error: {shown_error}")
        if now - shown_at >= every:
            shown_at = now
            at = clock()
            echo(progress(sim, transport, at, (at - started_at).total_seconds(), elapsed))
        if duration is not None and elapsed >= duration:
            break
        wait = max(tick, (made + 1) / sim.rate - (monotonic() - start))
        stop.wait(min(wait, every, 1.0))
    transport.close()
    at = clock()
    echo(progress(sim, transport, at, (at - started_at).total_seconds(),
                  max(monotonic() - start, 1e-9)))  # fmt: skip


# --- the command ------------------------------------------------------------------------------

app = typer.Typer(
    help="Dữ liệu mô phỏng cho bản demo. / Simulated data for the demo.", no_args_is_help=True
)
DEFAULT_HTTP: Final = "http://127.0.0.1:8000"


def _fail(message: str) -> typer.Exit:
    typer.echo(f"Lỗi / Error: {message}", err=True)
    return typer.Exit(1)


@app.command("sensors")
def sensors_cmd(
    rate: Annotated[
        float, typer.Option(min=0.01, max=100_000, help="Readings per second, over all devices")
    ] = 2.0,
    via: Annotated[
        str | None, typer.Option(help="mqtt (default when IOCVN_MQTT_URL is set) or http")
    ] = None,
    scenario: Annotated[
        str | None,
        typer.Option(help="flood: a flood wave on the river gauges, within a few minutes"),
    ] = None,
    duration: Annotated[
        float | None, typer.Option(min=0, help="Seconds (default: until Ctrl-C)")
    ] = None,
    url: Annotated[
        str | None,
        typer.Option(
            help=f"MQTT broker (default IOCVN_MQTT_URL) or server (default {DEFAULT_HTTP})"
        ),
    ] = None,
    token: Annotated[
        str | None,
        typer.Option(envvar="IOCVN_TOKEN", help="--via http: a staff API token with sensor.ingest"),
    ] = None,
    device: Annotated[
        list[str] | None,
        typer.Option("--device", help="Only these devices (default: the demo devices)"),
    ] = None,
) -> None:
    """Send realistic readings for the demo devices (or --device ones), so the demo is alive
    (docs/sensors.md, "Simulator")."""
    settings = get_settings()
    via = via or ("mqtt" if settings.mqtt_url else "http")
    if via not in ("mqtt", "http"):
        raise _fail("--via mqtt hoặc / or http")
    if scenario not in (None, "flood"):
        raise _fail("--scenario flood")
    with transaction() as session:
        devices = load_devices(session, device or ())
    if not devices:
        raise _fail("không có thiết bị / no devices (run `iocvn demo`, or name them with "
                    "--device)")  # fmt: skip
    transport: Transport
    try:
        if via == "mqtt":
            broker = url or settings.mqtt_url
            if not broker:
                raise _fail("chưa đặt IOCVN_MQTT_URL / IOCVN_MQTT_URL is not set (or --url)")
            transport = MqttTransport(broker, settings.mqtt_topic_prefix)
            where = f"{broker} ({settings.mqtt_topic_prefix}/<device>/readings)"
        else:
            if not token:
                raise _fail("--via http cần / needs --token (or IOCVN_TOKEN): a staff token "
                            "with sensor.ingest, e.g. `iocvn token create dieuhanh`")  # fmt: skip
            transport = HttpTransport(url or DEFAULT_HTTP, token)
            where = transport.endpoint
    except (OSError, ValueError) as exc:
        raise _fail(str(exc)) from exc
    sim = Simulator(devices, rate, Flood() if scenario == "flood" else None)
    typer.echo(f"✓ Mô phỏng / simulating {len(devices)} thiết bị / devices, {rate:g}/s → {where}"
               f"{' — lũ / flood wave' if scenario else ''} (Ctrl-C: dừng / stop)")  # fmt: skip
    stop = threading.Event()
    try:
        run(sim, transport, duration=duration, stop=stop, echo=typer.echo)
    except KeyboardInterrupt:
        stop.set()
        transport.close()
        typer.echo(f"Đã dừng / stopped: sent {transport.sent}, errors {transport.errors}")
