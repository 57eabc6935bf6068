"""Web pages of data supply: the keyboard-friendly entry grid of one unit and period, and the
approval list for the owner agency and the IOC.

The grid shows last period and the same period last year beside each input and flags, before
submitting, a value far from both (the page script; the server's checks still decide).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from iocvn.auth.deps import Principal, require
from iocvn.core import periods
from iocvn.core.errors import IocError
from iocvn.core.http import DbSession
from iocvn.core.i18n import register, t
from iocvn.core.numbers import editable_number
from iocvn.core.templating import render
from iocvn.core.timeutil import to_local, utcnow
from iocvn.indicators import values, values_workflow
from iocvn.indicators.models import DataValue, Indicator
from iocvn.org.models import OrgUnit

router = APIRouter()
Enterer = Annotated[Principal, Depends(require("data.enter"))]
Approver = Annotated[Principal, Depends(require("data.approve"))]

register(
    {
        "entry.title": ("Nhập số liệu", "Data entry"),
        "entry.previous": ("Kỳ trước", "Last period"),
        "entry.last_year": ("Cùng kỳ năm trước", "Same period last year"),
        "entry.value": ("Số liệu kỳ này", "This period"),
        "entry.comment": ("Ghi chú", "Comment"),
        "entry.status": ("Trạng thái", "Status"),
        "entry.save_draft": ("Lưu nháp", "Save draft"),
        "entry.submit": ("Gửi duyệt", "Submit for approval"),
        "entry.saved": (
            "Đã lưu: {created} mới, {updated} sửa, {unchanged} không đổi.",
            "Saved: {created} new, {updated} changed, {unchanged} unchanged.",
        ),
        "entry.outlier": (
            "Khác xa kỳ trước và cùng kỳ — kiểm tra lại trước khi gửi.",
            "Far from last period and last year — check before submitting.",
        ),
        "entry.none": (
            "Không có chỉ số nào đơn vị này nhập cho kỳ này.",
            "This unit has no indicator to enter for this period.",
        ),
        "approve.title": ("Duyệt số liệu", "Approve data"),
        "approve.button": ("Duyệt các số liệu đã chọn", "Approve the selected values"),
        "approve.done": ("Đã duyệt {n} số liệu.", "{n} values approved."),
        "approve.none": ("Không có số liệu chờ duyệt.", "Nothing waits for approval."),
        "status.draft": ("Nháp", "Draft"),
        "status.submitted": ("Chờ duyệt", "Submitted"),
        "status.approved": ("Đã duyệt", "Approved"),
        "status.rejected": ("Trả lại", "Rejected"),
    }
)


def _indicators(db: DbSession, principal: Principal, period: periods.Period) -> list[Indicator]:
    """Collected indicators of the period's frequency this caller may enter."""
    stmt = select(Indicator).where(
        Indicator.active.is_(True),
        Indicator.formula.is_(None),
        Indicator.frequency == period.type,
    )
    if principal.scope.level == "agency":
        stmt = stmt.where(Indicator.owner == principal.scope.org_code)
    return list(db.execute(stmt.order_by(Indicator.sector, Indicator.code)).scalars())


def _current(db: DbSession, org: str, period: str, codes: list[str]) -> dict[str, DataValue]:
    rows = db.execute(
        select(DataValue).where(
            DataValue.org_code == org,
            DataValue.period == period,
            DataValue.is_current.is_(True),
            DataValue.indicator_code.in_(codes),
        )
    ).scalars()
    return {r.indicator_code: r for r in rows}


def _grid(
    request: Request,
    principal: Principal,
    db: DbSession,
    org: str,
    period_code: str,
    *,
    typed: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    warnings: dict[str, str] | None = None,
    flash: str = "",
    status: int = 200,
) -> Response:
    period = periods.parse(period_code)
    lang = str(getattr(request.state, "lang", "vi"))
    unit = db.get(OrgUnit, org)
    if unit is None or not principal.scope.covers_unit(unit):
        raise IocError("org_unit_not_found", status=404, details={"code": org}, unit=org)
    inds = _indicators(db, principal, period)
    codes = [i.code for i in inds]
    now = _current(db, org, period.code, codes)
    before = _current(db, org, period.previous().code, codes)
    last_year = _current(db, org, period.same_period_last_year().code, codes)
    rows: list[dict[str, Any]] = []
    for ind in inds:
        cur = now.get(ind.code)
        rows.append(
            {
                "ind": ind,
                "current": cur,
                "typed": (typed or {}).get(
                    ind.code, "" if cur is None else editable_number(cur.value, lang)
                ),
                "previous": before[ind.code].value if ind.code in before else None,
                "last_year": last_year[ind.code].value if ind.code in last_year else None,
                "error": (errors or {}).get(ind.code, ""),
                "warning": (warnings or {}).get(ind.code, ""),
            }
        )
    return render(
        request,
        "indicators/entry.html",
        {
            "rows": rows,
            "unit": unit,
            "period": period.code,
            "period_label": periods.label(period, str(request.state.lang)),
            "flash": flash,
        },
        status,
    )


