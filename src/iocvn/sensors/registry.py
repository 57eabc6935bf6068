"""The device registry (danh mục thiết bị): register a device (its API key is returned once and
only its hash kept), edit it, retire it, issue a new key, and read devices within the
caller's scope with their latest values. Every change is audited in the caller's transaction.

Who sees a device follows the handling scope (``OrgScope.handling_clause``): the province
sees all; an agency the devices it answers for; a commune those it answers for and those
standing in it. Who may register or edit one: a caller whose scope may edit the device's
org unit (the province any; a commune its own).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.scope import OrgScope
from iocvn.core.context import Actor
from iocvn.core.crypto import new_token, token_hash
from iocvn.core.errors import Conflict, Forbidden, Invalid, NotFound
from iocvn.org import geo
from iocvn.org.models import OrgUnit
from iocvn.sensors import directory
from iocvn.sensors.kinds import CODE, KINDS, STATUSES, default_ranges
from iocvn.sensors.models import Device, Latest

KEY_PREFIX = "iocvnd_"
RESERVED_CODES = frozenset({"devices", "readings", "events", "ingest", "map.json"})  # path segments
QUANTITY = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
MAX_QUANTITIES = 32
MAX_INTERVAL_S = 7 * 86400


@dataclass
class DeviceSpec:
    """What a registration says about a device (``quantities`` empty: the kind's)."""

    code: str
    kind: str
    name: str
    lon: float
    lat: float
    org_unit: str
    quantities: dict[str, str] = field(default_factory=dict)
    interval_s: int = 300
    ranges: dict[str, list[float | None]] | None = None
    calibration: str = ""
    owner: str = ""
    demo: bool = False


@dataclass
class DeviceChanges:
    """Fields to change (None: kept)."""

    name: str | None = None
    lon: float | None = None
    lat: float | None = None
    org_unit: str | None = None
    quantities: dict[str, str] | None = None
    ranges: dict[str, list[float | None]] | None = None
    interval_s: int | None = None
    calibration: str | None = None
    owner: str | None = None
    status: str | None = None


def new_key() -> str:
    """A fresh device API key (shown once)."""
    return f"{KEY_PREFIX}{new_token(24)}"


def is_device_key(bearer: str) -> bool:
    """True when a bearer value has the shape of a device key (not a staff token)."""
    return bearer.startswith(KEY_PREFIX)


# --- checks ---------------------------------------------------------------------------------


def check_code(code: str) -> str:
    """A valid device code, or 422."""
    if not isinstance(code, str) or not CODE.match(code) or code.lower() in RESERVED_CODES:
        raise Invalid("device_code_invalid", details={"code": str(code)[:80]})
    return code


def check_kind(kind: str) -> str:
    """A known kind, or 422."""
    if kind not in KINDS:
        raise Invalid("sensor_kind_unknown", kind=str(kind)[:40], known=", ".join(KINDS))
    return kind


def check_quantities(kind: str, quantities: Mapping[str, str] | None) -> dict[str, str]:
    """Valid quantity names with their units; the kind's defaults when none are given."""
    if not quantities:
        return dict(KINDS[kind].quantities)
    if len(quantities) > MAX_QUANTITIES:
        raise Invalid("device_quantities", reason=f"> {MAX_QUANTITIES}")
    out = {}
    for name, unit in quantities.items():
        if not isinstance(name, str) or not QUANTITY.match(name):
            raise Invalid("device_quantities", reason=f"{str(name)[:70]!r}")
        if not isinstance(unit, str) or len(unit) > 32:
            raise Invalid("device_quantities", reason=f"{name}: unit ≤ 32")
        out[name] = unit.strip()
    return out


def check_ranges(
    kind: str, quantities: dict[str, str], ranges: Mapping[str, Any] | None
) -> dict[str, list[float | None]]:
    """Valid ``{quantity: [min, max]}`` (null: unbounded); the kind's limits by default."""
    if ranges is None:
        return {q: [lo, hi] for q, (lo, hi) in default_ranges(kind, quantities).items()}
    out: dict[str, list[float | None]] = {}
    for quantity, pair in ranges.items():
        if quantity not in quantities:
            raise Invalid("device_ranges", reason=f"{str(quantity)[:64]} ∉ quantities")
        if not isinstance(pair, list | tuple) or len(pair) != 2:
            raise Invalid("device_ranges", reason=f"{quantity}: [min, max]")
        bounds: list[float | None] = []
        for b in pair:
            if b is not None and (
                isinstance(b, bool) or not isinstance(b, int | float) or not math.isfinite(b)
            ):
                raise Invalid("device_ranges", reason=f"{quantity}: {str(b)[:20]}")
            bounds.append(None if b is None else float(b))
        if bounds[0] is not None and bounds[1] is not None and bounds[0] > bounds[1]:
            raise Invalid("device_ranges", reason=f"{quantity}: min > max")
        out[quantity] = bounds
    return out


def check_interval(interval_s: int) -> int:
    """An interval between 1 s and 7 days, or 422."""
    if isinstance(interval_s, bool) or not isinstance(interval_s, int):
        raise Invalid("device_interval")
    if not 1 <= interval_s <= MAX_INTERVAL_S:
        raise Invalid("device_interval")
    return interval_s


def check_unit(session: Session, code: str, scope: OrgScope | None) -> OrgUnit:
    """A current org unit the caller may assign devices to."""
    unit = session.get(OrgUnit, code) if isinstance(code, str) else None
    if unit is None or unit.valid_to is not None:
        raise Invalid("device_org_unit", org_unit=str(code)[:32])
    if scope is not None and not scope.may_edit_unit(unit):
        raise Forbidden("device_org_unit_scope", org_unit=unit.code)
    return unit


def locate(session: Session, unit: OrgUnit, lon: float, lat: float) -> str | None:
    """The commune at (lon, lat), after checking the point is in the unit's province."""
    if not all(isinstance(v, int | float) and math.isfinite(v) for v in (lon, lat)):
        raise Invalid("device_location")
    if not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise Invalid("device_location")
    if not geo.in_province(session, unit.province_code, lon, lat):
        raise Invalid("device_location", details={"lon": lon, "lat": lat})
    return geo.commune_at(session, unit.province_code, lon, lat)


def check_new(session: Session, spec: DeviceSpec, scope: OrgScope | None) -> dict[str, Any]:
    """Every check of a registration, without writing; the device's column values."""
    check_code(spec.code)
    if not isinstance(spec.name, str) or not spec.name.strip() or len(spec.name) > 200:
        raise Invalid("invalid", details={"field": "name"})
    kind = check_kind(spec.kind)
    unit = check_unit(session, spec.org_unit, scope)
    area = locate(session, unit, spec.lon, spec.lat)
    quantities = check_quantities(kind, spec.quantities)
    taken = session.execute(select(Device.id).where(Device.code == spec.code)).first()
    if taken is not None:
        raise Conflict("device_code_taken", device=spec.code)
    return {
        "code": spec.code, "kind": kind, "name": spec.name.strip(), "lon": float(spec.lon),
        "lat": float(spec.lat), "org_code": unit.code, "area_code": area,
        "quantities": quantities, "ranges": check_ranges(kind, quantities, spec.ranges),
        "interval_s": check_interval(spec.interval_s), "calibration": spec.calibration.strip(),
        "owner": spec.owner.strip()[:200], "demo": spec.demo,
    }  # fmt: skip


# --- changes --------------------------------------------------------------------------------


def register(
    session: Session, actor: Actor, spec: DeviceSpec, scope: OrgScope | None
) -> tuple[Device, str]:
    """Register a device; returns it with its API key (plaintext, this once)."""
    fields = check_new(session, spec, scope)
    key = new_key()
    device = Device(**fields, api_key_hash=token_hash(key), key_prefix=key[:12])
    session.add(device)
    session.flush()
    directory.invalidate()
    audit.record(session, actor, "sensor_device.create", target_type="sensor_device",
                 target_id=device.code, after=device.snapshot())  # fmt: skip
    return device, key


def update(
    session: Session, actor: Actor, device: Device, changes: DeviceChanges, scope: OrgScope | None
) -> Device:
    """Change a device's description, place, quantities or status (audited)."""
    before = device.snapshot()
    unit = check_unit(session, changes.org_unit or device.org_code, scope)
    if changes.name is not None:
        if not changes.name.strip() or len(changes.name) > 200:
            raise Invalid("invalid", details={"field": "name"})
        device.name = changes.name.strip()
    if changes.lon is not None or changes.lat is not None or changes.org_unit is not None:
        lon = device.lon if changes.lon is None else changes.lon
        lat = device.lat if changes.lat is None else changes.lat
        device.area_code = locate(session, unit, lon, lat)
        device.lon, device.lat, device.org_code = float(lon), float(lat), unit.code
    if changes.quantities is not None:
        device.quantities = check_quantities(device.kind, changes.quantities)
        if changes.ranges is None:  # keep the ranges of the quantities still measured
            device.ranges = {q: r for q, r in device.ranges.items() if q in device.quantities}
    if changes.ranges is not None:
        device.ranges = check_ranges(device.kind, device.quantities, changes.ranges)
    if changes.interval_s is not None:
        device.interval_s = check_interval(changes.interval_s)
    if changes.calibration is not None:
        device.calibration = changes.calibration.strip()
    if changes.owner is not None:
        device.owner = changes.owner.strip()[:200]
    if changes.status is not None:
        if changes.status not in STATUSES:
            raise Invalid("device_status")
        device.status = changes.status
    after = device.snapshot()
    if after != before:
        session.flush()
        directory.invalidate()
        changed = [k for k in after if after[k] != before[k]]
        audit.record(session, actor, "sensor_device.update", target_type="sensor_device",
                     target_id=device.code, before={k: before[k] for k in changed},
                     after={k: after[k] for k in changed})  # fmt: skip
    return device


def retire(session: Session, actor: Actor, device: Device, scope: OrgScope | None) -> Device:
    """Stop accepting the device's readings; its history stays."""
    return update(session, actor, device, DeviceChanges(status="retired"), scope)


def rotate_key(session: Session, actor: Actor, device: Device, scope: OrgScope | None) -> str:
    """Give the device a new API key (the old one stops working); returns it, once."""
    check_unit(session, device.org_code, scope)
    key = new_key()
    device.api_key_hash, device.key_prefix = token_hash(key), key[:12]
    session.flush()
    directory.invalidate()
    audit.record(session, actor, "sensor_device.rotate_key", target_type="sensor_device",
                 target_id=device.code, after={"key_prefix": device.key_prefix})  # fmt: skip
    return key


# --- reading --------------------------------------------------------------------------------


def get_device(session: Session, code: str, scope: OrgScope | None) -> Device:
    """A device by code within ``scope`` (None: unrestricted), else 404."""
    stmt = select(Device).where(Device.code == code)
    if scope is not None:
        stmt = stmt.where(scope.handling_clause(Device.org_code, Device.area_code))
    device = session.execute(stmt).scalar_one_or_none()
    if device is None:
        raise NotFound("device_not_found", device=str(code)[:64])
    return device


@dataclass
class DeviceFilter:
    """What a list of devices is narrowed to (None: any)."""

    kind: str | None = None
    status: str | None = None
    org_unit: str | None = None
    q: str | None = None


def list_devices(
    session: Session, scope: OrgScope | None, filters: DeviceFilter, *, limit: int, offset: int
) -> tuple[list[Device], int]:
    """Devices in scope, by code, one page of them, and how many there are in all."""
    stmt = select(Device)
    if scope is not None:
        stmt = stmt.where(scope.handling_clause(Device.org_code, Device.area_code))
    if filters.kind:
        stmt = stmt.where(Device.kind == filters.kind)
    if filters.status:
        stmt = stmt.where(Device.status == filters.status)
    if filters.org_unit:
        stmt = stmt.where(Device.org_code == filters.org_unit)
    if filters.q:
        like = f"%{filters.q.strip().lower()}%"
        stmt = stmt.where(func.lower(Device.code).like(like) | func.lower(Device.name).like(like))
    total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
    page = session.execute(stmt.order_by(Device.code).limit(limit).offset(offset)).scalars()
    return list(page), int(total)


def latest_values(session: Session, device_ids: list[int]) -> dict[int, list[Latest]]:
    """The latest value of each quantity of each device (one query)."""
    out: dict[int, list[Latest]] = {i: [] for i in device_ids}
    if not device_ids:
        return out
    rows = session.execute(
        select(Latest).where(Latest.device_id.in_(device_ids)).order_by(Latest.quantity)
    ).scalars()
    for row in rows:
        out[row.device_id].append(row)
    return out
