"""Staff pages of citizen feedback: the IOC's triage inbox and each unit's inbox
(``/feedback``), and a case with its timeline and the actions the caller may take
(``/feedback/{code}``).

Actions post ordinary forms (CSRF-checked by the session) to ``/feedback/{code}/{action}``
and come back to the case page with a message; a refused action shows its error there and
changes nothing. The reporter's details appear only after an audited reveal with a reason.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from iocvn.auth.deps import Principal, require
from iocvn.config import get_settings
from iocvn.core.errors import Forbidden, Invalid, IocError
from iocvn.core.http import DbSession
from iocvn.core.i18n import register, t
from iocvn.core.templating import render
from iocvn.core.timeutil import utcnow
from iocvn.feedback import cases, catalogue, clock, duplicates, extensions, suggest, workflow
from iocvn.feedback.intake import MAX_TEXT, Photo
from iocvn.feedback.models import OPEN_STATUSES, Feedback, FeedbackCategory
from iocvn.org.geo import home_province
from iocvn.org.models import OrgUnit

router = APIRouter()
Reader = Annotated[Principal, Depends(require("feedback.read"))]
PAGE = 50
VIEWS = ("new", "unclassified", "duplicates", "extensions", "overdue", "due_soon", "open", "all")
DUPLICATE_SCAN = 200  # the newest new cases looked at for the duplicates view
DUE_SOON_SCAN = 1000  # the open cases with the nearest deadlines looked at for "due soon"
MAX_UPLOAD = 8 * 1024 * 1024 + 1

register(
    {
        "nav.feedback": ("Phản ánh", "Feedback"),
        "fb.inbox": ("Hộp phản ánh", "Feedback inbox"),
        "fb.view.new": ("Mới tiếp nhận", "New"),
        "fb.view.unclassified": ("Chưa xác nhận lĩnh vực", "Unclassified"),
        "fb.view.duplicates": ("Có thể trùng", "Possible duplicates"),
        "fb.maybe_duplicate": ("Có thể trùng với", "May duplicate"),
        "fb.view.extensions": ("Xin gia hạn", "Extension requests"),
        "fb.view.overdue": ("Quá hạn", "Overdue"),
        "fb.view.due_soon": ("Sắp đến hạn", "Due soon"),
        "fb.view.open": ("Đang xử lý", "Open"),
        "fb.view.all": ("Tất cả", "All"),
        "fb.code": ("Mã", "Code"),
        "fb.received": ("Tiếp nhận", "Received"),
        "fb.category": ("Lĩnh vực", "Category"),
        "fb.suggested": ("Gợi ý", "Suggested"),
        "fb.area": ("Xã, phường", "Commune"),
        "fb.area_none": ("Chưa xác định", "Not known"),
        "fb.transfer.route": ("từ {source} → {target}", "from {source} → {target}"),
        "fb.transfer.to": ("đến {target}", "to {target}"),
        "fb.unit": ("Đơn vị xử lý", "Handling unit"),
        "fb.status": ("Trạng thái", "Status"),
        "fb.deadline": ("Hạn", "Deadline"),
        "fb.none": ("Không có phản ánh nào.", "No cases."),
        "fb.total": ("{n} phản ánh", "{n} cases"),
        "fb.description": ("Nội dung", "Description"),
        "fb.address": ("Địa chỉ", "Address"),
        "fb.channel": ("Kênh", "Channel"),
        "fb.priority": ("Mức ưu tiên", "Priority"),
        "fb.priority.urgent": ("Khẩn", "Urgent"),
        "fb.priority.normal": ("Thông thường", "Normal"),
        "fb.priority.complex": ("Phức tạp", "Complex"),
        "fb.reporter": ("Người phản ánh", "Reporter"),
        "fb.anonymous": ("Ẩn danh — không lưu thông tin liên hệ", "Anonymous — no contact kept"),
        "fb.timeline": ("Diễn biến", "Timeline"),
        "fb.photos": ("Ảnh", "Photos"),
        "fb.photo.report": ("Ảnh người dân gửi", "Photo sent by the reporter"),
        "fb.photo.resolution": ("Ảnh kết quả xử lý", "Photo of the result"),
        "fb.revealed.name": ("Họ tên", "Name"),
        "fb.revealed.phone": ("Điện thoại", "Phone"),
        "fb.revealed.email": ("Thư điện tử", "E-mail"),
        "fb.revealed.id_number": ("Số định danh", "ID number"),
        "fb.actor.citizen": ("Người phản ánh", "The reporter"),
        "fb.actor.system": ("Hệ thống", "System"),
        "fb.sla.on_time": ("Trong hạn", "On time"),
        "fb.sla.due_soon": ("Sắp đến hạn", "Due soon"),
        "fb.sla.overdue": ("Quá hạn", "Overdue"),
        "fb.escalation": ("Cấp theo dõi", "Escalation"),
        "fb.escalation.unit": ("Đơn vị", "Unit"),
        "fb.escalation.ioc": ("IOC", "IOC"),
        "fb.escalation.leadership": ("Lãnh đạo tỉnh", "Province leaders"),
        "fb.outcome": ("Kết quả", "Outcome"),
        "fb.outcome.fixed": ("Đã xử lý (đơn vị báo)", "Fixed (unit says)"),
        "fb.outcome.fixed_confirmed": (
            "Đã xử lý, người dân xác nhận",
            "Fixed, confirmed by the reporter",
        ),
        "fb.outcome.rejected": ("Từ chối", "Rejected"),
        "fb.outcome.transferred": ("Chuyển cơ quan khác", "Transferred"),
        "fb.outcome.not_our_remit": ("Không thuộc thẩm quyền", "Not our remit"),
        "fb.outcome.duplicate": ("Trùng, đã gộp", "Duplicate, merged"),
        "fb.action.accept": ("Xác nhận và chuyển xử lý", "Accept and assign"),
        "fb.action.reject": ("Từ chối", "Reject"),
        "fb.action.not_our_remit": ("Không thuộc thẩm quyền", "Not our remit"),
        "fb.action.transfer": ("Chuyển đơn vị", "Transfer"),
        "fb.action.start": ("Bắt đầu xử lý", "Start work"),
        "fb.action.extend": ("Gia hạn", "Extend"),
        "fb.action.resolve": ("Báo cáo kết quả", "Report the result"),
        "fb.action.close": ("Đóng phản ánh", "Close"),
        "fb.action.merge": ("Gộp vào phản ánh này", "Merge into this"),
        "fb.action.comment": ("Ghi chú", "Note"),
        "fb.action.reveal": ("Xem thông tin người phản ánh", "See the reporter's details"),
        "fb.reason": ("Lý do", "Reason"),
        "fb.remit_body": ("Cơ quan có thẩm quyền", "Responsible body"),
        "fb.outside_body": ("Hoặc cơ quan ngoài hệ thống", "Or a body outside the system"),
        "fb.working_days": ("Số ngày làm việc", "Working days"),
        "fb.answer": ("Trả lời công khai cho người dân", "Public answer to the citizen"),
        "fb.public_note": ("Công khai cho người dân", "Shown to the citizen"),
        "fb.duplicates": ("Có thể trùng", "Possible duplicates"),
        "fb.distance": ("{m} m", "{m} m"),
        "fb.done": ("Đã cập nhật phản ánh.", "Case updated."),
        "fb.reveal_note": (
            "Việc xem được ghi nhật ký kèm lý do. Đơn vị xử lý và công chúng không thấy "
            "thông tin này.",
            "Viewing is logged with the reason. The handling unit and the public never see it.",
        ),
        "fb.repeat_case": ("Mở lại {n} lần", "Reopened {n} times"),
        "fb.rating": ("Hài lòng", "Satisfaction"),
        "fb.event.received": ("Tiếp nhận", "Received"),
        "fb.event.classified": ("Xác nhận lĩnh vực", "Category confirmed"),
        "fb.event.accepted": ("Xác nhận, chuyển xử lý", "Accepted"),
        "fb.event.rejected": ("Từ chối", "Rejected"),
        "fb.event.transferred": ("Chuyển đơn vị", "Transferred"),
        "fb.event.in_progress": ("Đang xử lý", "Work started"),
        "fb.event.extended": ("Gia hạn", "Extended"),
        "fb.event.resolved": ("Đã xử lý", "Resolved"),
        "fb.event.confirmed": ("Người dân xác nhận", "Confirmed by the reporter"),
        "fb.event.reopened": ("Mở lại", "Reopened"),
        "fb.event.closed": ("Đóng", "Closed"),
        "fb.event.merged": ("Gộp vào phản ánh khác", "Merged"),
        "fb.event.duplicate_added": ("Nhận phản ánh trùng", "Duplicate added"),
        "fb.event.comment": ("Ghi chú", "Note"),
        "fb.event.revealed": ("Xem thông tin người phản ánh", "Reporter's details viewed"),
        "fb.event.escalated": ("Nâng cấp theo dõi", "Escalated"),
        "fb.event.extension_requested": ("Đơn vị đề nghị gia hạn", "Extension requested"),
        "fb.event.extension_approved": ("IOC duyệt gia hạn", "Extension request approved"),
        "fb.event.extension_refused": ("IOC không duyệt gia hạn", "Extension request refused"),
        "fb.event.extension_lapsed": (
            "Đề nghị gia hạn không còn hiệu lực",
            "Extension request lapsed",
        ),
        "fb.ext.request": ("Đề nghị gia hạn", "Request an extension"),
        "fb.ext.pending": ("Đề nghị gia hạn chờ IOC duyệt", "Extension request awaiting the IOC"),
        "fb.ext.asked": ("{n} ngày làm việc", "{n} working day(s)"),
        "fb.ext.by": ("{user} ({unit}) · {at}", "{user} ({unit}) · {at}"),
        "fb.ext.approve": ("Duyệt gia hạn", "Approve"),
        "fb.ext.refuse": ("Không duyệt", "Refuse"),
        "fb.ext.approve_days": ("Số ngày duyệt (tối đa {n})", "Days approved (at most {n})"),
        "fb.ext.public_note": (
            "Lý do công khai cho người dân (để trống: lý do của đơn vị)",
            "Reason shown to the citizen (blank: the unit's reason)",
        ),
        "fb.ext.request_note": (
            "Gửi Trung tâm IOC trước khi hết hạn. Nếu được duyệt, lý do được hiển thị cho "
            "người phản ánh (trừ khi IOC ghi lý do khác).",
            "Sent to the IOC before the deadline. If approved, the reason is shown to the "
            "reporter (unless the IOC writes another).",
        ),
        "fb.ext.waiting_unit": (
            "Đơn vị đã gửi đề nghị gia hạn; đang chờ Trung tâm IOC quyết định.",
            "Your unit's request is waiting for the IOC's decision.",
        ),
        "fb.ext.column": ("Xin gia hạn", "Extension asked"),
        "fb.internal": ("nội bộ", "internal"),
        "fb.map": ("Bản đồ phản ánh", "Map of cases"),
        "fb.map.note": (
            "Phản ánh có vị trí trong {days} ngày qua, trong phạm vi của bạn; lớp mật độ đếm "
            "số phản ánh trên mỗi ô khoảng 1 km.",
            "Cases with a place in the last {days} days, within your reach; the density layer "
            "counts cases per cell of about 1 km.",
        ),
        "fb.map.markers": ("Phản ánh", "Cases"),
        "fb.map.heat": ("Mật độ", "Density"),
        "error.unknown_action": ("Không có thao tác {action}.", "No such action {action}."),
    }
)


def _names(db: Session, codes: set[str | None]) -> dict[str, str]:
    wanted = sorted(c for c in codes if c)
    if not wanted:
        return {}
    rows = db.execute(select(OrgUnit.code, OrgUnit.name).where(OrgUnit.code.in_(wanted)))
    return {str(row[0]): str(row[1]) for row in rows}


def _category_names(db: Session, request: Request) -> dict[str, str]:
    """Each category's name in the page's language (English when it has one)."""
    english = getattr(request.state, "lang", "vi") == "en"
    rows = db.execute(
        select(FeedbackCategory.code, FeedbackCategory.name_vi, FeedbackCategory.name_en)
    )
    return {str(code): str(en if english and en else vi) for code, vi, en in rows}


def _filters(view: str) -> cases.Filters:
    now = utcnow()
    if view == "new":
        return cases.Filters(status="received")
    if view == "overdue":
        return cases.Filters(overdue_at=now)
    if view in ("open", "unclassified", "due_soon"):
        return cases.Filters(status="open")
    if view == "duplicates":
        return cases.Filters(status="received")
    return cases.Filters()


@router.get("/feedback", response_class=HTMLResponse)
def inbox(
    request: Request,
    principal: Reader,
    db: DbSession,
    view: Annotated[str | None, Query(max_length=20)] = None,
    category: Annotated[str | None, Query(max_length=64)] = None,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
) -> Response:
    """The inbox: the IOC starts with new cases, a unit with its open ones."""
    chosen = view if view in VIEWS else ("new" if principal.scope.is_province else "open")
    filters = _filters(chosen)
    filters.category = category or None
    stmt = cases.case_query(filters, principal.scope)
    now = utcnow()
    twins: dict[str, duplicates.Candidate] = {}
    if chosen == "unclassified":
        stmt = stmt.where(Feedback.category_confirmed.is_(False))
    if chosen == "extensions":
        stmt = stmt.where(Feedback.id.in_(extensions.pending_case_ids()))
    if chosen in ("overdue", "due_soon", "extensions"):
        stmt = stmt.order_by(None).order_by(Feedback.deadline_at, Feedback.id)
    if chosen == "due_soon":
        rows = due_soon(db, stmt.where(Feedback.deadline_at >= now), now)
    elif chosen == "duplicates":
        pairs = with_duplicates(db, stmt.where(Feedback.duplicate_of.is_(None)))
        rows = [case for case, _ in pairs]
        twins = {case.id: best for case, best in pairs}
    else:
        rows = list(db.execute(stmt.limit(PAGE + 1).offset((page - 1) * PAGE)).scalars())
    if chosen in ("due_soon", "duplicates"):
        rows = rows[(page - 1) * PAGE:page * PAGE + 1]  # fmt: skip
    more = len(rows) > PAGE
    rows = rows[:PAGE]
    return render(request, "feedback/inbox.html", {
        "rows": rows, "view": chosen, "views": VIEWS, "page": page, "more": more,
        "units": _names(db, {r.org_code for r in rows} | {r.area_code for r in rows}),
        "categories": _category_names(db, request), "now": now, "category": category or "",
        "sla": _sla_status(db, rows, now), "twins": twins,
        "asked": extensions.pending_by_case(db, [r.id for r in rows])
        if chosen == "extensions" else {},
    })  # fmt: skip


def _sla_status(db: Session, rows: list[Feedback], now: datetime) -> dict[str, str]:
    """Each shown case's clock (on_time, due_soon, overdue) by the SLA rule, not a guess."""
    timed = [r for r in rows if r.deadline_at is not None]
    paused = clock.pauses_by_case(db, [r.id for r in timed])
    return {r.id: clock.state(db, r, now, known_pauses=paused.get(r.id, [])).status
            for r in timed}  # fmt: skip


