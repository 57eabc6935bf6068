"""What ingestion needs to know about devices, kept in memory: every device's id, kind,
status, key hash, quantities and valid ranges, by code.

The directory is rebuilt when the devices table changes (its row count or newest
``updated_at``, re-read at most every 5 s — :class:`iocvn.core.cache.Rechecked`), and at once
after this process's own changes (:func:`invalidate`). A code it does not know is looked up
in the database before a reading is refused, so a device registered by another server
process is accepted straight away; a retired device or a new key takes up to 5 s to reach
the other processes.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.core.cache import Rechecked
from iocvn.core.crypto import token_hash
from iocvn.sensors.kinds import CODE, KINDS
from iocvn.sensors.models import Device

_UNBOUNDED = (-math.inf, math.inf)


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """A device as ingestion sees it."""

    id: int
    code: str
    kind: str
    status: str
    org_code: str
    area_code: str | None
    key_hash: str
    quantities: frozenset[str]
    ranges: dict[str, tuple[float, float]]
    raw_days: int

    @classmethod
    def of(cls, device: Device) -> DeviceInfo:
        """The ingestion view of a loaded device."""
        ranges = {}
        for quantity, pair in (device.ranges or {}).items():
            lo, hi = pair
            bounds = (-math.inf if lo is None else lo, math.inf if hi is None else hi)
            if bounds != _UNBOUNDED:
                ranges[quantity] = bounds
        kind = KINDS.get(device.kind)
        return cls(
            id=device.id, code=device.code, kind=device.kind, status=device.status,
            org_code=device.org_code, area_code=device.area_code, key_hash=device.api_key_hash,
            quantities=frozenset(device.quantities or {}), ranges=ranges,
            raw_days=kind.raw_days if kind else 365,
        )  # fmt: skip

    def visible_to(self, scope: OrgScope) -> bool:
        """The Python twin of ``OrgScope.handling_clause(org_code, area_code)``."""
        if scope.level == "agency":
            return self.org_code == scope.org_code
        if scope.level == "commune":
            return scope.org_code in (self.org_code, self.area_code)
        return True


@dataclass(frozen=True)
class _Directory:
    by_code: dict[str, DeviceInfo]
    by_key: dict[str, DeviceInfo]  # key hash → device


_CACHE: Rechecked[_Directory] = Rechecked(seconds=5.0, size=2)


def invalidate() -> None:
    """Forget the directory (this process changed a device; tests emptied the tables)."""
    _CACHE.clear()


def _version(session: Session) -> tuple[object, ...]:
    row = session.execute(select(func.count(Device.id), func.max(Device.updated_at))).one()
    return tuple(row)


def _build(session: Session) -> _Directory:
    infos = [DeviceInfo.of(d) for d in session.execute(select(Device)).scalars()]
    return _Directory({i.code: i for i in infos}, {i.key_hash: i for i in infos})


def _current(session: Session) -> _Directory:
    return _CACHE.get("devices", lambda: _version(session), lambda: _build(session))


def by_key(session: Session, key: str) -> DeviceInfo | None:
    """The device whose API key this is, or None."""
    digest = token_hash(key)
    found = _current(session).by_key.get(digest)
    if found is None:  # a key issued since the directory was built
        device = session.execute(
            select(Device).where(Device.api_key_hash == digest)
        ).scalar_one_or_none()
        if device is not None:
            invalidate()
            found = DeviceInfo.of(device)
    return found


def lookup(session: Session, codes: Iterable[str]) -> dict[str, DeviceInfo]:
    """The devices among ``codes`` (unknown codes are absent)."""
    known = _current(session).by_code
    wanted = {c for c in codes if CODE.match(c)}
    found = {c: known[c] for c in wanted if c in known}
    missing = wanted - found.keys()
    if missing:  # registered since the directory was built (perhaps by another process)
        fresh = session.execute(select(Device).where(Device.code.in_(missing))).scalars().all()
        if fresh:
            invalidate()
            found |= {d.code: DeviceInfo.of(d) for d in fresh}
    return found
