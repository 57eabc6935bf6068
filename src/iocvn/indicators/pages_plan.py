"""Web pages of planning: the targets (chỉ tiêu) of one indicator and year by unit, and the
reporting schedules (lịch báo cáo) with the period locks.

Every change goes through the services the JSON API uses (``targets.set_targets``,
``schedules``, ``values_workflow``): this module reads forms and renders, it decides nothing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import case, or_, select

from iocvn.auth.deps import Principal, require
from iocvn.core import periods
from iocvn.core.errors import Invalid, IocError
from iocvn.core.http import DbSession
from iocvn.core.i18n import register, t
from iocvn.core.numbers import editable_number
from iocvn.core.templating import render
from iocvn.core.timeutil import to_local, utcnow
from iocvn.indicators import catalogue, schedules, targets, values_workflow
from iocvn.indicators.models import Indicator, ReportingSchedule, Target
from iocvn.indicators.values_checks import Unit, may_report
from iocvn.org.models import OrgUnit

router = APIRouter()
Reader = Annotated[Principal, Depends(require("indicator.read"))]
Planner = Annotated[Principal, Depends(require("target.write"))]
Locker = Annotated[Principal, Depends(require("data.lock"))]
Year = Annotated[int | None, Query(ge=targets.FIRST_YEAR, le=targets.LAST_YEAR)]
PHASES = ("half_yearly", "quarterly", "monthly")  # finer phases (weeks, days) are API-only
_LEVEL_ORDER = case({"province": 0, "commune": 1, "agency": 2}, value=OrgUnit.level, else_=3)
_VI_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:\.[0-9]{3})+|[0-9]+)(?:,[0-9]+)?")
_EN_NUMBER = re.compile(r"[+-]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")
DONE = ("added", "deleted", "locked", "unlocked")

register(
    {
        "nav.targets": ("Chỉ tiêu", "Targets"),
        "nav.schedules": ("Lịch báo cáo", "Schedules"),
        "plan.targets": ("Chỉ tiêu kế hoạch", "Targets"),
        "plan.indicator": ("Chỉ số (mã hoặc tên)", "Indicator (code or name)"),
        "plan.year": ("Năm", "Year"),
        "plan.phase": ("Phân kỳ", "Phasing"),
        "plan.phase.none": ("Chỉ cả năm", "Whole year only"),
        "plan.phase.half_yearly": ("Theo 6 tháng", "By half-year"),
        "plan.phase.quarterly": ("Theo quý", "By quarter"),
        "plan.phase.monthly": ("Theo tháng", "By month"),
        "plan.year_target": ("Cả năm {year}", "Year {year}"),
        "plan.document": ("Văn bản giao chỉ tiêu", "Source document"),
        "plan.choose": (
            "Chọn một chỉ số để xem và giao chỉ tiêu theo đơn vị.",
            "Choose an indicator to see and set its targets by unit.",
        ),
        "plan.matches": ("Các chỉ số khớp với «{q}»:", "Indicators matching «{q}»:"),
        "plan.no_match": ("Không có chỉ số nào khớp với «{q}».", "No indicator matches «{q}»."),
        "plan.read_only": (
            "Bạn chỉ được xem các chỉ tiêu này.",
            "You may only read these targets.",
        ),
        "plan.blank_keeps": (
            "Nhập số theo kiểu Việt Nam (1.234,5). Ô để trống không xóa chỉ tiêu đã lưu.",
            "Type numbers as 1,234.5. A blank cell does not delete a stored target.",
        ),
        "plan.other_phases": (
            "Còn có chỉ tiêu phân kỳ khác đã lưu: {types}.",
            "Other phased targets are stored: {types}.",
        ),
        "plan.saved": (
            "Đã lưu chỉ tiêu: {created} mới, {updated} sửa, {unchanged} không đổi.",
            "Targets saved: {created} new, {updated} changed, {unchanged} unchanged.",
        ),
        "plan.save": ("Lưu chỉ tiêu", "Save targets"),
        "plan.no_units": (
            "Không có đơn vị nào trong phạm vi của bạn nhận chỉ tiêu này.",
            "No unit in your scope takes this target.",
        ),
        "plan.schedules": ("Lịch báo cáo", "Reporting schedules"),
        "plan.who": ("Đơn vị báo cáo", "Reporting units"),
        "plan.level.commune": ("Tất cả xã, phường, đặc khu", "Every commune and ward"),
        "plan.level.agency": ("Tất cả sở, ban, ngành", "Every agency"),
        "plan.deadline": ("Hạn nộp", "Deadline"),
        "plan.deadline_days": ("Số ngày sau khi hết kỳ", "Days after the period ends"),
        "plan.deadline_rule": (
            "{n} ngày sau khi kết thúc kỳ",
            "{n} days after the period ends",
        ),
        "plan.deadline_invalid": (
            "Số ngày hạn nộp phải là số nguyên từ 0 đến 366.",
            "The deadline must be a whole number of days from 0 to 366.",
        ),
        "plan.add_schedule": ("Thêm lịch báo cáo", "Add a schedule"),
        "plan.delete": ("Xóa", "Delete"),
        "plan.confirm_delete": (
            "Xóa lịch báo cáo này? Các đơn vị sẽ không còn bị tính là phải báo cáo.",
            "Delete this schedule? Its units will no longer be expected to report.",
        ),
        "plan.done.added": ("Đã thêm lịch báo cáo.", "Schedule added."),
        "plan.done.deleted": ("Đã xóa lịch báo cáo.", "Schedule deleted."),
        "plan.done.locked": ("Đã khóa kỳ.", "Period locked."),
        "plan.done.unlocked": ("Đã mở khóa kỳ.", "Period unlocked."),
        "plan.locks": ("Khóa kỳ số liệu", "Period locks"),
        "plan.lock_period": ("Kỳ (2026, 2026Q3, 202607…)", "Period (2026, 2026Q3, 202607…)"),
        "plan.lock_indicator": (
            "Chỉ số (để trống: mọi chỉ số)",
            "Indicator (blank: every indicator)",
        ),
        "plan.all_indicators": ("Mọi chỉ số", "Every indicator"),
        "plan.locked_by": ("Người khóa", "Locked by"),
        "plan.locked_at": ("Thời điểm khóa", "Locked at"),
        "plan.lock": ("Khóa kỳ", "Lock"),
        "plan.unlock": ("Mở khóa", "Unlock"),
        "plan.confirm_unlock": (
            "Mở khóa kỳ này? Số liệu của kỳ sẽ lại được sửa.",
            "Unlock this period? Its data may change again.",
        ),
    }
)


# --- numbers as typed -------------------------------------------------------------------


def typed_value(text: str, lang: str) -> float | str:
    """A number typed in the page's language (``1.234,5`` in Vietnamese, ``1,234.5`` in
    English); any other text is returned as typed for the service to read or refuse (it
    reads a machine form such as ``12.5`` and names the row of anything else)."""
    raw = text.replace(" ", "").replace("\u00a0", "")
    if lang == "en":
        if _EN_NUMBER.fullmatch(raw):
            return float(raw.replace(",", ""))
    elif _VI_NUMBER.fullmatch(raw):
        return float(raw.replace(".", "").replace(",", "."))
    return raw


# --- targets ----------------------------------------------------------------------------


def _phases(ind: Indicator) -> list[str]:
    rank = periods.PERIOD_TYPES.index
    return [p for p in PHASES if rank(p) >= rank(ind.frequency)]


def _units(
    db: DbSession, principal: Principal, ind: Indicator, year: int, stored: set[str]
) -> list[OrgUnit]:
    """Units valid in the year that take the indicator's target, within the caller's area:
    the province, its communes unless only the province's own figure exists, the agencies a
    schedule names, and any unit already holding a target."""
    scope = principal.scope
    if scope.level == "commune":
        fits = OrgUnit.code == scope.org_code
    else:
        rules = [OrgUnit.level == "province", OrgUnit.code.in_(sorted(stored))]
        if ind.space_agg != "none":
            rules.append(OrgUnit.level == "commune")
        named = select(ReportingSchedule.org_code, ReportingSchedule.level).where(
            ReportingSchedule.indicator_code == ind.code
        )
        for org, level in db.execute(named):
            rules.append(OrgUnit.level == level if org is None else OrgUnit.code == org)
        fits = or_(*rules)
    stmt = select(OrgUnit).where(
        fits,
        OrgUnit.province_code == scope.province_code,
        OrgUnit.valid_from <= date(year, 12, 31),
        or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= date(year, 1, 1)),
    )
    order = (_LEVEL_ORDER, OrgUnit.search_key, OrgUnit.code)
    return list(db.execute(stmt.order_by(*order)).scalars())


def _stored(
    db: DbSession, principal: Principal, code: str, year: int
) -> dict[str, dict[str, Target]]:
    """The stored targets of the caller's area: org unit → period code ("" = year) → target."""
    found: dict[str, dict[str, Target]] = {}
    for row in targets.list_targets(db, principal.scope, indicator=code, year=year, limit=100_000):
        found.setdefault(row.org_code, {})[row.period] = row
    return found