def due_soon(db: Session, stmt: Any, now: datetime) -> list[Feedback]:
    """Open cases in their stage's last stretch (``sla.due_soon_share`` of its working time),
    nearest deadline first: the stage lengths differ, so no fixed number of days says it."""
    near = list(db.execute(stmt.limit(DUE_SOON_SCAN)).scalars())
    status = _sla_status(db, near, now)
    return [r for r in near if status.get(r.id) == "due_soon"]


def with_duplicates(db: Session, stmt: Any) -> list[tuple[Feedback, duplicates.Candidate]]:
    """New cases (newest first, the ``DUPLICATE_SCAN`` newest) with an open case that may be
    the same problem, each with the best suggestion."""
    new = list(db.execute(stmt.limit(DUPLICATE_SCAN)).scalars())
    best = duplicates.best_for(db, new)
    return [(case, best[case.id]) for case in new if case.id in best]


def _case_page(
    request: Request, principal: Principal, db: Session, case: Feedback, *,
    flash: str = "", error: str = "", revealed: dict[str, str | None] | None = None,
    status: int = 200,
) -> Response:  # fmt: skip
    keys = get_settings().data_keys
    sla = clock.state(db, case, utcnow()) if case.deadline_at is not None else None
    triage = case.status in OPEN_STATUSES and principal.can("feedback.triage")
    dups = duplicates.candidates(db, case) if triage else []
    events = cases.timeline(db, case, public_only=False)
    codes = {case.org_code, case.area_code} | {e.org_code for e in events}
    for e in events:  # the units a transfer or a triage names
        codes |= {(e.data or {}).get(k) for k in ("from_org", "to_org", "area", "area_from")}
    units = db.execute(
        select(OrgUnit.code, OrgUnit.name, OrgUnit.level, OrgUnit.province_code)
        .where(OrgUnit.valid_to.is_(None), OrgUnit.level.in_(("commune", "agency", "province")))
        .order_by(OrgUnit.level, OrgUnit.name)
    ).all()
    asked = extensions.pending(db, case)
    if asked is not None:
        codes.add(asked.org_code)
    home = home_province(db)  # the accept form offers the province's current communes
    communes = [u for u in units if u.level == "commune" and u.province_code == home]
    return render(request, "feedback/case.html", {
        "case": case, "sla": sla, "events": events, "dups": dups, "flash": flash,
        "error": error, "revealed": revealed,
        "reporter": cases.masked_contacts(case, keys),
        "photos": cases.photo_ids(db, case),
        "names": _names(db, codes), "categories": catalogue.list_categories(db),
        "category_names": _category_names(db, request), "units": units, "communes": communes,
        "suggestions": suggest.suggestions(db, case.description)
        if case.status == "received" else [],
        "can": {p: principal.can(f"feedback.{p}") for p in ("triage", "handle", "reveal")},
        "own": principal.scope.is_province or case.org_code == principal.scope.org_code,
        "open": case.status in OPEN_STATUSES, "max_text": MAX_TEXT,
        "asked": asked, "ioc": principal.scope.is_province and principal.can("feedback.triage"),
        "requestable": case.status in extensions.REQUESTABLE and not principal.scope.is_province,
    }, status)  # fmt: skip


