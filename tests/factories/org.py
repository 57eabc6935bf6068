"""Test data for the organisation domain: seeded provinces, agencies, boundary files."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core.context import Actor
from iocvn.org import service
from iocvn.org.models import OrgUnit
from iocvn.org.schemas import AgencyCreate, SeedReport

ACTOR = Actor(name="tester", org_code="20", request_id="test")

BOUNDARY_FILES = {
    "20": "lang-son-boundaries.geojson",
    "08": "tuyen-quang-boundaries.geojson",
    "12": "lai-chau-boundaries.geojson",
}


def seed(session: Session, code: str = "20", *, commit: bool = True) -> SeedReport:
    """Seed one province (Lạng Sơn by default) and commit it."""
    report = service.seed_province(session, code, ACTOR)
    if commit:
        session.commit()
    return report


def agency(session: Session, abbr: str = "BQLKKT", **fields: Any) -> OrgUnit:
    """A new agency of Lạng Sơn (seed the province first)."""
    data = {"province_code": "20", "abbr": abbr, "name": "Ban Quản lý Khu kinh tế cửa khẩu"}
    return service.create_agency(session, AgencyCreate(**(data | fields)), ACTOR)


def boundary_text(shared_data: Path, code: str) -> str:
    """The shared boundary file of a province, as text."""
    return (shared_data / BOUNDARY_FILES[code]).read_text(encoding="utf-8")


def boundary_file(shared_data: Path, code: str) -> dict[str, Any]:
    """The shared boundary file of a province, parsed (a fresh copy to modify)."""
    return copy.deepcopy(json.loads(boundary_text(shared_data, code)))


def square(lon: float, lat: float, size: float = 0.01) -> dict[str, Any]:
    """A small square polygon (counter-clockwise) around a point."""
    ring = [
        [lon, lat],
        [lon + size, lat],
        [lon + size, lat + size],
        [lon, lat + size],
        [lon, lat],
    ]
    return {"type": "Polygon", "coordinates": [ring]}


def feature(geometry: dict[str, Any] | None, **properties: Any) -> dict[str, Any]:
    """A GeoJSON feature."""
    return {"type": "Feature", "properties": properties, "geometry": geometry}


def collection(*features: dict[str, Any]) -> dict[str, Any]:
    """A GeoJSON FeatureCollection."""
    return {"type": "FeatureCollection", "features": list(features)}


def audit_actions(session: Session, prefix: str = "") -> list[str]:
    """Actions of the audit log in order, optionally those starting with ``prefix``."""
    stmt = select(AuditEntry.action).order_by(AuditEntry.seq)
    if prefix:
        stmt = stmt.where(AuditEntry.action.startswith(prefix))
    return list(session.execute(stmt).scalars())


def count_units(session: Session, **where: Any) -> int:
    """How many org units match simple equality filters."""
    stmt = select(func.count()).select_from(OrgUnit).filter_by(**where)
    return int(session.execute(stmt).scalar_one())


def stored(session: Session, code: str) -> OrgUnit:
    """The unit as committed by the app (not the session's cached copy)."""
    session.expire_all()
    unit = session.get(OrgUnit, code)
    assert unit is not None
    return unit
