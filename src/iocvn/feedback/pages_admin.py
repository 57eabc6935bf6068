"""Staff pages that organise citizen feedback (``feedback.admin``): the category tree
(``/feedback/admin/categories``), the routing table with a "who would receive it" check
(``/feedback/admin/routes``) and the working calendar of a year (``/feedback/admin/calendar``).

Every change goes through the services the JSON API uses (``catalogue.save_category``,
``routing.set_rule`` / ``delete_rule``, ``clock.set_days``), which audit it: this module reads
forms and renders, it decides nothing. A refused form comes back with its error and the typed
values, and nothing is stored. Mounted before ``/feedback/{code}``, which would take these paths.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import case, select
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from iocvn.auth.deps import Principal, require
from iocvn.core.errors import Conflict, Invalid, IocError, NotFound
from iocvn.core.http import DbSession
from iocvn.core.i18n import t
from iocvn.core.templating import render
from iocvn.core.timeutil import local_midnight, parse_day, to_local, utcnow
from iocvn.feedback import (
    catalogue,
    clock,
    messages_admin,  # noqa: F401  (registers the pages' texts)
    routing,
)
from iocvn.feedback.models import PRIORITIES, FeedbackCategory, RoutingRule
from iocvn.org.models import OrgUnit

router = APIRouter()
Admin = Annotated[Principal, Depends(require("feedback.admin"))]
FIRST_YEAR, LAST_YEAR = 2000, 2100  # as the calendar API
BLANK_DAYS = 3  # empty rows the calendar form offers for new days
DONE = ("added", "saved", "deactivated", "activated", "deleted")
_LEVEL_ORDER = case({"agency": 0, "commune": 1, "province": 2}, value=OrgUnit.level, else_=3)


# Page texts for the service's ``invalid_category`` (its ``reason`` is a field name).
_CATEGORY_FIELDS = {
    "code": "fbadmin.cat.bad_code",
    "name_vi": "fbadmin.cat.bad_name",
    "parent_code": "fbadmin.cat.bad_parent",
    "resolve_days": "fbadmin.cat.bad_days",
}


def _lang(request: Request) -> str:
    return str(getattr(request.state, "lang", "vi"))


def _message(request: Request, exc: IocError) -> str:
    """The error in the page's language (a category field named in words, not its code)."""
    field = exc.details.get("field") if isinstance(exc.details, dict) else None
    if exc.code == "invalid_category" and field in _CATEGORY_FIELDS:
        return t(_CATEGORY_FIELDS[field], _lang(request))
    return t(exc.message_key, _lang(request), **exc.params)


def _text(form: FormData, name: str, limit: int = 500) -> str:
    value = form.get(name)
    return value.strip()[:limit] if isinstance(value, str) else ""


@router.get("/feedback/admin")
def admin_home(principal: Admin) -> Response:
    """The administration pages start with the category tree."""
    return RedirectResponse("/feedback/admin/categories", status_code=303)


# --- categories ------------------------------------------------------------------------------


def _tree(db: Session) -> list[tuple[FeedbackCategory, int]]:
    """Every category (inactive too), parents first, with its depth in the tree."""
    rows = catalogue.list_categories(db, active_only=False)
    parents = {c.code: c.parent_code for c in rows}
    out = []
    for c in rows:
        depth, seen = 0, c.parent_code
        while seen is not None and depth < len(rows):
            depth, seen = depth + 1, parents.get(seen)
        out.append((c, depth))
    return out


