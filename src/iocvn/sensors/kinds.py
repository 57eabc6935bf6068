"""Kinds of device (loại thiết bị), the quantities each measures by default, and how long
their raw readings are kept. Pure data: no database, no HTTP.

Quantities are named after FIWARE Smart Data Models where one exists (FloodMonitoring,
WeatherObserved, AirQualityObserved, Streetlight, CrowdFlowObserved), so another NGSI system
reads them without a mapping; their units follow the model (``relativeHumidity`` and
``illuminanceLevel`` are fractions 0–1, not percentages). A device may declare other
quantities; these are the defaults when a registration gives none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Final

Range = tuple[float | None, float | None]


@dataclass(frozen=True)
class Kind:
    """A kind of device: what it measures and how long its raw readings are kept."""

    code: str
    name_vi: str
    name_en: str
    model: str  # the FIWARE Smart Data Model its quantities come from ("" when none fits)
    quantities: dict[str, str]  # quantity → unit
    raw_days: int  # raw readings older than this are deleted (rollups stay)
    ranges: dict[str, Range] = field(default_factory=dict)  # physical limits by default


_FRACTION: Final[Range] = (0.0, 1.0)
_TEMPERATURE: Final[Range] = (-30.0, 70.0)

KINDS: Final[dict[str, Kind]] = {
    k.code: k
    for k in (
        Kind(
            "water_level", "Đo mực nước", "Water level", "FloodMonitoring",
            {"currentLevel": "m"}, raw_days=1825,
        ),
        Kind(
            "rain_gauge", "Đo mưa", "Rain gauge", "WeatherObserved",
            {"precipitation": "mm"}, raw_days=1825, ranges={"precipitation": (0.0, 500.0)},
        ),
        Kind(
            "air_quality", "Quan trắc không khí", "Air quality", "AirQualityObserved",
            {"pm25": "µg/m³", "pm10": "µg/m³", "aqi": "1", "temperature": "°C",
             "relativeHumidity": "1"},
            raw_days=730,
            ranges={"pm25": (0.0, 2000.0), "pm10": (0.0, 5000.0), "aqi": (0.0, 500.0),
                    "temperature": _TEMPERATURE, "relativeHumidity": _FRACTION},
        ),
        Kind(
            "weather", "Nhiệt độ, độ ẩm", "Temperature and humidity", "WeatherObserved",
            {"temperature": "°C", "relativeHumidity": "1"}, raw_days=730,
            ranges={"temperature": _TEMPERATURE, "relativeHumidity": _FRACTION},
        ),
        Kind(
            "fire_smoke", "Cảnh báo cháy rừng (khói, nhiệt)", "Forest fire (smoke, heat)", "",
            {"temperature": "°C", "relativeHumidity": "1", "smokeDetected": "1"}, raw_days=365,
            ranges={"temperature": (-30.0, 200.0), "relativeHumidity": _FRACTION,
                    "smokeDetected": _FRACTION},
        ),
        Kind(
            "street_light", "Đèn chiếu sáng công cộng", "Street light", "Streetlight",
            {"powerState": "1", "illuminanceLevel": "1", "activePower": "W"}, raw_days=180,
            ranges={"powerState": _FRACTION, "illuminanceLevel": _FRACTION,
                    "activePower": (0.0, None)},
        ),
        Kind(
            "emission", "Quan trắc khí thải công nghiệp", "Industrial emission",
            "AirQualityObserved",
            {"so2": "mg/Nm³", "nox": "mg/Nm³", "co": "mg/Nm³", "dust": "mg/Nm³"},
            raw_days=1825,  # evidence of violations (R6)
            ranges={"so2": (0.0, None), "nox": (0.0, None), "co": (0.0, None),
                    "dust": (0.0, None)},
        ),
        Kind(
            "camera", "Camera AI", "AI camera", "CrowdFlowObserved",
            {"peopleCount": "1"}, raw_days=90, ranges={"peopleCount": (0.0, None)},
        ),
    )
}  # fmt: skip

STATUSES: Final = ("active", "maintenance", "retired")
# A device code: safe in MQTT topics and URLs (a code that does not match names no device).
CODE: Final = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")

# Rollup steps (seconds) and how long each is kept (days; None: for ever).
STEPS: Final[dict[str, int]] = {"1m": 60, "1h": 3600, "1d": 86400}
ROLLUP_DAYS: Final[dict[int, int | None]] = {60: 90, 3600: 3650, 86400: None}


def default_ranges(kind: str, quantities: dict[str, str]) -> dict[str, Range]:
    """The kind's physical limits for the quantities a device measures."""
    known = KINDS[kind].ranges if kind in KINDS else {}
    return {q: known[q] for q in quantities if q in known}
