"""Camera AI events (sự kiện camera AI): what a camera's video analytics saw — a crowd, fire,
smoke, flooding, a traffic jam, a car parked where it must not be… — at an instant, with how
sure it is and where its snapshot is kept.

An event is stored once: (device, ts, kind) is unique, so a camera or a gateway sending it
again changes nothing. Unlike readings, events are few (a camera sends one when something
happens), so the table has a foreign key to the device and a record id (a ULID) the map and
the alerts can point at. The snapshot itself is not stored here: only a reference to it, an
http(s) URL or an object key in the province's image store (checked by :mod:`.events`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.ids import new_id
from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow

# The fixed vocabulary of event kinds (their Vietnamese and English labels: messages.py).
EVENT_KINDS: Final = (
    "crowd", "fire", "smoke", "flooding", "congestion", "illegal_parking", "accident",
    "intrusion", "other",
)  # fmt: skip


class CameraEvent(Base):
    """One event seen by an AI camera (a device of kind ``camera``), with its snapshot."""

    __tablename__ = "sensor_camera_events"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    device_id: Mapped[int] = mapped_column(ForeignKey("sensor_devices.id"))
    ts: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(20))  # one of EVENT_KINDS
    confidence: Mapped[float] = mapped_column(Float)  # 0–1
    snapshot: Mapped[str] = mapped_column(String(1000))  # http(s) URL or relative object key
    # Free details of the analytics (bbox: [x, y, w, h] as fractions of the image, counts…),
    # at most events.MAX_ATTRIBUTES_BYTES of JSON.
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        UniqueConstraint("device_id", "ts", "kind"),  # the duplicate check
        Index("ix_sensor_camera_events_ts", "ts"),  # the map's window, retention
    )
