"""Web pages of the organisation domain: browse and search units, see boundaries on a map,
edit agencies. Mounted by the app behind the auth resolver."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from iocvn.config import get_settings
from iocvn.core.errors import Forbidden, IocError, NotFound
from iocvn.core.http import Caller, DbSession, requires
from iocvn.core.i18n import register, t
from iocvn.core.templating import render
from iocvn.org import service
from iocvn.org.models import OrgUnit
from iocvn.org.schemas import OrgUnitUpdate

router = APIRouter()
Reader = Annotated[Caller, Depends(requires("org.read"))]
Writer = Annotated[Caller, Depends(requires("org.write"))]

register(
    {
        "org.title": ("Đơn vị hành chính và cơ quan", "Org units and agencies"),
        "org.level": ("Cấp", "Level"),
        "org.all_levels": ("Tất cả", "All"),
        "org.search_hint": ("Tên hoặc mã, gõ có dấu hoặc không", "Name or code, accents optional"),
        "org.map": ("Bản đồ ranh giới", "Boundary map"),
        "org.parent": ("Trực thuộc", "Part of"),
        "org.area": ("Diện tích (km²)", "Area (km²)"),
        "org.valid_from": ("Hiệu lực từ", "Valid from"),
        "org.valid_to": ("Hiệu lực đến", "Valid to"),
        "org.formed_from": ("Hình thành từ (trước 01/7/2025)", "Formed from (before 1 July 2025)"),
        "org.boundary_source": ("Nguồn ranh giới", "Boundary source"),
        "org.no_boundary": ("Chưa có ranh giới.", "No boundary loaded."),
        "org.edit": ("Sửa thông tin", "Edit"),
        "org.saved": ("Đã lưu.", "Saved."),
        "org.sector": ("Lĩnh vực", "Sector"),
        "org.short_name": ("Tên ngắn", "Short name"),
        "org.count": ("{n} đơn vị", "{n} units"),
        "org.map_note": (
            "Bản đồ nền: {tiles}. Ranh giới hiển thị từ dữ liệu của iocvn.",
            "Base map: {tiles}. Boundaries come from iocvn's own data.",
        ),
        "org.no_tiles": ("chưa cấu hình (IOCVN_TILE_URL)", "not configured (IOCVN_TILE_URL)"),
    }
)


@router.get("/org", response_class=HTMLResponse)
def org_list(
    request: Request,
    caller: Reader,
    db: DbSession,
    level: str | None = None,
    q: str | None = None,
) -> Response:
    """Units in scope with a search box and a map of the commune boundaries."""
    chosen = level if level in ("province", "commune", "agency") else None
    units = service.list_org_units(
        db, level=chosen, q=q or None, scope_filter=caller.scope.org_unit_clause(), limit=5000
    )
    return render(
        request,
        "org/list.html",
        {"units": units, "level": chosen or "", "q": q or "", "tile_url": get_settings().tile_url},
    )


def _visible(caller: Caller, db: DbSession, code: str) -> OrgUnit:
    unit = service.get_org_unit(db, code)
    if not caller.scope.covers_unit(unit):
        raise NotFound("org_unit_not_found", details={"code": code}, unit=code)
    return unit


@router.get("/org/{code}", response_class=HTMLResponse)
def org_detail(
    code: str, request: Request, caller: Reader, db: DbSession, saved: int = 0
) -> Response:
    """One unit: facts, what it was formed from, its boundary, and the edit form."""
    unit = _visible(caller, db, code)
    return _detail(request, caller, db, unit, saved=bool(saved), error=None)


def _detail(
    request: Request,
    caller: Caller,
    db: DbSession,
    unit: OrgUnit,
    *,
    saved: bool,
    error: str | None,
    status: int = 200,
) -> Response:
    parent = db.get(OrgUnit, unit.parent_code) if unit.parent_code else None
    return render(
        request,
        "org/detail.html",
        {
            "unit": unit,
            "parent": parent,
            "saved": saved,
            "error": error,
            "can_edit": caller.can("org.write") and caller.scope.may_edit_unit(unit),
            "tile_url": get_settings().tile_url,
        },
        status,
    )


def _blank_to_none(value: str | None) -> str | None:
    return value if value else None


@router.post("/org/{code}")
def org_update(
    code: str,
    request: Request,
    caller: Writer,
    db: DbSession,
    name: Annotated[str | None, Form(max_length=200)] = None,
    short_name: Annotated[str | None, Form(max_length=200)] = None,
    sector: Annotated[str | None, Form(max_length=100)] = None,
    valid_to: Annotated[str | None, Form(max_length=10)] = None,
) -> Response:
    """Save the edit form (agencies: names and sector; all units: the end of validity)."""
    unit = _visible(caller, db, code)
    if not caller.scope.may_edit_unit(unit):
        raise Forbidden("org_unit_out_of_scope", details={"code": code})
    fields: dict[str, object] = {}
    if unit.level == "agency":
        fields.update(name=name, short_name=short_name or "", sector=sector or "")
    try:
        fields["valid_to"] = date.fromisoformat(valid_to) if valid_to else None
        changes = OrgUnitUpdate.model_validate(
            {k: v for k, v in fields.items() if v is not None or k == "valid_to"}
        )
        service.update_org_unit(db, code, changes, caller.actor())
    except (ValueError, ValidationError, IocError) as exc:
        db.rollback()
        lang = str(request.state.lang)
        message = (
            t(exc.message_key, lang, **exc.params)
            if isinstance(exc, IocError)
            else t("error.validation_error", lang)
        )
        return _detail(
            request, caller, db, _visible(caller, db, code), saved=False, error=message, status=422
        )
    return RedirectResponse(f"/org/{code}?saved=1", status_code=303)
