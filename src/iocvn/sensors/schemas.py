"""Shapes of the sensors JSON API (the contract of issue #5 and docs/sensors.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, WithJsonSchema

from iocvn.sensors.models import OUT_OF_RANGE, Device, Latest

MAX_ITEMS = 10_000  # items of one POST /sensors/readings
Status = Literal["active", "maintenance", "retired"]
Bounds = Annotated[list[float | None], Field(min_length=2, max_length=2)]


class DeviceIn(BaseModel):
    """A registration: ``quantities`` {name: unit} (empty: the kind's FIWARE defaults);
    ``ranges`` {name: [min, max]} (absent: the kind's physical limits; null: unbounded)."""

    code: str = Field(max_length=64, examples=["KC-LS-01"])
    kind: str = Field(max_length=20, examples=["water_level"])
    name: str = Field(min_length=1, max_length=200)
    lon: float = Field(ge=-180, le=180)
    lat: float = Field(ge=-90, le=90)
    org_unit: str = Field(max_length=32)
    quantities: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=32)]] = (
        Field(default_factory=dict, examples=[{"currentLevel": "m"}])
    )
    interval_s: int = Field(default=300, ge=1, le=7 * 86400)
    ranges: dict[Annotated[str, Field(max_length=64)], Bounds] | None = None
    calibration: str = Field(default="", max_length=4000)
    owner: str = Field(default="", max_length=200)


class DeviceUpdate(BaseModel):
    """Fields to change (absent: kept)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    lon: float | None = Field(default=None, ge=-180, le=180)
    lat: float | None = Field(default=None, ge=-90, le=90)
    org_unit: str | None = Field(default=None, max_length=32)
    quantities: (
        dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=32)]] | None
    ) = None
    ranges: dict[Annotated[str, Field(max_length=64)], Bounds] | None = None
    interval_s: int | None = Field(default=None, ge=1, le=7 * 86400)
    calibration: str | None = Field(default=None, max_length=4000)
    owner: str | None = Field(default=None, max_length=200)
    status: Status | None = None


class LatestOut(BaseModel):
    """The newest reading of one quantity."""

    ts: datetime
    value: float
    out_of_range: bool
    received_at: datetime


class DeviceOut(BaseModel):
    """A device with the latest value of each quantity it measures."""

    code: str
    kind: str
    name: str
    lon: float
    lat: float
    org_unit: str
    area: str | None = Field(description="the commune the device stands in")
    quantities: dict[str, str]
    ranges: dict[str, list[float | None]]
    interval_s: int
    calibration: str
    owner: str
    status: Status
    demo: bool
    key_prefix: str
    created_at: datetime
    updated_at: datetime
    last_seen_at: datetime | None
    online: bool = Field(description="a reading arrived within two intervals (and a minute)")
    latest: dict[str, LatestOut]

    @classmethod
    def of(cls, device: Device, latest: list[Latest], now: datetime) -> DeviceOut:
        """The API view of a device and its latest values."""
        seen = device.last_seen_at
        online = seen is not None and (now - seen).total_seconds() <= 2 * device.interval_s + 60
        return cls(
            code=device.code, kind=device.kind, name=device.name, lon=device.lon, lat=device.lat,
            org_unit=device.org_code, area=device.area_code, quantities=device.quantities,
            ranges=device.ranges, interval_s=device.interval_s, calibration=device.calibration,
            owner=device.owner, status=device.status,
            demo=device.demo, key_prefix=device.key_prefix, created_at=device.created_at,
            updated_at=device.updated_at, last_seen_at=seen, online=online,
            latest={
                v.quantity: LatestOut(ts=v.ts, value=v.value, received_at=v.received_at,
                                      out_of_range=bool(v.flags & OUT_OF_RANGE))
                for v in latest
            },
        )  # fmt: skip


class DeviceCreated(DeviceOut):
    """A new device (or a new key): ``api_key`` is shown this once and never again."""

    api_key: str


class DevicePage(BaseModel):
    """One page of devices and how many match in all."""

    total: int
    items: list[DeviceOut]


_ITEM_SCHEMA = {
    "type": "object",
    "required": ["device", "ts", "values"],
    "properties": {
        "device": {"type": "string", "description": "the device code"},
        "ts": {"type": "string", "format": "date-time", "description": "ISO-8601; no offset: UTC"},
        "values": {"type": "object", "additionalProperties": {"type": "number"}},
    },
}


class ReadingsIn(BaseModel):
    """A batch of readings. Items are checked one by one (a bad one never sinks the others),
    so the schema here only asks for a list."""

    readings: Annotated[
        list[Any],
        Field(min_length=1, max_length=MAX_ITEMS),
        WithJsonSchema(
            {"type": "array", "items": _ITEM_SCHEMA, "minItems": 1, "maxItems": MAX_ITEMS}
        ),
    ]


class RejectionOut(BaseModel):
    """A reading or item that was not stored, and why (``reason`` is a stable code)."""

    index: int = Field(description="position of the item in `readings`")
    device: str | None
    quantity: str | None = Field(description="null when the whole item was rejected")
    reason: str
    message: str


class IngestOut(BaseModel):
    """What became of a batch (200: all stored or duplicates; 207: some rejected)."""

    items: int
    accepted: int
    flagged: int
    duplicates: int
    rejected: int
    rejections: list[RejectionOut]


class HistoryOut(BaseModel):
    """Raw readings (``value``, ``out_of_range``, ``received_at``) or rollups (``min``,
    ``max``, ``avg``, ``sum``, ``count``; ``ts`` is the bucket's start), in time order."""

    device: str
    step: str
    since: datetime
    until: datetime
    quantity: str | None
    items: list[dict[str, Any]]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page")
