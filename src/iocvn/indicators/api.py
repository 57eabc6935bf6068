"""JSON routes of the indicator catalogue (``/api/v1/indicators``)."""

from __future__ import annotations

import json
from typing import Annotated, Literal

from fastapi import APIRouter, Body, Depends, Query
from fastapi.responses import Response

from iocvn.auth.deps import Principal, require
from iocvn.core.errors import Invalid
from iocvn.core.http import DbSession
from iocvn.indicators import catalogue
from iocvn.indicators.schemas import (
    CatalogueReport,
    Group,
    IndicatorIn,
    IndicatorOut,
    IndicatorVersionOut,
)

router = APIRouter(tags=["indicators"])
Reader = Annotated[Principal, Depends(require("indicator.read"))]
Writer = Annotated[Principal, Depends(require("indicator.write"))]


@router.get("/indicators", response_model=list[IndicatorOut])
def list_indicators(
    principal: Reader,
    db: DbSession,
    group: Group | None = None,
    sector: Annotated[str | None, Query(max_length=60)] = None,
    q: Annotated[str | None, Query(max_length=100)] = None,
    include_inactive: bool = False,
) -> list[IndicatorOut]:
    """The catalogue, by code, filtered by group, sector or text."""
    rows = catalogue.list_indicators(
        db, group=group, sector=sector, q=q, include_inactive=include_inactive
    )
    return [catalogue.to_out(i) for i in rows]


@router.post("/indicators", response_model=IndicatorOut, status_code=201)
def create_indicator(body: IndicatorIn, principal: Writer, db: DbSession) -> IndicatorOut:
    """Add a definition; formulas are checked (syntax, references, cycles)."""
    return catalogue.to_out(catalogue.create_indicator(db, principal.actor(), body))


@router.get("/indicators/export")
def export_catalogue(
    principal: Reader, db: DbSession, format: Literal["yaml", "json"] = "yaml"
) -> Response:
    """The whole catalogue in the exchange format (the same fields as ``POST``)."""
    media = "application/json" if format == "json" else "application/yaml"
    return Response(
        catalogue.export_catalogue(db, format),
        media_type=f"{media}; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="iocvn-catalogue.{format}"'},
    )


@router.post("/indicators/import", response_model=CatalogueReport)
def import_catalogue(
    principal: Writer, db: DbSession, body: Annotated[dict[str, object], Body()]
) -> CatalogueReport:
    """Create or update every definition of a catalogue (JSON body), all or nothing."""
    if not isinstance(body.get("indicators"), list):
        raise Invalid("invalid_catalogue", details={"problem": "no indicators list"}, index=0)
    return catalogue.import_catalogue(db, principal.actor(), json.dumps(body))


@router.get("/indicators/{code}", response_model=IndicatorOut)
def get_indicator(code: str, principal: Reader, db: DbSession) -> IndicatorOut:
    """One definition."""
    return catalogue.to_out(catalogue.get_indicator(db, code))


@router.put("/indicators/{code}", response_model=IndicatorOut)
def replace_indicator(
    code: str, body: IndicatorIn, principal: Writer, db: DbSession
) -> IndicatorOut:
    """Replace a definition; the previous one stays as a version."""
    if body.code != code:
        raise Invalid("code_mismatch", details={"path": code, "body": body.code})
    catalogue.update_indicator(db, principal.actor(), body)
    return catalogue.to_out(catalogue.get_indicator(db, code))


@router.get("/indicators/{code}/versions", response_model=list[IndicatorVersionOut])
def indicator_versions(code: str, principal: Reader, db: DbSession) -> list[IndicatorVersionOut]:
    """Every version of a definition, newest first (who changed what, when)."""
    return [IndicatorVersionOut.model_validate(v) for v in catalogue.versions(db, code)]
