"""Web pages of the indicator catalogue: browse and search, one definition with its history,
and the edit form for data stewards."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from iocvn.auth.deps import CurrentPrincipal, Principal, require
from iocvn.core import periods
from iocvn.core.errors import IocError
from iocvn.core.http import DbSession
from iocvn.core.i18n import register, t
from iocvn.core.templating import render
from iocvn.core.timeutil import to_local, utcnow
from iocvn.indicators import catalogue, completeness
from iocvn.indicators.models import (
    DIRECTIONS,
    FREQUENCIES,
    GROUPS,
    MISSING,
    SPACE_AGGS,
    TIME_AGGS,
    VALUE_TYPES,
)
from iocvn.indicators.schemas import IndicatorIn

router = APIRouter()
Writer = Annotated[Principal, Depends(require("indicator.write"))]

register(
    {
        "ind.catalogue": ("Danh mục chỉ số", "Indicator catalogue"),
        "ind.group": ("Nhóm", "Group"),
        "ind.sector": ("Lĩnh vực", "Sector"),
        "ind.unit": ("Đơn vị tính", "Unit"),
        "ind.frequency": ("Tần suất", "Frequency"),
        "ind.formula": ("Công thức", "Formula"),
        "ind.owner": ("Đơn vị chủ trì", "Owner"),
        "ind.space_agg": ("Tổng hợp theo địa bàn", "Across units"),
        "ind.time_agg": ("Tổng hợp theo thời gian", "Across periods"),
        "ind.missing": ("Khi thiếu số liệu", "When data is missing"),
        "ind.direction": ("Chiều tốt", "Better when"),
        "ind.value_type": ("Kiểu giá trị", "Value type"),
        "ind.decimals": ("Số chữ số thập phân", "Decimals"),
        "ind.legal_basis": ("Căn cứ", "Legal basis"),
        "ind.description": ("Mô tả", "Description"),
        "ind.versions": ("Lịch sử thay đổi", "Change history"),
        "ind.version": ("Phiên bản", "Version"),
        "ind.changed_by": ("Người thay đổi", "Changed by"),
        "ind.count": ("{n} chỉ số", "{n} indicators"),
        "ind.all": ("Tất cả", "All"),
        "ind.saved": ("Đã lưu phiên bản mới.", "New version saved."),
        "ind.edit": ("Sửa định nghĩa", "Edit definition"),
        "ind.name_vi": ("Tên (tiếng Việt)", "Name (Vietnamese)"),
        "ind.name_en": ("Tên (tiếng Anh)", "Name (English)"),
        "ind.group.government": (
            "Chỉ đạo, điều hành gắn với Chính phủ",
            "Linked with the Government",
        ),
        "ind.group.long_term": ("Kế hoạch dài hạn", "Long-term plan"),
        "ind.group.sector": ("Theo ngành, lĩnh vực", "By sector"),
        "ind.group.thematic": ("Chuyên đề", "Thematic"),
        "ind.freq.daily": ("Hằng ngày", "Daily"),
        "ind.freq.weekly": ("Hằng tuần", "Weekly"),
        "ind.freq.monthly": ("Hằng tháng", "Monthly"),
        "ind.freq.quarterly": ("Hằng quý", "Quarterly"),
        "ind.freq.half_yearly": ("6 tháng", "Half-yearly"),
        "ind.freq.yearly": ("Hằng năm", "Yearly"),
        "ind.agg.sum": ("Cộng", "Sum"),
        "ind.agg.average": ("Bình quân", "Average"),
        "ind.agg.weighted_average": ("Bình quân gia quyền", "Weighted average"),
        "ind.agg.min": ("Nhỏ nhất", "Minimum"),
        "ind.agg.max": ("Lớn nhất", "Maximum"),
        "ind.agg.none": ("Không tổng hợp (số của tỉnh)", "None (the province's own figure)"),
        "ind.agg.last": ("Giá trị cuối kỳ", "Last value in period"),
        "ind.missing.skip": ("Bỏ qua", "Skip"),
        "ind.missing.zero": ("Tính là 0", "Count as zero"),
        "ind.missing.carry_forward": ("Lấy giá trị kỳ trước", "Carry the last value forward"),
        "ind.dir.higher_better": ("Càng cao càng tốt", "Higher is better"),
        "ind.dir.lower_better": ("Càng thấp càng tốt", "Lower is better"),
        "cmp.title": ("Tình hình báo cáo", "Reporting status"),
        "cmp.period": ("Kỳ", "Period"),
        "cmp.ranking": ("Xếp hạng đúng hạn", "On-time ranking"),
        "cmp.unit": ("Đơn vị", "Unit"),
        "cmp.expected": ("Phải báo cáo", "Expected"),
        "cmp.sent": ("Đã gửi", "Sent"),
        "cmp.on_time": ("Đúng hạn", "On time"),
        "cmp.late_list": ("Đơn vị trễ hạn", "Late units"),
        "cmp.deadline": ("Hạn", "Deadline"),
        "cmp.remind": ("Nhắc các đơn vị trễ hạn", "Remind the late units"),
        "cmp.reminded": (
            "Đã ghi nhận nhắc nhở {n} đơn vị; {q} thư điện tử gửi cán bộ các đơn vị đã vào "
            "hàng đợi (theo dõi ở mục Thông báo).",
            "Reminder recorded for {n} units; {q} e-mails to their officials are queued "
            "(follow them under Notifications).",
        ),
        "cmp.none_late": ("Không có đơn vị trễ hạn.", "No unit is late."),
    }
)


@router.get("/indicators", response_class=HTMLResponse)
def catalogue_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    group: str | None = None,
    q: str | None = None,
) -> Response:
    """The catalogue with filters by group and a search box."""
    chosen = group if group in GROUPS else None
    rows = catalogue.list_indicators(db, group=chosen, q=q or None)
    return render(
        request,
        "indicators/catalogue.html",
        {"rows": rows, "groups": GROUPS, "group": chosen or "", "q": q or ""},
    )


@router.get("/indicators/completeness", response_class=HTMLResponse)
def completeness_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    period: str | None = None,
    reminded: int = -1,
    queued: int = 0,
) -> Response:
    """Who has reported the period, who is late, ranked by on-time rate (đôn đốc)."""
    today = to_local(utcnow()).date()
    chosen = period or periods.for_date(today, "monthly").previous().code
    area = [principal.scope.org_code] if principal.scope.level == "commune" else None
    rows = completeness.expectations(db, chosen, area=area, today=today)
    return render(
        request,
        "indicators/completeness.html",
        {
            "period": chosen,
            "period_label": periods.label(periods.parse(chosen), str(request.state.lang)),
            "ranking": completeness.ranking(rows),
            "late": [r for r in rows if r.status == "late"],
            "can_remind": principal.can("data.lock"),
            "reminded": reminded,
            "queued": queued,
        },
    )


@router.post("/indicators/completeness/remind")
def remind_page(
    request: Request,
    principal: Annotated[Principal, Depends(require("data.lock"))],
    db: DbSession,
    period: Annotated[str, Form(max_length=10)],
) -> Response:
    """Send the reminder to every late unit of the period."""
    late = [r for r in completeness.expectations(db, period) if r.status == "late"]
    queued = completeness.remind(db, principal.actor(), late)
    units = len({r.org_code for r in late})
    return RedirectResponse(
        f"/indicators/completeness?period={period}&reminded={units}&queued={queued}",
        status_code=303,
    )


def _choices() -> dict[str, tuple[str, ...]]:
    return {
        "value_types": VALUE_TYPES,
        "groups": GROUPS,
        "frequencies": FREQUENCIES,
        "directions": DIRECTIONS,
        "space_aggs": SPACE_AGGS,
        "time_aggs": TIME_AGGS,
        "missing": MISSING,
    }


@router.get("/indicators/{code}", response_class=HTMLResponse)
def indicator_page(
    code: str, request: Request, principal: CurrentPrincipal, db: DbSession, saved: int = 0
) -> Response:
    """One definition: every field, its change history, and the edit form."""
    return _detail(request, principal, db, code, saved=bool(saved), error=None)


def _detail(
    request: Request,
    principal: Principal,
    db: DbSession,
    code: str,
    *,
    saved: bool,
    error: str | None,
    status: int = 200,
) -> Response:
    ind = catalogue.get_indicator(db, code)
    return render(
        request,
        "indicators/indicator.html",
        {
            "ind": catalogue.to_out(ind),
            "versions": catalogue.versions(db, code),
            "can_edit": principal.can("indicator.write"),
            "saved": saved,
            "error": error,
            **_choices(),
        },
        status,
    )


@router.post("/indicators/{code}")
def save_indicator(
    code: str,
    request: Request,
    principal: Writer,
    db: DbSession,
    name_vi: Annotated[str, Form(max_length=300)],
    name_en: Annotated[str, Form(max_length=300)] = "",
    unit: Annotated[str, Form(max_length=60)] = "",
    frequency: Annotated[str, Form(max_length=16)] = "",
    space_agg: Annotated[str, Form(max_length=20)] = "",
    time_agg: Annotated[str, Form(max_length=10)] = "",
    missing: Annotated[str, Form(max_length=16)] = "",
    direction: Annotated[str, Form(max_length=16)] = "",
    decimals: Annotated[str, Form(max_length=2)] = "1",
    formula: Annotated[str, Form(max_length=500)] = "",
    description: Annotated[str, Form(max_length=4000)] = "",
) -> Response:
    """Save the edit form as a new version (the other fields keep their values)."""
    current = catalogue.definition(catalogue.get_indicator(db, code))
    changes = {
        "name": {"vi": name_vi, "en": name_en},
        "unit": unit,
        "frequency": frequency,
        "space_agg": space_agg,
        "time_agg": time_agg,
        "missing": missing,
        "direction": direction,
        "decimals": decimals,
        "formula": formula.strip() or None,
        "description": description,
    }
    try:
        data = IndicatorIn.model_validate(current | changes)
        catalogue.update_indicator(db, principal.actor(), data)
    except (ValidationError, IocError) as exc:
        db.rollback()
        lang = str(request.state.lang)
        message = (
            t(exc.message_key, lang, **exc.params)
            if isinstance(exc, IocError)
            else t("error.validation_error", lang)
        )
        return _detail(request, principal, db, code, saved=False, error=message, status=422)
    return RedirectResponse(f"/indicators/{code}?saved=1", status_code=303)