MAP_DAYS = 90
MAP_MAX = 5000
CELL_DEG = 0.01  # about 1,1 km: the heat map's grid


@router.get("/feedback/ban-do", response_class=HTMLResponse)
def staff_map(request: Request, principal: Reader, db: DbSession) -> Response:
    """The cases the caller handles on a map: clustered markers and a heat grid."""
    return render(request, "feedback/staff_map.html", {
        "tile_url": get_settings().tile_url, "days": MAP_DAYS,
    })  # fmt: skip


@router.get("/feedback/ban-do.geojson")
def staff_map_data(
    request: Request, principal: Reader, db: DbSession,
    status: Annotated[str, Query(pattern="^(open|all)$")] = "open",
) -> JSONResponse:  # fmt: skip
    """GeoJSON of the caller's cases of the last 90 days (``status=open`` by default), each
    with its code, status and category, and ``heat``: counts per ~1 km cell."""
    filters = cases.Filters(status="open" if status == "open" else None,
                            since=utcnow() - timedelta(days=MAP_DAYS))  # fmt: skip
    stmt = cases.case_query(filters, principal.scope).where(Feedback.lat.is_not(None))
    names = _category_names(db, request)
    features: list[dict[str, Any]] = []
    cells: dict[tuple[int, int], int] = {}
    for c in db.execute(stmt.limit(MAP_MAX)).scalars():
        features.append({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [c.lon, c.lat]},
            "properties": {"code": c.code, "status": t(f"fb.status.{c.status}"),
                           "open": c.status in OPEN_STATUSES,
                           "category": names.get(c.category_code or c.suggested_category or "", ""),
                           "url": f"/feedback/{c.code}"},
        })  # fmt: skip
        key = (int((c.lat or 0) // CELL_DEG), int((c.lon or 0) // CELL_DEG))
        cells[key] = cells.get(key, 0) + 1
    heat = [
        {"south": i * CELL_DEG, "west": j * CELL_DEG, "north": (i + 1) * CELL_DEG,
         "east": (j + 1) * CELL_DEG, "count": n}
        for (i, j), n in sorted(cells.items())
    ]  # fmt: skip
    return JSONResponse(
        {"type": "FeatureCollection", "features": features, "heat": heat,
         "truncated": len(features) >= MAP_MAX},
        media_type="application/geo+json",
    )  # fmt: skip


@router.get("/feedback/{code}", response_class=HTMLResponse)
def case_page(
    code: str, request: Request, principal: Reader, db: DbSession,
    done: Annotated[int, Query(ge=0, le=1)] = 0,
) -> Response:  # fmt: skip
    """One case: details, SLA, timeline, and the actions the caller may take."""
    case = cases.get_case(db, code, principal.scope)
    return _case_page(request, principal, db, case, flash=t("fb.done") if done else "")


def _text(form: Any, name: str, limit: int = 4000) -> str:
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


@router.post("/feedback/{code}/{action}", response_class=HTMLResponse)
async def act(
    code: str, action: str, request: Request, principal: Reader, db: DbSession
) -> Response:  # fmt: skip
    """One action from the case page; errors come back on the page, nothing half-done."""
    form = await request.form()
    case = cases.get_case(db, code, principal.scope)
    settings, actor, scope = get_settings(), principal.actor(), principal.scope
    revealed = None
    try:
        if action in ("accept", "reject", "extend", "merge", "close", "extension-approve",
                      "extension-refuse"):  # fmt: skip
            _need(principal, "feedback.triage")
        elif action in ("transfer", "start", "resolve", "comment", "extension-request"):
            _need(principal, "feedback.handle")
        elif action == "reveal":
            _need(principal, "feedback.reveal")
        if action == "accept":
            workflow.accept(db, settings, actor, case,
                            category=_text(form, "category", 64) or None,
                            org_code=_text(form, "org_unit", 32) or None,
                            priority=_text(form, "priority", 10) or None,
                            area=_text(form, "area", 32) or None,
                            note=_text(form, "note"))  # fmt: skip
        elif action == "reject":
            workflow.reject(db, settings, actor, case, reason=_text(form, "reason"),
                            not_our_remit=bool(form.get("not_our_remit")),
                            remit_body=_text(form, "remit_body", 300))  # fmt: skip
        elif action == "transfer":
            workflow.transfer(db, settings, actor, scope, case,
                              org_code=_text(form, "org_unit", 32) or None,
                              outside_body=_text(form, "outside_body", 300),
                              reason=_text(form, "reason"))  # fmt: skip
        elif action == "start":
            workflow.start_work(db, actor, scope, case, note=_text(form, "note"))
        elif action == "extend":
            days = _text(form, "working_days", 3)
            workflow.extend(db, actor, case, working_days=int(days) if days.isdigit() else 0,
                            reason=_text(form, "reason"))  # fmt: skip
        elif action == "extension-request":
            extensions.request(db, actor, scope, case, working_days=_days(form) or 0,
                               reason=_text(form, "reason"))  # fmt: skip
        elif action == "extension-approve":
            extensions.approve(db, actor, scope, case, working_days=_days(form),
                               note=_text(form, "note"))  # fmt: skip
        elif action == "extension-refuse":
            extensions.refuse(db, actor, scope, case, reason=_text(form, "reason"))
        elif action == "resolve":
            files = [f for f in form.getlist("photos") if isinstance(f, UploadFile) and f.filename]
            shots = [Photo(await f.read(MAX_UPLOAD), f.filename or "") for f in files]
            workflow.resolve(db, settings, actor, scope, case, answer=_text(form, "answer"),
                             shots=shots)  # fmt: skip
        elif action == "close":
            workflow.close(db, actor, case, note=_text(form, "note"), settings=settings)
        elif action == "merge":
            main = cases.get_case(db, _text(form, "into", 40), scope)
            workflow.merge(db, settings, actor, case, main)
        elif action == "comment":
            workflow.comment(db, actor, scope, case, text=_text(form, "text"),
                             public=bool(form.get("public")))  # fmt: skip
        elif action == "reveal":
            revealed = cases.reveal(db, actor, scope, case, _text(form, "reason", 500),
                                    settings.data_keys)  # fmt: skip
        else:
            raise Invalid("unknown_action", details={"action": action[:20]}, action=action[:20])
    except IocError as exc:
        db.rollback()
        case = cases.get_case(db, code, principal.scope)
        lang = str(getattr(request.state, "lang", "vi"))
        message = t(exc.message_key, lang, **exc.params)
        return _case_page(request, principal, db, case, error=message, status=exc.status)
    if revealed is not None:
        return _case_page(request, principal, db, case, revealed=revealed)
    return RedirectResponse(f"/feedback/{case.code}?done=1", status_code=303)


def _days(form: Any) -> int | None:
    """The form's ``working_days``: blank is ``None``, anything but digits 0 (refused)."""
    days = _text(form, "working_days", 3).strip()
    return None if not days else int(days) if days.isdigit() else 0


def _need(principal: Principal, permission: str) -> None:
    if not principal.can(permission):
        raise Forbidden(details={"permission": permission})
