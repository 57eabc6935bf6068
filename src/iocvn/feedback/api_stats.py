"""``GET /api/v1/feedback/stats``: feedback statistics per unit, category or commune, as JSON
or as a CSV file for Excel (UTF-8 with BOM, Vietnamese headers, one row per group and the
total). Mounted before :mod:`.api`, whose ``/feedback/{key}`` would catch ``/feedback/stats``.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession
from iocvn.core.i18n import register, t
from iocvn.core.timeutil import to_local, utcnow
from iocvn.feedback import stats
from iocvn.feedback.stats import Row, Stats

router = APIRouter(tags=["feedback"])
StatsReader = Annotated[Principal, Depends(require("feedback.stats"))]

# (field of StatsRowOut, i18n key of its column)
COLUMNS: tuple[tuple[str, str], ...] = (
    ("key", "fbstats.col.key"),
    ("name", "fbstats.col.name"),
    ("received", "fbstats.col.received"),
    ("resolved", "fbstats.col.resolved"),
    ("on_time", "fbstats.col.on_time"),
    ("on_time_pct", "fbstats.col.on_time_pct"),
    ("resolved_late", "fbstats.col.resolved_late"),
    ("overdue", "fbstats.col.overdue"),
    ("late", "fbstats.col.late"),
    ("open", "fbstats.col.open"),
    ("reopened", "fbstats.col.reopened"),
    ("ever_resolved", "fbstats.col.ever_resolved"),
    ("reopen_rate", "fbstats.col.reopen_rate"),
    ("fixed_reported", "fbstats.col.fixed_reported"),
    ("fixed_confirmed", "fbstats.col.fixed_confirmed"),
    ("verified_fix_rate", "fbstats.col.verified_fix_rate"),
    ("rejected", "fbstats.col.rejected"),
    ("not_our_remit", "fbstats.col.not_our_remit"),
    ("transferred", "fbstats.col.transferred"),
    ("duplicates", "fbstats.col.duplicates"),
    ("ratings", "fbstats.col.ratings"),
    ("satisfaction", "fbstats.col.satisfaction"),
)

register(
    {
        "fbstats.col.key": ("Mã", "Code"),
        "fbstats.col.name": ("Tên", "Name"),
        "fbstats.col.received": ("Tiếp nhận", "Received"),
        "fbstats.col.resolved": ("Đã xử lý", "Resolved"),
        "fbstats.col.on_time": ("Xử lý đúng hạn", "Resolved on time"),
        "fbstats.col.on_time_pct": ("Tỷ lệ đúng hạn (%)", "On time (%)"),
        "fbstats.col.resolved_late": ("Xử lý trễ hạn", "Resolved late"),
        "fbstats.col.overdue": ("Đang quá hạn", "Overdue now"),
        "fbstats.col.late": ("Trễ hạn (tổng)", "Late (total)"),
        "fbstats.col.open": ("Chưa xử lý xong", "Open"),
        "fbstats.col.reopened": ("Bị mở lại", "Reopened"),
        "fbstats.col.ever_resolved": ("Đã từng xử lý", "Ever resolved"),
        "fbstats.col.reopen_rate": ("Tỷ lệ mở lại (%)", "Reopen rate (%)"),
        "fbstats.col.fixed_reported": ("Đơn vị báo đã khắc phục", "Reported fixed"),
        "fbstats.col.fixed_confirmed": ("Người dân xác nhận đã khắc phục", "Confirmed fixed"),
        "fbstats.col.verified_fix_rate": ("Tỷ lệ được xác nhận (%)", "Verified-fix rate (%)"),
        "fbstats.col.rejected": ("Từ chối", "Rejected"),
        "fbstats.col.not_our_remit": ("Không thuộc thẩm quyền", "Not our remit"),
        "fbstats.col.transferred": ("Chuyển cơ quan ngoài", "Transferred out"),
        "fbstats.col.duplicates": ("Trùng lặp (đã gộp)", "Duplicates (merged)"),
        "fbstats.col.ratings": ("Số lượt đánh giá", "Ratings"),
        "fbstats.col.satisfaction": ("Mức hài lòng bình quân (1–5)", "Mean satisfaction (1–5)"),
    }
)


class StatsRowOut(BaseModel):
    """One group, or the total (``key`` null: no unit, category or commune; or the total)."""

    key: str | None
    name: str
    received: int
    resolved: int
    on_time: int
    on_time_pct: float | None
    resolved_late: int
    overdue: int
    late: int
    open: int
    reopened: int
    ever_resolved: int
    reopen_rate: float | None
    fixed_reported: int
    fixed_confirmed: int
    verified_fix_rate: float | None
    rejected: int
    not_our_remit: int
    transferred: int
    duplicates: int
    ratings: int
    satisfaction: float | None


class StatsOut(BaseModel):
    """Statistics of cases received in local days [from, to) within the caller's scope."""

    model_config = ConfigDict(populate_by_name=True)

    group: str
    from_: date = Field(alias="from")
    to: date
    now: datetime
    rows: list[StatsRowOut]
    total: StatsRowOut


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def row_out(row: Row) -> StatsRowOut:
    """The API shape of a row (rates in percent with 2 decimals)."""
    values = {name: getattr(row, name) for name, _ in COLUMNS}
    for rate in stats.RATES:
        values[rate] = _round(values[rate], 2)
    values["satisfaction"] = _round(values["satisfaction"], 2)
    return StatsRowOut(**values)


def default_range(start: date | None, end: date | None) -> tuple[date, date]:
    """The month so far (local): from its first day to tomorrow (exclusive), unless given."""
    today = to_local(utcnow()).date()
    end = end or today + timedelta(days=1)
    start = start or (end - timedelta(days=1)).replace(day=1)
    return start, end


def to_csv(result: Stats, lang: str = "vi") -> bytes:
    """The statistics as CSV for Excel: UTF-8 with BOM, one header row, the groups, the total."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([t(key, lang) for _, key in COLUMNS])
    for row in [*result.rows, result.total]:
        shaped = row_out(row).model_dump()
        writer.writerow(["" if shaped[name] is None else shaped[name] for name, _ in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


@router.get("/feedback/stats", response_model=StatsOut)
def feedback_stats(
    request: Request,
    principal: StatsReader,
    db: DbSession,
    group: Annotated[str, Query(max_length=20, description="unit, category or commune")] = "unit",
    from_: Annotated[date | None, Query(alias="from", description="first local day")] = None,
    to: Annotated[date | None, Query(description="local day after the last (exclusive)")] = None,
    format: Literal["json", "csv"] = "json",
) -> StatsOut | Response:
    """Received, resolved, on time, late, reopened, confirmed fixed, rejected… per group."""
    start, end = default_range(from_, to)
    lang = str(getattr(request.state, "lang", "vi"))
    result = stats.statistics(db, group, start, end, principal.scope, lang=lang)
    if format == "csv":
        name = f"phan-anh-{group}-{start:%Y%m%d}-{end:%Y%m%d}.csv"
        return Response(
            to_csv(result, lang),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    return StatsOut(
        group=result.group,
        from_=result.start,
        to=result.end,
        now=result.now,
        rows=[row_out(r) for r in result.rows],
        total=row_out(result.total),
    )
