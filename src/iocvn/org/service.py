"""Organisation service: a province's official units, its agencies, queries and lookups.

Plain functions taking a ``Session``: they flush, never commit, never raise
``HTTPException``, and write one audit entry per change of state in the caller's
transaction. The official list itself is read by ``official``.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, or_, select
from sqlalchemy.orm import Session, defer

from iocvn.audit.service import record
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.core.timeutil import to_local, utcnow
from iocvn.org import (
    geo,
    messages,  # noqa: F401  (registers the domain's texts)
)
from iocvn.org.agencies import AGENCIES, AgencySeed
from iocvn.org.boundaries import clean_geometry, geometry_digest
from iocvn.org.models import LEVELS, OrgUnit
from iocvn.org.official import (
    BOUNDARY_SOURCE,
    OfficialUnit,
    OldNameQuery,
    fold,
    formed_from,
    get_province,
    list_provinces,
    packaged_features,
    search_key,
)
from iocvn.org.schemas import AgencyCreate, OldToNew, OrgUnitUpdate, SeedReport

VALID_FROM_2025 = date(2025, 7, 1)  # the two-level local government took effect
MAX_PAGE = 5000
# Administrative units belong to the official list (re-seeding restores it); people only
# retire them. Agencies are the province's own and editable.
ADMIN_EDITABLE = frozenset({"valid_to"})
AGENCY_EDITABLE = frozenset(
    {"name", "short_name", "unit_type", "sector", "parent_code", "valid_from", "valid_to"}
)
_NOT_NULL = frozenset({"name", "short_name", "unit_type", "sector", "parent_code", "valid_from"})
_SNAPSHOT = (*sorted(AGENCY_EDITABLE), "level")


# --- seeding ----------------------------------------------------------------------------


def _today(today: date | None) -> date:
    return today or to_local(utcnow()).date()


def _desired(province: OfficialUnit) -> list[dict[str, Any]]:
    """The seeded fields of the province and its communes, province first."""
    shipped = packaged_features(province.code)
    olds = formed_from(province.code)
    rows = []
    for unit in (province, *province.communes):
        is_province = unit is province
        fields: dict[str, Any] = {
            "code": unit.code,
            "name": unit.name,
            "short_name": unit.short_name,
            "unit_type": unit.unit_type,
            "level": "province" if is_province else "commune",
            "parent_code": None if is_province else province.code,
            "province_code": province.code,
            "valid_from": VALID_FROM_2025,
            "formed_from": [] if is_province else olds.get(unit.code, []),
            "lat": unit.lat,
            "lon": unit.lon,
            "area_km2": unit.area_km2,
        }
        fields["search_key"] = search_key(fields["level"], unit.code, unit.name, unit.short_name)
        if unit.code in shipped:
            fields["geometry"] = clean_geometry(shipped[unit.code]["geometry"])
            fields["geometry_source"] = BOUNDARY_SOURCE
        rows.append(fields)
    return rows


def _agency_fields(province: OfficialUnit, seed: AgencySeed) -> dict[str, Any]:
    cap = "thành phố" if province.unit_type == "Thành phố" else "tỉnh"
    code = f"{province.code}.{seed.abbr}"
    name, short_name = seed.name.format(cap=cap), seed.short_name.format(cap=cap)
    return {
        "code": code,
        "name": name,
        "short_name": short_name,
        "unit_type": seed.unit_type,
        "level": "agency",
        "parent_code": f"{province.code}.{seed.parent_abbr}" if seed.parent_abbr else province.code,
        "province_code": province.code,
        "valid_from": VALID_FROM_2025,
        "sector": seed.sector,
        "search_key": search_key("agency", code, name, short_name),
    }


def _audit_value(field: str, value: Any) -> Any:
    return geometry_digest(value) if field == "geometry" else value


def _apply(unit: OrgUnit, fields: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Set the fields that differ; the (before, after) of what changed."""
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    for field, value in fields.items():
        old = getattr(unit, field)
        if old != value:
            before[field], after[field] = _audit_value(field, old), _audit_value(field, value)
            setattr(unit, field, value)
    return before, after


