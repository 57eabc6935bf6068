"""Demo sensors of Lạng Sơn (the demo province): devices at real places — river gauges on the
Kỳ Cùng at Lạng Sơn city and upstream at Thất Khê, rain gauges, air quality in the city, a
forest-fire sensor on Mẫu Sơn, an AI camera at the Đông Kinh market, a stack's emission
monitor in the Đồng Bành industrial park — labelled *demo*
(``Device.demo``, "(demo)" in the name), with a day of invented readings (and a few camera
events) so the map and charts are not empty before the simulator runs.

Places are real; positions are approximate (to about a hundred metres) and the numbers are
invented: the river around 250 m above sea level, under the alert level I of the Lạng Sơn
station (252 m). Loaded once: re-running finds the demo devices and does nothing.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.core.context import Actor
from iocvn.org.models import OrgUnit
from iocvn.sensors import registry
from iocvn.sensors.events import ingest_events
from iocvn.sensors.ingest import ingest
from iocvn.sensors.models import Device

PROVINCE = "20"  # Lạng Sơn
OWNER = "20.SNNMT"  # Sở Nông nghiệp và Môi trường (environmental monitoring, forest rangers)
HISTORY = timedelta(hours=24)
EVERY = timedelta(minutes=10)
SEED = 2026

# code, kind, name, lon, lat, quantities (empty: the kind's), ranges
DEVICES: tuple[tuple[str, str, str, float, float, dict[str, str]], ...] = (
    ("KC-LANGSON", "water_level", "Trạm thủy văn Lạng Sơn — sông Kỳ Cùng", 106.7550, 21.8500,
     {"currentLevel": "m"}),
    ("KC-KYLUA", "water_level", "Cầu Kỳ Lừa — sông Kỳ Cùng", 106.7625, 21.8545,
     {"currentLevel": "m"}),
    ("KC-THATKHE", "water_level", "Thất Khê — sông Kỳ Cùng (thượng nguồn)", 106.4321, 22.3017,
     {"currentLevel": "m"}),
    ("MUA-MAUSON", "rain_gauge", "Đo mưa Mẫu Sơn", 107.0281, 21.7968, {}),
    ("MUA-BACSON", "rain_gauge", "Đo mưa Bắc Sơn", 106.3423, 21.9135, {}),
    ("MUA-THATKHE", "rain_gauge", "Đo mưa Thất Khê", 106.4330, 22.3000, {}),
    ("KK-DONGKINH", "air_quality", "Quan trắc không khí phường Đông Kinh", 106.7750, 21.8115, {}),
    ("KK-LUONGVANTRI", "air_quality", "Quan trắc không khí phường Lương Văn Tri", 106.7317,
     21.8269, {}),
    ("CHAY-MAUSON", "fire_smoke", "Cảnh báo cháy rừng Mẫu Sơn", 106.9900, 21.8300, {}),
    ("CAM-DONGKINH", "camera", "Camera AI chợ Đông Kinh", 106.7612, 21.8468, {}),
    ("KT-DONGBANH", "emission", "Khí thải ống khói — KCN Đồng Bành (Chi Lăng)", 106.5930,
     21.6000, {}),
)  # fmt: skip
# The demo camera's events: hours before now, kind, confidence (invented).
CAMERA_EVENTS = ((2, "congestion", 0.91), (6, "illegal_parking", 0.84), (11, "crowd", 0.78),
                 (20, "illegal_parking", 0.88))  # fmt: skip
# Where each river gauge's level sits (m above sea level; invented).
LEVELS = {"KC-LANGSON": 250.4, "KC-KYLUA": 250.2, "KC-THATKHE": 268.5}


@dataclass
class DemoSensors:
    """What was loaded."""

    devices: int = 0
    readings: int = 0
    events: int = 0


def _values(code: str, kind: str, at: datetime, rng: random.Random) -> dict[str, float]:
    hour = (at.hour + 7) % 24 + at.minute / 60  # Vietnam time
    daily = math.sin((hour - 9) / 24 * 2 * math.pi)  # warmest mid-afternoon
    if kind == "water_level":
        return {"currentLevel": round(LEVELS[code] + 0.05 * daily + rng.gauss(0, 0.01), 2)}
    if kind == "rain_gauge":
        return {"precipitation": round(max(0.0, rng.gauss(-0.4, 0.6)), 1)}
    if kind == "air_quality":
        pm25 = max(3.0, 28 + 12 * math.cos((hour - 8) / 24 * 2 * math.pi) + rng.gauss(0, 3))
        return {"pm25": round(pm25, 1), "pm10": round(pm25 * 1.6, 1),
                "aqi": round(min(500.0, pm25 * 2.2)), "temperature": round(19 + 5 * daily, 1),
                "relativeHumidity": round(0.75 - 0.15 * daily, 2)}  # fmt: skip
    if kind == "camera":  # people at the market, busiest mid-morning and late afternoon
        busy = 40 * math.exp(-(((hour - 9.5) / 2) ** 2)) + 30 * math.exp(-(((hour - 17) / 2) ** 2))
        crowd = 8 + busy + rng.gauss(0, 4)
        return {"peopleCount": float(max(0, round(crowd)))}
    if kind == "emission":  # well under the QCVN 19:2009/BTNMT limits (SO₂ 500 mg/Nm³…)
        load = 0.8 + 0.2 * daily
        return {"so2": round(load * 120 + rng.gauss(0, 8), 1),
                "nox": round(load * 180 + rng.gauss(0, 10), 1),
                "co": round(load * 90 + rng.gauss(0, 6), 1),
                "dust": round(load * 25 + rng.gauss(0, 2), 1)}  # fmt: skip
    return {"temperature": round(16 + 5 * daily + rng.gauss(0, 0.3), 1),
            "relativeHumidity": round(0.8 - 0.15 * daily, 2), "smokeDetected": 0.0}  # fmt: skip


def load(session: Session, actor: Actor, province: str, now: datetime) -> DemoSensors:
    """Register the demo devices and a day of demo readings, once (Lạng Sơn only)."""
    done = DemoSensors()
    if province != PROVINCE or session.get(OrgUnit, OWNER) is None:
        return done
    if session.execute(select(Device.id).where(Device.demo).limit(1)).first() is not None:
        return done
    for code, kind, name, lon, lat, quantities in DEVICES:
        spec = registry.DeviceSpec(
            code=code, kind=kind, name=f"{name} (demo)", lon=lon, lat=lat, org_unit=OWNER,
            quantities=quantities, interval_s=600, owner="Sở Nông nghiệp và Môi trường (demo)",
            demo=True,
        )  # fmt: skip
        registry.register(session, actor, spec, None)
        done.devices += 1
    rng = random.Random(SEED)
    start = (now - HISTORY).replace(second=0, microsecond=0)
    steps = int(HISTORY / EVERY)
    items = [
        (code, start + i * EVERY, _values(code, kind, start + i * EVERY, rng))
        for i in range(steps)
        for code, kind, *_ in DEVICES
    ]
    done.readings = ingest(session, items, now=now, channel="demo").accepted
    code = "CAM-DONGKINH"
    seen = [
        {"device": code, "ts": now - timedelta(hours=hours), "kind": kind,
         "confidence": confidence,
         "snapshot": f"demo/{code}/{now - timedelta(hours=hours):%Y%m%dT%H%M}.jpg"}
        for hours, kind, confidence in CAMERA_EVENTS
    ]  # fmt: skip
    done.events = ingest_events(session, seen, now=now, channel="demo").accepted
    return done
