"""Builders for sensor tests: devices registered through the registry, and readings."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from iocvn.core.context import Actor
from iocvn.sensors import registry
from iocvn.sensors.models import Device
from tests.factories.auth import add_units

ACTOR = Actor("ky-thuat", "20", "req-sensors", "127.0.0.1")
# Real places of Lạng Sơn: the Kỳ Cùng river at Lạng Sơn city, and the two wards of
# factories.auth (points inside their real boundaries).
KY_CUNG = (106.7590, 21.8490)  # lon, lat
DONG_KINH = (106.77502, 21.81153)  # Phường Đông Kinh (05977)
TAM_THANH = (106.74267, 21.88495)  # Phường Tam Thanh (05986)
NOW = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)  # 10:00 in Vietnam


def units(session: Session) -> Session:
    """The province, two wards and two agencies of ``factories.auth`` (no boundaries)."""
    add_units(session)
    session.commit()
    return session


def device(
    session: Session,
    code: str = "KC-LS-01",
    kind: str = "water_level",
    *,
    org: str = "20",
    at: tuple[float, float] = KY_CUNG,
    commit: bool = True,
    **fields: Any,
) -> tuple[Device, str]:
    """Register a device (the units must exist); returns it with its API key."""
    values: dict[str, Any] = {"name": f"Thiết bị {code}", "interval_s": 300} | fields
    spec = registry.DeviceSpec(code=code, kind=kind, lon=at[0], lat=at[1], org_unit=org, **values)
    made, key = registry.register(session, ACTOR, spec, None)
    if commit:
        session.commit()
    return made, key


def reading(code: str, ts: datetime | str, **values: Any) -> dict[str, Any]:
    """One item of a batch, as the JSON API takes it."""
    return {"device": code, "ts": ts.isoformat() if isinstance(ts, datetime) else ts,
            "values": values}  # fmt: skip


def series(
    code: str, quantity: str, start: datetime, values: list[float], every_s: int = 60
) -> list[dict[str, Any]]:
    """Readings of one quantity at regular intervals."""
    return [
        reading(code, start + timedelta(seconds=i * every_s), **{quantity: v})
        for i, v in enumerate(values)
    ]