def seed_province(
    session: Session, code: str, actor: Actor, *, today: date | None = None
) -> SeedReport:
    """Create or refresh a province, its communes (official list) and its agencies; idempotent.

    Re-running changes only what the official list changed, keeps a boundary imported by
    the province (only the shipped one is refreshed), never overwrites agencies people
    edited, and closes (``valid_to`` = yesterday) communes that left the list.
    """
    province = get_province(code)
    desired = _desired(province)
    agencies = [_agency_fields(province, seed) for seed in AGENCIES]
    wanted = [f["code"] for f in (*desired, *agencies)]
    existing = {
        u.code: u
        for u in session.execute(
            select(OrgUnit).where(or_(OrgUnit.province_code == code, OrgUnit.code.in_(wanted)))
        ).scalars()
    }
    created: list[str] = []
    updated: list[str] = []
    for fields in desired:
        unit = existing.get(fields["code"])
        if unit is None:
            session.add(OrgUnit(**fields))
            created.append(fields["code"])
        else:
            if unit.geometry is not None and unit.geometry_source != BOUNDARY_SOURCE:
                fields = {
                    k: v for k, v in fields.items() if k not in ("geometry", "geometry_source")
                }
            before, after = _apply(unit, fields)
            if after:
                updated.append(unit.code)
                record(
                    session,
                    actor,
                    "org_unit.update",
                    target_type="org_unit",
                    target_id=unit.code,
                    before=before,
                    after=after,
                )
        if fields["level"] == "province":
            session.flush()  # communes and agencies point at it
    for fields in agencies:  # inserted in list order: a parent agency precedes its children
        if fields["code"] not in existing:
            session.add(OrgUnit(**fields))
            created.append(fields["code"])
    closed = []
    official = {f["code"] for f in desired}
    last_day = _today(today) - timedelta(days=1)
    for unit in existing.values():
        if unit.level == "commune" and unit.code not in official and unit.valid_to is None:
            unit.valid_to = last_day
            closed.append(unit.code)
            record(
                session,
                actor,
                "org_unit.close",
                target_type="org_unit",
                target_id=unit.code,
                before={"valid_to": None},
                after={"valid_to": last_day.isoformat()},
            )
    session.flush()
    geo.invalidate()
    report = SeedReport(
        province_code=code,
        province_name=province.name,
        communes=len(province.communes),
        agencies=len(agencies),
        created=created,
        updated=updated,
        closed=sorted(closed),
        unchanged=len(wanted) - len(created) - len(updated),
        boundaries=sum(1 for f in desired if "geometry" in f),
    )
    if created or updated or closed:
        record(
            session,
            actor,
            "org.seed",
            target_type="org_unit",
            target_id=code,
            after={
                "created": len(created),
                "updated": len(updated),
                "closed": len(closed),
                "unchanged": report.unchanged,
                "source": "vietnamadminunits",
            },
        )
    return report


# --- agencies and edits -----------------------------------------------------------------


def _snapshot(unit: OrgUnit) -> dict[str, Any]:
    return {f: getattr(unit, f) for f in _SNAPSHOT}


def _check_parent(session: Session, parent_code: str, province_code: str, code: str) -> None:
    """A parent is the province or one of its agencies, and never the unit or its child."""
    node = session.get(OrgUnit, parent_code)
    ok = node is not None and node.province_code == province_code
    ok = ok and node is not None and node.level in ("province", "agency")
    seen: set[str] = set()
    while ok and node is not None and node.code not in seen:
        ok = node.code != code
        seen.add(node.code)
        node = session.get(OrgUnit, node.parent_code) if node.parent_code else None
    if not ok:
        raise Invalid("invalid_parent", details={"parent_code": parent_code}, unit=parent_code)


def create_agency(
    session: Session, data: AgencyCreate, actor: Actor, *, today: date | None = None
) -> OrgUnit:
    """Add an agency (sở, ban, ngành or a unit under one) with code ``<province>.<ABBR>``."""
    abbr = data.abbr.strip().upper()
    if not re.fullmatch(r"[A-Z][A-Z0-9]{1,15}", abbr):
        raise Invalid("invalid_agency_code", details={"abbr": data.abbr})
    province = get_org_unit(session, data.province_code)
    if province.level != "province":
        raise Invalid(
            "invalid_parent", details={"province_code": province.code}, unit=province.code
        )
    code = f"{province.code}.{abbr}"
    if session.get(OrgUnit, code) is not None:
        raise Conflict("org_unit_exists", details={"code": code}, unit=code)
    parent_code = data.parent_code or province.code
    _check_parent(session, parent_code, province.code, code)
    unit = OrgUnit(
        code=code,
        name=data.name,
        short_name=data.short_name,
        unit_type=data.unit_type,
        level="agency",
        parent_code=parent_code,
        province_code=province.code,
        valid_from=data.valid_from or _today(today),
        sector=data.sector,
        formed_from=[],
        search_key=search_key("agency", code, data.name, data.short_name),
    )
    session.add(unit)
    session.flush()
    record(
        session,
        actor,
        "org_unit.create",
        target_type="org_unit",
        target_id=code,
        after=_snapshot(unit),
    )
    return unit


