"""JSON routes of the organisation domain. Mounted by the app behind the auth resolver;
every query is limited by the caller's org scope (``caller.scope.org_unit_clause()``)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Depends, Query

from iocvn.core.errors import Forbidden, NotFound
from iocvn.core.http import Caller, DbSession, requires
from iocvn.org import boundaries, service
from iocvn.org.official import list_provinces
from iocvn.org.schemas import (
    AgencyCreate,
    ImportReport,
    OldToNew,
    OrgUnitDetail,
    OrgUnitOut,
    OrgUnitUpdate,
    ProvinceInfo,
)

router = APIRouter(tags=["org"])
Reader = Annotated[Caller, Depends(requires("org.read"))]
Writer = Annotated[Caller, Depends(requires("org.write"))]


@router.get("/provinces", response_model=list[ProvinceInfo])
def provinces(caller: Reader) -> list[ProvinceInfo]:
    """The official list of the 34 provinces and centrally-run cities (after 1 July 2025)."""
    return list_provinces()


@router.get("/org-units", response_model=list[OrgUnitOut])
def list_org_units(
    caller: Reader,
    db: DbSession,
    level: Literal["province", "commune", "agency"] | None = None,
    parent: Annotated[str | None, Query(max_length=32)] = None,
    q: Annotated[
        str | None, Query(max_length=100, description="name or code; accents optional")
    ] = None,
    include_expired: bool = False,
    limit: Annotated[int, Query(ge=1, le=5000)] = 1000,
    offset: Annotated[int, Query(ge=0, le=2**31 - 1)] = 0,  # beyond 64 bits the DB fails
) -> list[OrgUnitOut]:
    """Org units in the caller's scope: province first, then by name."""
    units = service.list_org_units(
        db,
        level=level,
        parent=parent,
        q=q,
        scope_filter=caller.scope.org_unit_clause(),
        include_expired=include_expired,
        limit=limit,
        offset=offset,
    )
    return [OrgUnitOut.model_validate(u) for u in units]


@router.get("/org-units/old-names", response_model=list[OldToNew])
def old_names(
    caller: Reader,
    db: DbSession,
    q: Annotated[str, Query(min_length=2, max_length=100, description="a pre-2025 unit name")],
    province: Annotated[str | None, Query(max_length=8)] = None,
) -> list[OldToNew]:
    """Which current commune a pre-2025 commune, ward or town became (part of)."""
    return service.old_to_new(db, q, province or caller.scope.province_code)


@router.get("/org-units/boundaries")
def boundaries_geojson(
    caller: Reader,
    db: DbSession,
    level: Literal["province", "commune", "agency"] = "commune",
    parent: Annotated[str | None, Query(max_length=32)] = None,
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the boundaries in scope (for maps and GIS tools)."""
    units = service.list_org_units(
        db, level=level, parent=parent, scope_filter=caller.scope.org_unit_clause(), limit=5000
    )
    features = [
        {
            "type": "Feature",
            "id": u.code,
            "geometry": u.geometry,
            "properties": {
                "code": u.code,
                "name": u.name,
                "level": u.level,
                "parent_code": u.parent_code,
                "area_km2": u.area_km2,
                "geometry_source": u.geometry_source,
            },
        }
        for u in units
        if u.geometry
    ]
    return {"type": "FeatureCollection", "features": features}


def _visible(caller: Caller, db: DbSession, code: str) -> Any:
    unit = service.get_org_unit(db, code)
    if not caller.scope.covers_unit(unit):  # outside the scope looks like absent
        raise NotFound("org_unit_not_found", details={"code": code}, unit=code)
    return unit


@router.get("/org-units/{code}", response_model=OrgUnitDetail)
def get_org_unit(code: str, caller: Reader, db: DbSession) -> OrgUnitDetail:
    """One org unit, with ``geometry`` (GeoJSON) when its boundary is loaded."""
    return OrgUnitDetail.model_validate(_visible(caller, db, code))


@router.patch("/org-units/{code}", response_model=OrgUnitDetail)
def update_org_unit(code: str, body: OrgUnitUpdate, caller: Writer, db: DbSession) -> OrgUnitDetail:
    """Edit an org unit (agencies freely; administrative units only their end date)."""
    unit = _visible(caller, db, code)
    if not caller.scope.may_edit_unit(unit):
        raise Forbidden("org_unit_out_of_scope", details={"code": code})
    return OrgUnitDetail.model_validate(service.update_org_unit(db, code, body, caller.actor()))


@router.post("/org-units", response_model=OrgUnitDetail, status_code=201)
def create_agency(body: AgencyCreate, caller: Writer, db: DbSession) -> OrgUnitDetail:
    """Add an agency (sở, ban, ngành) to the province."""
    if caller.scope.level != "province" or body.province_code != caller.scope.province_code:
        raise Forbidden("org_unit_out_of_scope", details={"province_code": body.province_code})
    return OrgUnitDetail.model_validate(service.create_agency(db, body, caller.actor()))


@router.post("/org-units/boundaries", response_model=ImportReport)
def import_boundaries(
    caller: Writer, db: DbSession, body: Annotated[dict[str, Any], Body()]
) -> ImportReport:
    """Load the province's own boundary GeoJSON (FeatureCollection) onto its units."""
    if caller.scope.level != "province":
        raise Forbidden("org_unit_out_of_scope")
    return boundaries.import_boundaries(db, body, caller.actor(), source="API import")
