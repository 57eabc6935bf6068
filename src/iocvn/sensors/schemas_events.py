"""Shapes of the camera-event and vendor-payload routes (docs/sensors.md). The list of events
is read by the map page: its item shape is a contract, change it with the map."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema

from iocvn.sensors.models_events import EVENT_KINDS
from iocvn.sensors.schemas import MAX_ITEMS, IngestOut

_EVENT_SCHEMA = {
    "type": "object",
    "required": ["device", "ts", "kind", "confidence", "snapshot"],
    "properties": {
        "device": {"type": "string", "description": "the camera's device code"},
        "ts": {"type": "string", "format": "date-time", "description": "ISO-8601; no offset: UTC"},
        "kind": {"type": "string", "enum": list(EVENT_KINDS)},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "snapshot": {
            "type": "string",
            "maxLength": 1000,
            "description": "an http(s) URL or a relative object key (cam-01/2026/11/30/0830.jpg)",
        },
        "attributes": {
            "type": "object",
            "description": "details (bbox: [x, y, w, h] as fractions of the image…), ≤ 4 KB",
        },
    },
}


class CameraEventsIn(BaseModel):
    """A batch of camera events. Items are checked one by one (a bad one never sinks the
    others), so the schema here only asks for a list."""

    events: Annotated[
        list[Any],
        Field(min_length=1, max_length=MAX_ITEMS),
        WithJsonSchema(
            {"type": "array", "items": _EVENT_SCHEMA, "minItems": 1, "maxItems": MAX_ITEMS}
        ),
    ]


class EventRejectionOut(BaseModel):
    """An event that was not stored, and why (``reason`` is a stable code)."""

    index: int = Field(description="position of the item in `events`")
    device: str | None
    reason: str
    message: str


class EventsIngestOut(BaseModel):
    """What became of a batch of events (200: all stored or duplicates; 207: some rejected)."""

    items: int
    accepted: int
    duplicates: int
    rejected: int
    rejections: list[EventRejectionOut]


class CameraEventOut(BaseModel):
    """One event on the map: where (the camera's place), what (``kind`` and its Vietnamese
    ``label``), when, how sure, and its snapshot."""

    id: str
    device: str
    kind: str
    label: str
    ts: datetime
    lon: float
    lat: float
    snapshot_url: str = Field(
        description="as the camera sent it: an http(s) URL, or an object key of the image store"
    )
    confidence: float


class VendorIngestOut(BaseModel):
    """What became of a vendor's payload: its readings and its camera events."""

    adapter: str
    readings: IngestOut
    events: EventsIngestOut