def update_org_unit(session: Session, code: str, changes: OrgUnitUpdate, actor: Actor) -> OrgUnit:
    """Edit an agency, or retire an administrative unit (``valid_to``); audited when changed."""
    unit = get_org_unit(session, code)
    values = changes.model_dump(exclude_unset=True)
    editable = AGENCY_EDITABLE if unit.level == "agency" else ADMIN_EDITABLE
    for field, value in values.items():
        if field not in editable:
            raise Invalid(
                "field_not_editable",
                details={"field": field, "editable": sorted(editable)},
                field=field,
                level=unit.level,
            )
        if value is None and field in _NOT_NULL:
            raise Invalid("field_required", details={"field": field}, field=field)
    if values.get("parent_code") not in (None, unit.parent_code):
        _check_parent(session, values["parent_code"], unit.province_code, unit.code)
    valid_from = values.get("valid_from", unit.valid_from)
    valid_to = values.get("valid_to", unit.valid_to)
    if valid_to is not None and valid_to < valid_from:
        raise Invalid("invalid_validity", details={"valid_from": valid_from, "valid_to": valid_to})
    name, short_name = values.get("name", unit.name), values.get("short_name", unit.short_name)
    values["search_key"] = search_key(unit.level, unit.code, name, short_name)
    before, after = _apply(unit, values)
    before.pop("search_key", None), after.pop("search_key", None)  # derived, not audited
    session.flush()
    if after:
        record(
            session,
            actor,
            "org_unit.update",
            target_type="org_unit",
            target_id=code,
            before=before,
            after=after,
        )
    geo.invalidate()
    return unit


# --- queries ----------------------------------------------------------------------------


def get_org_unit(session: Session, code: str) -> OrgUnit:
    """One unit by code; ``org_unit_not_found`` (404) when there is none."""
    unit = session.get(OrgUnit, code)
    if unit is None:
        raise NotFound("org_unit_not_found", details={"code": code}, unit=code)
    return unit


def list_org_units(
    session: Session,
    *,
    level: str | None = None,
    parent: str | None = None,
    province: str | None = None,
    q: str | None = None,
    scope_filter: ColumnElement[bool] | None = None,
    include_expired: bool = False,
    today: date | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[OrgUnit]:
    """Units filtered and ordered province first, then by folded name (geometry deferred)."""
    if level is not None and level not in LEVELS:
        raise Invalid(
            "invalid_level", details={"level": level, "levels": list(LEVELS)}, level=level
        )
    if not (1 <= limit <= MAX_PAGE and offset >= 0):
        raise Invalid(
            "invalid_pagination", details={"limit": limit, "offset": offset, "max": MAX_PAGE}
        )
    rank = case({"province": 0, "commune": 1}, value=OrgUnit.level, else_=2)
    stmt = select(OrgUnit).options(defer(OrgUnit.geometry))
    if level is not None:
        stmt = stmt.where(OrgUnit.level == level)
    if parent is not None:
        stmt = stmt.where(OrgUnit.parent_code == parent)
    if province is not None:
        stmt = stmt.where(OrgUnit.province_code == province)
    if q and (needle := fold(q)):
        stmt = stmt.where(
            or_(OrgUnit.search_key.contains(needle, autoescape=True), OrgUnit.code == q.strip())
        )
    if scope_filter is not None:
        stmt = stmt.where(scope_filter)
    if not include_expired:
        on = _today(today)
        stmt = stmt.where(
            OrgUnit.valid_from <= on, or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= on)
        )
    key: Any = OrgUnit.search_key
    if session.get_bind().dialect.name == "postgresql":
        key = key.collate("C")  # byte order, as SQLite: identical lists on both databases
    stmt = stmt.order_by(rank, key, OrgUnit.code).limit(limit).offset(offset)
    return list(session.execute(stmt).scalars())


def old_to_new(
    session: Session | None, query: str, province: str | None = None, *, limit: int = 50
) -> list[OldToNew]:
    """Current communes formed from pre-2025 units named like ``query`` (accent-insensitive).

    With a session the seeded units are searched; without one, the official list itself.
    """
    parsed = OldNameQuery.parse(query)
    if not parsed.core:
        return []
    if province is not None:
        get_province(province)  # unknown_province for a wrong code
    rows: list[tuple[str, str, str, list[str]]] = []
    if session is None:
        for info in list_provinces() if province is None else [get_province(province)]:
            olds = formed_from(info.code)
            communes = get_province(info.code).communes
            rows += [(c.code, c.name, info.code, olds[c.code]) for c in communes]
    else:
        stmt = select(OrgUnit.code, OrgUnit.name, OrgUnit.province_code, OrgUnit.formed_from)
        stmt = stmt.where(OrgUnit.level == "commune", OrgUnit.valid_to.is_(None))
        if province is not None:
            stmt = stmt.where(OrgUnit.province_code == province)
        rows = [(r.code, r.name, r.province_code, r.formed_from) for r in session.execute(stmt)]
    found = []
    for code, name, province_code, labels in rows:
        for label in labels or []:
            rank = parsed.rank(label)
            if rank is not None:
                found.append((rank, province_code, code, label, name))
    found.sort()
    return [
        OldToNew(old=label, new_code=code, new_name=name, province_code=province_code)
        for _, province_code, code, label, name in found[:limit]
    ]
