"""The statistics page of citizen feedback (``/feedback/stats``): a date range and grouping
form, one row per unit, category or commune with the total, the definition of every rate
under the table, and the same figures as a CSV file (``/api/v1/feedback/stats?format=csv``).

Mounted before any ``/feedback/{code}`` page. The numbers come from :mod:`.stats`; this
module only reads the form and renders. The range is typed as dd/mm/yyyy (the product's date
format, whatever the browser's locale); ISO days from links and bookmarks are accepted too. A
range that cannot be shown gives the form again, as typed, with the reason beside it (422).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from iocvn.auth.deps import Principal, require
from iocvn.core.errors import Invalid
from iocvn.core.http import DbSession
from iocvn.core.i18n import register, t
from iocvn.core.templating import render
from iocvn.core.timeutil import format_date, parse_day
from iocvn.feedback import stats
from iocvn.feedback.api_stats import default_range

router = APIRouter()
StatsReader = Annotated[Principal, Depends(require("feedback.stats"))]

register(
    {
        "nav.feedback_stats": ("Thống kê phản ánh", "Feedback statistics"),
        "fbstats.title": ("Thống kê phản ánh, kiến nghị", "Feedback statistics"),
        "fbstats.from": ("Từ ngày", "From"),
        "fbstats.to": ("Đến trước ngày (không tính ngày này)", "Until (not including)"),
        "fbstats.group": ("Thống kê theo", "Group by"),
        "fbstats.group.unit": ("Đơn vị xử lý", "Handling unit"),
        "fbstats.group.category": ("Lĩnh vực", "Category"),
        "fbstats.group.commune": ("Xã, phường", "Commune"),
        "fbstats.show": ("Xem", "Show"),
        "fbstats.date_hint": ("Ngày theo dạng dd/mm/yyyy", "A date as dd/mm/yyyy"),
        "fbstats.bad_from": (
            "Ngày bắt đầu “{day}” không hợp lệ: nhập một ngày có thật theo dạng dd/mm/yyyy, "
            "ví dụ 01/12/2026.",
            "The start date “{day}” is not valid: type a real date as dd/mm/yyyy, e.g. 01/12/2026.",
        ),
        "fbstats.bad_to": (
            "Ngày kết thúc “{day}” không hợp lệ: nhập một ngày có thật theo dạng dd/mm/yyyy, "
            "ví dụ 01/12/2026.",
            "The end date “{day}” is not valid: type a real date as dd/mm/yyyy, e.g. 01/12/2026.",
        ),
        "fbstats.csv": ("Tải về CSV (Excel)", "Download CSV (Excel)"),
        "fbstats.range": (
            "Phản ánh tiếp nhận từ 00:00 ngày {start} đến trước 00:00 ngày {end} (giờ Việt "
            "Nam); số đang quá hạn tính đến {now}.",
            "Cases received from 00:00 on {start} until before 00:00 on {end} (Vietnam "
            "time); overdue counted as of {now}.",
        ),
        "fbstats.scope": (
            "Chỉ gồm các phản ánh trong phạm vi của đơn vị bạn.",
            "Only the cases within your unit's reach.",
        ),
        "fbstats.empty": ("Không có phản ánh nào trong khoảng này.", "No cases in this range."),
        "fbstats.definitions": ("Cách tính", "Definitions"),
        "fbstats.def.received": (
            "Tiếp nhận: số phản ánh có thời điểm tiếp nhận trong khoảng đã chọn; mọi số khác "
            "đều đếm trong các phản ánh này.",
            "Received: cases whose reception time is in the chosen range; every other figure "
            "counts among these cases.",
        ),
        "fbstats.def.resolved": (
            "Đã xử lý: đơn vị đã báo kết quả (kết quả “đã xử lý” hoặc “người dân xác nhận”). "
            "Phản ánh bị từ chối, không thuộc thẩm quyền, chuyển cơ quan ngoài hoặc gộp trùng "
            "đã đóng nhưng không tính là đã xử lý; phản ánh bị người dân mở lại chỉ tính khi "
            "được xử lý lại.",
            "Resolved: the unit reported a result (outcome “fixed” or “confirmed fixed”). "
            "Rejected, not-our-remit, transferred-out and merged cases are closed but not "
            "resolved; a case the reporter reopened counts once it is resolved again.",
        ),
        "fbstats.def.on_time_pct": (
            "Tỷ lệ đúng hạn = số xử lý đúng hạn ÷ số đã xử lý × 100.",
            "On time (%) = resolved on time ÷ resolved × 100.",
        ),
        "fbstats.def.late": (
            "Trễ hạn (tổng) = số xử lý trễ hạn + số đang xử lý đã quá hạn tại thời điểm xem.",
            "Late (total) = resolved late + open cases past their deadline now.",
        ),
        "fbstats.def.reopen_rate": (
            "Tỷ lệ mở lại = số phản ánh bị người dân mở lại ít nhất một lần ÷ số phản ánh đã "
            "từng được xử lý (đang ở trạng thái đã xử lý, hoặc đã bị mở lại) × 100.",
            "Reopen rate = cases the reporter reopened at least once ÷ cases resolved at "
            "least once (resolved now, or reopened) × 100.",
        ),
        "fbstats.def.verified_fix_rate": (
            "Tỷ lệ được xác nhận = số phản ánh người dân xác nhận đã khắc phục ÷ số phản ánh "
            "đơn vị báo đã khắc phục × 100. “Đã đóng” không có nghĩa là “đã khắc phục”.",
            "Verified-fix rate = cases the reporter confirmed fixed ÷ cases the unit reported "
            "fixed × 100. “Closed” does not mean “fixed”.",
        ),
        "fbstats.def.satisfaction": (
            "Mức hài lòng: trung bình các lượt đánh giá từ 1 đến 5 của người phản ánh; bên "
            "cạnh là số lượt đánh giá.",
            "Satisfaction: the mean of the reporters' 1–5 ratings, beside how many rated.",
        ),
        "fbstats.def.none": (
            "Tỷ lệ để trống khi mẫu số bằng 0.",
            "A rate is left blank when its denominator is 0.",
        ),
    }
)

DEFINITIONS = (
    "received",
    "resolved",
    "on_time_pct",
    "late",
    "reopen_rate",
    "verified_fix_rate",
    "satisfaction",
    "none",
)


@dataclass(frozen=True)
class RangeForm:
    """The range fields as they are shown again, and what is wrong with them ('' if nothing)."""

    start_text: str
    end_text: str
    error: str = ""
    invalid: tuple[str, ...] = ()  # the fields to mark: "from", "to"


def read_range(
    from_: str | None, to: str | None, lang: str
) -> tuple[tuple[date, date] | None, RangeForm]:
    """The local days [start, end) typed (dd/mm/yyyy or ISO; a missing one takes the default),
    or None with the form as typed and the reason in ``lang``."""
    typed = {"from": (from_ or "").strip(), "to": (to or "").strip()}
    days: dict[str, date] = {}
    errors: list[str] = []
    for name, text in typed.items():
        if not text:
            continue
        try:
            days[name] = parse_day(text)
        except ValueError:
            errors.append(t(f"fbstats.bad_{name}", lang, day=text[:20]))
    start, end = default_range(days.get("from"), days.get("to"))
    shown = {"from": typed["from"] or format_date(start), "to": typed["to"] or format_date(end)}
    invalid = tuple(name for name in typed if typed[name] and name not in days)
    if not errors:
        try:
            stats.window(start, end)  # the one rule on ranges: start before end, not too long
        except Invalid as refused:
            errors.append(t(refused.message_key, lang, **refused.params))
            invalid = ("from", "to")
    if errors:
        return None, RangeForm(shown["from"], shown["to"], " ".join(errors), invalid)
    return (start, end), RangeForm(format_date(start), format_date(end))


@router.get("/feedback/stats", response_class=HTMLResponse)
def stats_page(
    request: Request,
    principal: StatsReader,
    db: DbSession,
    group: Annotated[str, Query(max_length=20)] = "unit",
    from_: Annotated[str | None, Query(alias="from", max_length=100)] = None,
    to: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """The statistics table for a range and a grouping, with the definitions under it."""
    chosen = group if group in stats.GROUPS else "unit"
    lang = str(getattr(request.state, "lang", "vi"))
    span, form = read_range(from_, to, lang)
    context = {
        "form": form,
        "group": chosen,
        "groups": stats.GROUPS,
        "definitions": DEFINITIONS,
        "result": None,
    }
    if span is None:
        return render(request, "feedback/stats.html", context, status=422)
    start, end = span
    result = stats.statistics(db, chosen, start, end, principal.scope, lang=lang)
    query = {"group": chosen, "from": start.isoformat(), "to": end.isoformat()}
    return render(
        request,
        "feedback/stats.html",
        context
        | {
            "result": result,
            "start_shown": format_date(start),
            "end_shown": format_date(end),
            "csv_url": "/api/v1/feedback/stats?" + urlencode(query | {"format": "csv"}),
            "scoped": not principal.scope.is_province,
        },
    )