def _document(stored: Mapping[str, Target]) -> str:
    """The document shown for a unit: the year target's, else the first phased one's."""
    docs = [stored[""].source_document] if "" in stored else []
    docs += [stored[p].source_document for p in sorted(stored) if p]
    return next((d for d in docs if d), "")


def _cells(year: int, phase: str, lang: str) -> list[tuple[str, str]]:
    """The columns of the table: the year, then its periods of ``phase`` (code, label)."""
    cells = [(str(year), t("plan.year_target", lang, year=year))]
    if phase in PHASES:
        whole = periods.parse(str(year))
        cells += [(p.code, periods.label(p, lang)) for p in periods.children(whole, phase)]
    return cells


def _choose(db: DbSession, text: str) -> tuple[Indicator | None, list[Indicator]]:
    """The indicator a code names, or the indicators a search text matches."""
    if not text:
        return None, []
    ind = db.get(Indicator, text) or db.get(Indicator, text.upper())
    if ind is not None:
        return ind, []
    matches = catalogue.list_indicators(db, q=text)[:50]
    return (matches[0], []) if len(matches) == 1 else (None, matches)


def _row(
    principal: Principal,
    ind: Indicator,
    unit: OrgUnit,
    cells: list[tuple[str, str]],
    mine: Mapping[str, Target],
    lang: str,
) -> dict[str, Any]:
    """One unit's row: its stored targets, as shown and as the inputs hold them."""
    year = cells[0][0]
    saved = {c: mine.get("" if c == year else c) for c, _ in cells}
    fields = Unit(unit.code, unit.level, unit.province_code, unit.valid_from, None)
    return {
        "unit": unit,
        "inputs": {
            c: "" if v is None else editable_number(v.value, lang) for c, v in saved.items()
        },
        "stored_document": _document(mine),
        "editable": principal.can("target.write")
        and ind.active
        and may_report(principal.scope, ind, fields),
    }


