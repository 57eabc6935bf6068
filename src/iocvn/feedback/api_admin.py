"""JSON routes to edit how feedback is organised: the category tree, the routing table and
the working calendar (``feedback.admin``; reading the tree needs only ``feedback.read``).

Every change is audited by the services it calls; a category in use is deactivated, never
deleted.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from iocvn.auth.deps import Principal, require
from iocvn.core.errors import Invalid
from iocvn.core.http import DbSession
from iocvn.feedback import catalogue, clock, routing
from iocvn.feedback.models import CalendarDay, FeedbackCategory, RoutingRule
from iocvn.feedback.schemas import Priority

router = APIRouter(tags=["feedback"])
Reader = Annotated[Principal, Depends(require("feedback.read"))]
Admin = Annotated[Principal, Depends(require("feedback.admin"))]


class CategoryOut(BaseModel):
    """A category of the tree."""

    code: str
    name_vi: str
    name_en: str
    parent: str | None
    priority: str
    resolve_days: int | None
    active: bool


class CategoryIn(BaseModel):
    """Fields to set (absent: kept); a new code needs ``name_vi``."""

    name_vi: str | None = Field(default=None, max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    parent: str | None = Field(default=None, max_length=64, description="'' for the top level")
    priority: Priority | None = None
    resolve_days: int | None = Field(default=None, ge=0, le=365, description="0: the default")
    active: bool | None = None


class RouteIn(BaseModel):
    """A routing rule: category and commune may be null (any)."""

    org_unit: str = Field(max_length=32)
    category: str | None = Field(default=None, max_length=64)
    area: str | None = Field(default=None, max_length=32)
    note: str = Field(default="", max_length=500)


class RouteOut(RouteIn):
    """A stored rule."""

    id: str


class DayIn(BaseModel):
    """A day that differs from the usual week."""

    day: date
    kind: Literal["holiday", "workday"]
    name: str = Field(default="", max_length=200)


def _category_out(c: FeedbackCategory) -> CategoryOut:
    return CategoryOut(
        code=c.code, name_vi=c.name_vi, name_en=c.name_en, parent=c.parent_code,
        priority=c.priority, resolve_days=c.resolve_days, active=c.active,
    )  # fmt: skip


def _route_out(r: RoutingRule) -> RouteOut:
    return RouteOut(id=r.id, org_unit=r.org_code, category=r.category_code, area=r.area_code,
                    note=r.note)  # fmt: skip


@router.get("/feedback-categories", response_model=list[CategoryOut])
def list_categories(principal: Reader, db: DbSession, all: bool = False) -> list[CategoryOut]:
    """The tree, parents before children (``all=true``: with inactive ones)."""
    return [_category_out(c) for c in catalogue.list_categories(db, active_only=not all)]


@router.put("/feedback-categories/{code}", response_model=CategoryOut)
def save_category(code: str, body: CategoryIn, principal: Admin, db: DbSession) -> CategoryOut:
    """Create or edit a category (audited)."""
    edit = catalogue.CategoryEdit(name_vi=body.name_vi, name_en=body.name_en,
                                  parent_code=body.parent, priority=body.priority,
                                  resolve_days=body.resolve_days, active=body.active)  # fmt: skip
    return _category_out(catalogue.save_category(db, principal.actor(), code, edit))


@router.get("/feedback-routes", response_model=list[RouteOut])
def list_routes(principal: Admin, db: DbSession) -> list[RouteOut]:
    """The routing table."""
    rows = db.execute(
        select(RoutingRule).order_by(RoutingRule.category_code, RoutingRule.area_code)
    ).scalars()
    return [_route_out(r) for r in rows]


@router.post("/feedback-routes", response_model=RouteOut)
def set_route(body: RouteIn, principal: Admin, db: DbSession) -> RouteOut:
    """Add or replace the rule of (category, commune) (audited)."""
    rule = routing.set_rule(db, principal.actor(), org_code=body.org_unit,
                            category_code=body.category, area_code=body.area,
                            note=body.note)  # fmt: skip
    return _route_out(rule)


@router.delete("/feedback-routes/{rule_id}", status_code=204)
def delete_route(rule_id: str, principal: Admin, db: DbSession) -> None:
    """Remove a rule (audited)."""
    routing.delete_rule(db, principal.actor(), rule_id)


@router.get("/feedback-calendar", response_model=list[DayIn])
def calendar_days(
    principal: Reader, db: DbSession, year: Annotated[int, Query(ge=2000, le=2100)]
) -> list[DayIn]:
    """The province's edits of a year (the defaults are in ``iocvn feedback calendar show``)."""
    rows = db.execute(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    ).scalars()
    return [DayIn.model_validate({"day": d.day, "kind": d.kind, "name": d.name}) for d in rows]


@router.put("/feedback-calendar/{year}", response_model=list[DayIn])
def set_calendar(
    year: Annotated[int, Path(ge=2000, le=2100)],
    body: list[DayIn],
    principal: Admin,
    db: DbSession,
) -> list[DayIn]:
    """Replace the province's edits of ``year`` (audited); days outside the year are refused."""
    days: dict[date, tuple[str, str]] = {d.day: (d.kind, d.name) for d in body}
    outside = [d for d in days if d.year != year]
    if outside:
        raise Invalid("calendar_file", details={"field": "day"}, line=0,
                      reason=f"{outside[0]:%d/%m/%Y} ∉ {year}")  # fmt: skip
    clock.set_days(db, principal.actor(), days, year=year)
    return sorted(body, key=lambda d: d.day)