def typed_number(text: str, lang: str) -> float | str:
    """A number as typed in the page's language: ``1.234,5`` in Vietnamese, ``1,234.5`` in
    English; anything else is returned as typed, for the checks to name the row."""
    raw = text.replace(" ", "").replace("\u00a0", "")
    raw = raw.replace(".", "").replace(",", ".") if lang == "vi" else raw.replace(",", "")
    try:
        return float(raw)
    except ValueError:
        return text


def _default_org(principal: Principal) -> str:
    return (
        principal.scope.org_code
        if principal.scope.level == "commune"
        else principal.scope.province_code
    )


@router.get("/indicators/entry", response_class=HTMLResponse)
def entry_page(
    request: Request,
    principal: Enterer,
    db: DbSession,
    org: str | None = None,
    period: str | None = None,
) -> Response:
    """The entry grid: last month by default, for the caller's own unit."""
    today = to_local(utcnow()).date()
    chosen = period or periods.for_date(today, "monthly").previous().code
    return _grid(request, principal, db, org or _default_org(principal), chosen)


@router.post("/indicators/entry")
async def entry_submit(request: Request, principal: Enterer, db: DbSession) -> Response:
    """Save the grid: every filled row, as draft or submitted, all or nothing."""
    form = await request.form()
    org = str(form.get("org", ""))
    period = str(form.get("period", ""))
    status = "draft" if form.get("action") == "draft" else "submitted"
    typed = {
        key[2:]: str(value).strip()
        for key, value in form.items()
        if key.startswith("v:") and str(value).strip()
    }
    items = []
    lang = str(request.state.lang)
    for code, text in typed.items():
        number: Any = typed_number(text, lang)
        item: dict[str, Any] = {
            "indicator": code,
            "org_unit": org,
            "period": period,
            "value": number,
            "status": status,
        }
        comment = str(form.get(f"c:{code}", "")).strip()
        if comment:
            item["comment"] = comment
        items.append(item)
    try:
        report = values.post_values(db, principal, items, source="entry", lang=lang)
    except IocError as exc:
        db.rollback()
        row_errors = (exc.details or {}).get("errors", []) if isinstance(exc.details, dict) else []
        errors = {
            items[e["index"]]["indicator"]: e.get("message") or e.get("error", "")
            for e in row_errors
            if isinstance(e.get("index"), int) and 0 <= e["index"] < len(items)
        }
        if not errors:
            errors = {"": t(exc.message_key, lang, **exc.params)}
        return _grid(request, principal, db, org, period, typed=typed, errors=errors, status=422)
    flash = t(
        "entry.saved",
        lang,
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
    )
    warned = {str(w["indicator"]): str(w["message"]) for w in report.warnings}
    return _grid(request, principal, db, org, period, flash=flash, warnings=warned)


@router.get("/indicators/approvals", response_class=HTMLResponse)
def approvals_page(
    request: Request, principal: Approver, db: DbSession, done: int = -1
) -> Response:
    """Submitted values this caller may approve (the owner agency's, or all for the IOC)."""
    pending = values.list_values(db, principal.scope, status="submitted", limit=2000)
    if principal.role == "agency_officer":
        owned = set(
            db.execute(
                select(Indicator.code).where(Indicator.owner == principal.scope.org_code)
            ).scalars()
        )
        pending = [v for v in pending if v.indicator_code in owned]
    names = dict(db.execute(select(OrgUnit.code, OrgUnit.name)).all())
    return render(
        request,
        "indicators/approvals.html",
        {"pending": pending, "names": names, "done": done},
    )


@router.post("/indicators/approvals")
async def approvals_submit(request: Request, principal: Approver, db: DbSession) -> Response:
    """Approve the ticked values."""
    form = await request.form()
    ids = [int(v) for v in form.getlist("id") if isinstance(v, str) and v.isdigit()]
    report = values_workflow.approve(db, principal, ids, lang=str(request.state.lang))
    return RedirectResponse(f"/indicators/approvals?done={report.changed}", status_code=303)