def _targets_page(
    request: Request,
    principal: Principal,
    db: DbSession,
    text: str,
    year: int,
    phase: str,
    *,
    typed: Mapping[tuple[str, str], str] | None = None,
    typed_docs: Mapping[str, str] | None = None,
    errors: Mapping[tuple[str, str], str] | None = None,
    flash: str = "",
    error: str = "",
    status: int = 200,
) -> Response:
    lang = str(request.state.lang)
    ind, matches = _choose(db, text)
    context: dict[str, Any] = {
        "q": text,
        "ind": ind,
        "matches": matches,
        "year": year,
        "choices": catalogue.list_indicators(db),
        "flash": flash,
        "error": error,
    }
    if ind is not None:
        phases = _phases(ind)
        if phase not in phases and phase != "none":  # by quarter unless it does not fit
            phase = "quarterly" if "quarterly" in phases else (phases[0] if phases else "none")
        cells = _cells(year, phase, lang)
        stored = _stored(db, principal, ind.code, year)
        units = _units(db, principal, ind, year, set(stored))
        rows = [
            _row(principal, ind, unit, cells, stored.get(unit.code, {}), lang)
            | {
                "typed": {c: (typed or {}).get((unit.code, c)) for c, _ in cells},
                "document": (typed_docs or {}).get(unit.code),
                "errors": {c: m for (org, c), m in (errors or {}).items() if org == unit.code},
            }
            for unit in units
        ]
        on_page = {(u.code, c) for u in units for c, _ in cells}
        others = {periods.parse(p).type for mine in stored.values() for p in mine if p}
        context |= {
            "phase": phase,
            "phases": phases,
            "cells": cells,
            "rows": rows,
            "can_edit": any(r["editable"] for r in rows),
            "other_phases": ", ".join(t(f"plan.phase.{p}", lang) for p in sorted(others - {phase})),
            # refused cells of units or periods the table does not show (a crafted form)
            "stray_errors": [
                f"{k[0]} — {m}" for k, m in (errors or {}).items() if k not in on_page
            ],
        }
    return render(request, "indicators/targets.html", context, status)