def _categories_page(
    request: Request,
    db: Session,
    *,
    editing: FeedbackCategory | None = None,
    typed: Mapping[str, str] | None = None,
    done: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    tree = _tree(db)
    parents = {c.code: c.parent_code for c, _ in tree}

    def under(code: str, ancestor: str) -> bool:  # code is ancestor or one of its children
        seen: str | None = code
        for _ in range(len(parents) + 1):
            if seen is None:
                return False
            if seen == ancestor:
                return True
            seen = parents.get(seen)
        return False

    choices = [(c, d) for c, d in tree if editing is None or not under(c.code, editing.code)]
    if typed is None:
        typed = {"priority": "normal", "active": "1"}
        if editing is not None:
            typed = {
                "name_vi": editing.name_vi,
                "name_en": editing.name_en,
                "parent": editing.parent_code or "",
                "priority": editing.priority,
                "resolve_days": str(editing.resolve_days or ""),
                "active": "1" if editing.active else "",
            }
    return render(request, "feedback/admin_categories.html", {
        "tree": tree, "editing": editing, "choices": choices, "typed": typed,
        "priorities": PRIORITIES, "done": done if done in DONE else "", "error": error,
    }, status)  # fmt: skip


@router.get("/feedback/admin/categories", response_class=HTMLResponse)
def categories_page(
    request: Request,
    principal: Admin,
    db: DbSession,
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The category tree (inactive ones too) and the form to add one."""
    return _categories_page(request, db, done=done)


def _get_category(db: Session, code: str) -> FeedbackCategory:
    row = db.get(FeedbackCategory, code)
    if row is None:
        raise NotFound("unknown_category", details={"code": code[:64]}, category=code[:64])
    return row


@router.get("/feedback/admin/categories/{code}", response_class=HTMLResponse)
def category_page(code: str, request: Request, principal: Admin, db: DbSession) -> Response:
    """The form to edit one category."""
    return _categories_page(request, db, editing=_get_category(db, code))


def _typed_category(form: FormData) -> dict[str, str]:
    """The category form's fields as typed (shown again when refused)."""
    fields = ("code", "name_vi", "name_en", "parent", "priority", "resolve_days")
    typed = {k: _text(form, k, 200) for k in fields}
    typed["active"] = "1" if form.get("active") else ""
    return typed


def _edit(typed: Mapping[str, str]) -> catalogue.CategoryEdit:
    """The edit the form asks for: every field set (blank time limit: the default)."""
    days = typed["resolve_days"] or "0"
    if not days.isdigit():
        raise Invalid("invalid_category", details={"field": "resolve_days"},
                      reason="resolve_days")  # fmt: skip
    return catalogue.CategoryEdit(
        name_vi=typed["name_vi"], name_en=typed["name_en"], parent_code=typed["parent"],
        priority=typed["priority"] or "normal", resolve_days=int(days),
        active=bool(typed["active"]),
    )  # fmt: skip


@router.post("/feedback/admin/categories")
async def category_add(request: Request, principal: Admin, db: DbSession) -> Response:
    """Add a category (a code already in the tree is refused: edit it instead)."""
    typed = _typed_category(await request.form())
    try:
        if typed["code"] and db.get(FeedbackCategory, typed["code"]) is not None:
            raise Conflict("category_exists", message_key="fbadmin.cat.exists",
                           details={"code": typed["code"]}, category=typed["code"])  # fmt: skip
        catalogue.save_category(db, principal.actor(), typed["code"], _edit(typed))
    except IocError as exc:
        db.rollback()
        return _categories_page(request, db, typed=typed, error=_message(request, exc),
                                status=exc.status)  # fmt: skip
    return RedirectResponse("/feedback/admin/categories?done=added", status_code=303)


@router.post("/feedback/admin/categories/{code}")
async def category_save(
    code: str, request: Request, principal: Admin, db: DbSession
) -> Response:  # fmt: skip
    """Save the edit form of a category."""
    row = _get_category(db, code)
    typed = _typed_category(await request.form())
    try:
        catalogue.save_category(db, principal.actor(), row.code, _edit(typed))
    except IocError as exc:
        db.rollback()
        return _categories_page(request, db, editing=_get_category(db, code), typed=typed,
                                error=_message(request, exc), status=exc.status)  # fmt: skip
    return RedirectResponse("/feedback/admin/categories?done=saved", status_code=303)


def _set_active(principal: Principal, db: Session, code: str, on: bool) -> Response:
    row = _get_category(db, code)
    catalogue.save_category(db, principal.actor(), row.code, catalogue.CategoryEdit(active=on))
    done = "activated" if on else "deactivated"
    return RedirectResponse(f"/feedback/admin/categories?done={done}", status_code=303)


@router.post("/feedback/admin/categories/{code}/deactivate")
def category_deactivate(code: str, principal: Admin, db: DbSession) -> Response:
    """Deactivate a category (never deleted: old cases keep it)."""
    return _set_active(principal, db, code, False)


@router.post("/feedback/admin/categories/{code}/activate")
def category_activate(code: str, principal: Admin, db: DbSession) -> Response:
    """Make a deactivated category available again."""
    return _set_active(principal, db, code, True)


# --- routing ---------------------------------------------------------------------------------


def _units(db: Session) -> list[tuple[str, str, str]]:
    """Today's units a rule may name: (code, name, level), agencies, communes, the province."""
    rows = db.execute(
        select(OrgUnit.code, OrgUnit.name, OrgUnit.level)
        .where(OrgUnit.valid_to.is_(None), OrgUnit.level.in_(("province", "agency", "commune")))
        .order_by(_LEVEL_ORDER, OrgUnit.name)
    )
    return [(str(r[0]), str(r[1]), str(r[2])) for r in rows]


def _matches(column: Any, chosen: str) -> Any:
    """A filter: ``*`` the rules for any (NULL), else the code chosen."""
    return column.is_(None) if chosen == "*" else column == chosen


def _check(db: Session, category: str, area: str, names: Mapping[str, str]) -> dict[str, Any]:
    """Where a report of ``category`` in ``area`` would go, by ``routing.route`` itself."""
    if category and db.get(FeedbackCategory, category) is None:
        raise Invalid("unknown_category", details={"code": category}, category=category)
    if area and db.get(OrgUnit, area) is None:
        raise Invalid("unknown_handling_unit", details={"code": area}, unit=area)
    found = routing.route(db, category or None, area or None)
    if found is None:
        return {"key": "fbadmin.check.none", "rule_id": None, "params": {}}
    unit = f"{names.get(found.org_code, found.org_code)} ({found.org_code})"
    if found.rule_id == routing.COMMUNE_RULE:
        return {"key": "fbadmin.check.commune", "rule_id": None, "params": {"unit": unit}}
    return {"key": "fbadmin.check.rule", "rule_id": found.rule_id, "params": {
        "unit": unit, "category": found.category_code or "*", "area": found.area_code or "*",
    }}  # fmt: skip


def _routes_page(
    request: Request,
    db: Session,
    *,
    filters: Mapping[str, str] | None = None,
    check: Mapping[str, str] | None = None,
    typed: Mapping[str, str] | None = None,
    done: str = "",
    error: str = "",
    check_error: str = "",
    status: int = 200,
) -> Response:
    filters = filters or {}
    stmt = select(RoutingRule).order_by(RoutingRule.category_code, RoutingRule.area_code)
    for name, column in (
        ("category", RoutingRule.category_code),
        ("area", RoutingRule.area_code),
        ("unit", RoutingRule.org_code),
    ):
        if filters.get(name):
            stmt = stmt.where(_matches(column, filters[name]))
    rules = list(db.execute(stmt).scalars())
    units = _units(db)
    names = {code: name for code, name, _ in units}
    stored = {r.org_code for r in rules} | {r.area_code for r in rules if r.area_code}
    old = select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(stored - set(names)))
    names |= {str(code): str(name) for code, name in db.execute(old)}  # no longer current
    tree = _tree(db)
    result: dict[str, Any] | None = None
    if check is not None and not check_error:
        try:
            result = _check(db, check.get("category", ""), check.get("area", ""), names)
        except IocError as exc:
            check_error, status = _message(request, exc), exc.status
    return render(request, "feedback/admin_routes.html", {
        "rules": rules, "names": names, "categories": tree,
        "category_names": {c.code: c.name_vi for c, _ in tree},
        "units": units, "communes": [u for u in units if u[2] == "commune"],
        "filters": filters, "check": check or {}, "result": result, "typed": typed or {},
        "done": done if done in DONE else "", "error": error, "check_error": check_error,
    }, status)  # fmt: skip


@router.get("/feedback/admin/routes", response_class=HTMLResponse)
def routes_page(
    request: Request,
    principal: Admin,
    db: DbSession,
    category: Annotated[str, Query(max_length=64)] = "",
    area: Annotated[str, Query(max_length=32)] = "",
    unit: Annotated[str, Query(max_length=32)] = "",
    check_category: Annotated[str | None, Query(max_length=64)] = None,
    check_area: Annotated[str, Query(max_length=32)] = "",
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """The routing table (filtered by category, commune or unit), the form to add a rule, and
    which unit a report of a category in a commune would reach."""
    filters = {"category": category.strip(), "area": area.strip(), "unit": unit.strip()}
    check = None
    if check_category is not None:
        check = {"category": check_category.strip(), "area": check_area.strip()}
    return _routes_page(request, db, filters=filters, check=check, done=done)


@router.post("/feedback/admin/routes")
async def route_add(request: Request, principal: Admin, db: DbSession) -> Response:
    """Add a rule, or replace the rule of the same category and commune."""
    form = await request.form()
    typed = {"category": _text(form, "category", 64), "area": _text(form, "area", 32),
             "org_unit": _text(form, "org_unit", 32), "note": _text(form, "note")}  # fmt: skip
    try:
        routing.set_rule(db, principal.actor(), org_code=typed["org_unit"],
                         category_code=typed["category"] or None,
                         area_code=typed["area"] or None, note=typed["note"])  # fmt: skip
    except IocError as exc:
        db.rollback()
        return _routes_page(request, db, typed=typed, error=_message(request, exc),
                            status=exc.status)  # fmt: skip
    return RedirectResponse("/feedback/admin/routes?done=saved", status_code=303)


@router.post("/feedback/admin/routes/{rule_id}/delete")
def route_delete(rule_id: str, request: Request, principal: Admin, db: DbSession) -> Response:
    """Delete a rule (the page asks for confirmation first)."""
    try:
        routing.delete_rule(db, principal.actor(), rule_id)
    except IocError as exc:
        db.rollback()
        return _routes_page(request, db, error=_message(request, exc), status=exc.status)
    return RedirectResponse("/feedback/admin/routes?done=deleted", status_code=303)


# --- working calendar ------------------------------------------------------------------------


def _this_year() -> int:
    return to_local(utcnow()).year


def _calendar_page(
    request: Request,
    db: Session,
    year: int,
    *,
    rows: list[dict[str, str]] | None = None,
    done: bool = False,
    error: str = "",
    year_error: str = "",
    status: int = 200,
) -> Response:
    if rows is None:
        rows = [{"day": f"{d:%d/%m/%Y}", "kind": k, "name": n}
                for d, (k, n) in clock.year_edits(db, year).items()]  # fmt: skip
    rows = rows + [{"day": "", "kind": "holiday", "name": ""}] * BLANK_DAYS
    work = clock.work_calendar(db, local_midnight(date(year, 7, 1)))
    first = date(year, 1, 1)
    days_in_year = (date(year + 1, 1, 1) - first).days
    working = sum(work.is_working_day(first + timedelta(days=i)) for i in range(days_in_year))
    return render(request, "feedback/admin_calendar.html", {
        "year": year, "first_year": FIRST_YEAR, "last_year": LAST_YEAR,
        "days": clock.year_days(db, year), "rows": rows, "working": working,
        "hours": [f"{a:%H:%M}–{b:%H:%M}" for a, b in work.hours],
        "weekdays": sorted(work.weekdays), "kinds": clock.DAY_KINDS,
        "done": done, "error": error, "year_error": year_error,
    }, status)  # fmt: skip


@router.get("/feedback/admin/calendar", response_class=HTMLResponse)
def calendar_page(
    request: Request,
    principal: Admin,
    db: DbSession,
    year: Annotated[str, Query(max_length=8)] = "",
    done: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:
    """A year's days off and worked days (the defaults with the province's edits), the
    working hours, and the form that edits the year (this year by default)."""
    chosen = int(year) if year.strip().isdigit() else 0
    if not year.strip():
        chosen = _this_year()
    elif not FIRST_YEAR <= chosen <= LAST_YEAR:  # this year instead, and why
        message = t("fbadmin.cal.bad_year", _lang(request), first=FIRST_YEAR, last=LAST_YEAR)
        return _calendar_page(request, db, _this_year(), year_error=message, status=422)
    return _calendar_page(request, db, chosen, done=bool(done))


def _typed_rows(form: FormData) -> list[dict[str, str]]:
    """The calendar form's rows as typed, without the removed and blank ones."""
    rows: list[dict[str, str]] = []
    indexes = sorted(int(k[4:]) for k in form if k.startswith("day_") and k[4:].isdigit())
    for i in indexes:
        row = {"day": _text(form, f"day_{i}", 20), "kind": _text(form, f"kind_{i}", 10),
               "name": _text(form, f"name_{i}", 200)}  # fmt: skip
        if row["day"] and not form.get(f"remove_{i}"):
            rows.append(row)
    return rows


def _days(rows: list[dict[str, str]], year: int) -> dict[date, tuple[str, str]]:
    """The days the rows set (day → kind, name); a bad, foreign or repeated date is refused."""
    days: dict[date, tuple[str, str]] = {}
    for n, row in enumerate(rows, start=1):
        try:
            day = parse_day(row["day"])
        except ValueError:
            raise Invalid("invalid_date", message_key="fbadmin.cal.bad_date",
                          details={"row": n}, row=n, text=row["day"]) from None  # fmt: skip
        if day.year != year:
            raise Invalid("invalid_date", message_key="fbadmin.cal.other_year",
                          details={"row": n}, row=n, day=f"{day:%d/%m/%Y}", year=year)  # fmt: skip
        if day in days:
            raise Invalid("invalid_date", message_key="fbadmin.cal.twice",
                          details={"row": n}, day=f"{day:%d/%m/%Y}")  # fmt: skip
        days[day] = (row["kind"], row["name"])
    return days


@router.post("/feedback/admin/calendar")
async def calendar_save(request: Request, principal: Admin, db: DbSession) -> Response:
    """Replace the year's edits with the form's rows (all or nothing)."""
    form = await request.form()
    raw = _text(form, "year", 4)
    year = int(raw) if raw.isdigit() else 0
    rows = _typed_rows(form)
    try:
        if not FIRST_YEAR <= year <= LAST_YEAR:
            raise Invalid("invalid_year", message_key="fbadmin.cal.bad_year",
                          details={"field": "year"}, first=FIRST_YEAR, last=LAST_YEAR)  # fmt: skip
        clock.set_days(db, principal.actor(), _days(rows, year), year=year)
    except IocError as exc:
        db.rollback()
        shown = year if FIRST_YEAR <= year <= LAST_YEAR else _this_year()
        return _calendar_page(request, db, shown, rows=rows, error=_message(request, exc),
                              status=exc.status)  # fmt: skip
    return RedirectResponse(f"/feedback/admin/calendar?year={year}&done=1", status_code=303)