@router.get("/indicators/targets", response_class=HTMLResponse)
def targets_page(
    request: Request,
    principal: Reader,
    db: DbSession,
    indicator: Annotated[str, Query(max_length=200)] = "",
    year: Year = None,
    phase: Annotated[str, Query(max_length=16)] = "",
    created: int = -1,
    updated: int = 0,
    unchanged: int = 0,
) -> Response:
    """The targets of one indicator and year by unit (this year by default); holders of
    ``target.write`` edit the units in their reach."""
    chosen = year or to_local(utcnow()).date().year
    flash = ""
    if created >= 0:
        flash = t(
            "plan.saved",
            str(request.state.lang),
            created=created,
            updated=updated,
            unchanged=unchanged,
        )
    return _targets_page(request, principal, db, indicator.strip(), chosen, phase, flash=flash)


@router.post("/indicators/targets")
async def targets_submit(request: Request, principal: Planner, db: DbSession) -> Response:
    """Save the table's filled cells through ``targets.set_targets``: all or nothing, the
    refused cells named beside their unit."""
    form = await request.form()
    lang = str(request.state.lang)
    code, year_text = str(form.get("indicator", "")).strip(), str(form.get("year", "")).strip()
    phase = str(form.get("phase", ""))
    year = int(year_text) if year_text.isdigit() else 0
    if not code or not targets.FIRST_YEAR <= year <= targets.LAST_YEAR:
        raise Invalid("validation_error", details={"fields": ["indicator", "year"]})
    ind = catalogue.get_indicator(db, code)
    stored = _stored(db, principal, ind.code, year)
    docs = {key[2:]: str(v).strip() for key, v in form.multi_items() if key.startswith("d:")}
    typed: dict[tuple[str, str], str] = {}
    items: list[dict[str, Any]] = []
    for key, raw in form.multi_items():
        org, _, cell = key[2:].partition(":")
        text = str(raw).strip()
        if not key.startswith("v:") or not text:
            continue
        typed[(org, cell)] = text
        item: dict[str, Any] = {"indicator": ind.code, "org_unit": org, "year": year}
        item |= {"period": cell, "value": typed_value(text, lang)}
        if org in docs and docs[org] != _document(stored.get(org, {})):
            item["source_document"] = docs[org]
        items.append(item)
    try:
        report = targets.set_targets(db, principal, items, lang=lang)
    except IocError as exc:
        db.rollback()
        labels = dict(_cells(year, phase, lang))
        errors: dict[tuple[str, str], str] = {}
        details = exc.details if isinstance(exc.details, dict) else {}
        for e in details.get("errors", []):
            if isinstance(e.get("index"), int) and 0 <= e["index"] < len(items):
                it = items[e["index"]]
                cell = str(it["period"])
                label = labels.get(cell, cell)
                errors[(str(it["org_unit"]), cell)] = f"{label}: {e.get('message', '')}"
        return _targets_page(
            request,
            principal,
            db,
            ind.code,
            year,
            phase,
            typed=typed,
            typed_docs=docs,
            errors=errors,
            error=t(exc.message_key, lang, **exc.params),
            status=422,
        )
    query = urlencode(
        {"indicator": ind.code, "year": year, "phase": phase}
        | {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
    )
    return RedirectResponse(f"/indicators/targets?{query}", status_code=303)


# --- schedules and period locks ---------------------------------------------------------


def _plannable_units(db: DbSession, principal: Principal) -> list[OrgUnit]:
    """Units the add form offers: today's units of the caller's area (a commune: itself)."""
    scope, today = principal.scope, to_local(utcnow()).date()
    stmt = select(OrgUnit).where(
        OrgUnit.province_code == scope.province_code,
        OrgUnit.valid_from <= today,
        or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= today),
    )
    if scope.level == "commune":
        stmt = stmt.where(OrgUnit.code == scope.org_code)
    return list(db.execute(stmt.order_by(_LEVEL_ORDER, OrgUnit.search_key)).scalars())


def _schedules_page(
    request: Request,
    principal: Principal,
    db: DbSession,
    indicator: str = "",
    *,
    done: str = "",
    typed: Mapping[str, str] | None = None,
    schedule_error: str = "",
    lock_error: str = "",
    status: int = 200,
) -> Response:
    rows = schedules.list_schedules(db, principal.scope, indicator=indicator or None)
    inds = {i.code: i for i in catalogue.list_indicators(db, include_inactive=True)}
    codes = {r.org_code for r in rows if r.org_code}
    names = dict(
        db.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(codes))).all()
    )
    can_plan = principal.can("target.write")
    listed = [
        {
            "schedule": s,
            "ind": inds.get(s.indicator_code),
            "who": names.get(s.org_code, s.org_code) if s.org_code else t(f"plan.level.{s.level}"),
            "deletable": can_plan
            and s.indicator_code in inds
            and schedules.may_plan(principal.scope, inds[s.indicator_code], s.org_code),
        }
        for s in rows
    ]
    context = {
        "indicator": indicator,
        "rows": listed,
        "choices": [i for i in inds.values() if i.active],
        "can_plan": can_plan,
        "units": _plannable_units(db, principal) if can_plan else [],
        "levels": schedules.LEVELS if principal.scope.level != "commune" else (),
        "locks": [
            (lock, periods.label(periods.parse(lock.period), str(request.state.lang)))
            for lock in values_workflow.list_locks(db)
        ],
        "can_lock": principal.can("data.lock"),
        "done": done if done in DONE else "",
        "typed": typed or {},
        "schedule_error": schedule_error,
        "lock_error": lock_error,
    }
    return render(request, "indicators/schedules.html", context, status)


def _status_of(exc: IocError) -> int:
    return 403 if exc.status == 403 else 422


@router.get("/indicators/schedules", response_class=HTMLResponse)
def schedules_page(
    request: Request,
    principal: Reader,
    db: DbSession,
    indicator: Annotated[str, Query(max_length=64)] = "",
    done: Annotated[str, Query(max_length=16)] = "",
) -> Response:
    """Reporting schedules in the caller's area and the period locks; the add, delete, lock
    and unlock forms for holders of ``target.write`` and ``data.lock``."""
    return _schedules_page(request, principal, db, indicator.strip(), done=done)


@router.post("/indicators/schedules")
async def schedule_add(request: Request, principal: Planner, db: DbSession) -> Response:
    """Add a schedule from the form (``who`` is ``level:commune``, ``level:agency`` or
    ``org:CODE``)."""
    form = await request.form()
    typed = {k: str(form.get(k, "")).strip() for k in ("indicator", "who", "deadline_days")}
    kind, _, value = typed["who"].partition(":")
    days = typed["deadline_days"] or "20"
    try:
        if not days.isdigit() or not 0 <= int(days) <= 366:
            raise Invalid("deadline_invalid", message_key="plan.deadline_invalid")
        schedules.add_schedule(
            db,
            principal,
            typed["indicator"],
            org_code=value if kind == "org" else None,
            level=value if kind == "level" else None,
            deadline_days=int(days),
        )
    except IocError as exc:
        db.rollback()
        message = t(exc.message_key, str(request.state.lang), **exc.params)
        return _schedules_page(
            request, principal, db, typed=typed, schedule_error=message, status=_status_of(exc)
        )
    return RedirectResponse("/indicators/schedules?done=added", status_code=303)


@router.post("/indicators/schedules/{schedule_id}/delete")
def schedule_delete(schedule_id: str, principal: Planner, db: DbSession) -> Response:
    """Delete a schedule (the page asks for confirmation first)."""
    schedules.delete_schedule(db, principal, schedule_id)
    return RedirectResponse("/indicators/schedules?done=deleted", status_code=303)


async def _lock_form(request: Request) -> tuple[str, str | None]:
    form = await request.form()
    period = str(form.get("period", "")).strip()
    indicator = str(form.get("indicator", "")).strip() or None
    return period, indicator


def _lock_step(
    request: Request, principal: Principal, db: DbSession, lock: bool, form: tuple[str, str | None]
) -> Response:
    period, indicator = form
    try:
        if lock:
            values_workflow.lock_period(db, principal, period, indicator)
        else:
            values_workflow.unlock_period(db, principal, period, indicator)
    except IocError as exc:
        db.rollback()
        message = t(exc.message_key, str(request.state.lang), **exc.params)
        typed = {"period": period, "lock_indicator": indicator or ""}
        return _schedules_page(
            request, principal, db, typed=typed, lock_error=message, status=_status_of(exc)
        )
    done = "locked" if lock else "unlocked"
    return RedirectResponse(f"/indicators/schedules?done={done}", status_code=303)


@router.post("/indicators/schedules/lock")
async def lock_page(request: Request, principal: Locker, db: DbSession) -> Response:
    """Lock a period for one indicator or all of them."""
    return _lock_step(request, principal, db, True, await _lock_form(request))


@router.post("/indicators/schedules/unlock")
async def unlock_page(request: Request, principal: Locker, db: DbSession) -> Response:
    """Reopen a locked period (the page asks for confirmation first)."""
    return _lock_step(request, principal, db, False, await _lock_form(request))
