"""The leaders' dashboard (bảng điều hành): indicator cards by group with value, target,
status, change on the same period last year and a trend line; the list of indicators not
met; one indicator in depth with its trend, its communes on a map and their ranking.

A commune leader sees the same pages for their own commune (the org scope decides).
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from iocvn.auth.deps import CurrentPrincipal, Principal
from iocvn.core import periods
from iocvn.core.http import DbSession
from iocvn.core.i18n import register
from iocvn.core.templating import render
from iocvn.core.timeutil import to_local, utcnow
from iocvn.indicators import analytics, catalogue
from iocvn.indicators.analytics import Analysis
from iocvn.indicators.charts import line_chart, sparkline
from iocvn.indicators.models import GROUPS, Indicator

router = APIRouter()
NOT_MET = ("off_track", "at_risk")

register(
    {
        "dash.title": ("Bảng điều hành", "Dashboard"),
        "dash.period": ("Kỳ", "Period"),
        "dash.unit": ("Đơn vị", "Unit"),
        "dash.target": ("Kế hoạch", "Target"),
        "dash.achieved": ("Đạt {pct} % kế hoạch", "{pct} % of target"),
        "dash.change": ("So cùng kỳ", "vs last year"),
        "dash.updated": ("Cập nhật", "Updated"),
        "dash.no_value": ("Chưa có số liệu", "No data yet"),
        "dash.not_met": ("Chỉ tiêu chưa đạt", "Targets not met"),
        "dash.not_met_count": ("{n} chỉ tiêu chưa đạt", "{n} targets not met"),
        "dash.through": ("Số liệu đến {date}", "Data through {date}"),
        "dash.trend": ("Diễn biến", "Trend"),
        "dash.map": ("Bản đồ theo xã, phường", "Map by commune"),
        "dash.ranking": ("Xếp hạng xã, phường", "Communes ranked"),
        "dash.demo": (
            "Số liệu minh họa (demo), không phải số liệu thống kê thật.",
            "Demo figures, not real statistics.",
        ),
        "dash.trace": ("Cách tính", "How it was computed"),
        "status.met": ("Đạt", "Met"),
        "status.on_track": ("Đúng tiến độ", "On track"),
        "status.at_risk": ("Có nguy cơ", "At risk"),
        "status.off_track": ("Chưa đạt", "Off track"),
        "status.none": ("Không có kế hoạch", "No target"),
    }
)


def _defaults(principal: Principal, org: str | None, period: str | None) -> tuple[str, str, date]:
    today = to_local(utcnow()).date()
    org_code = org or (
        principal.scope.org_code
        if principal.scope.level == "commune"
        else principal.scope.province_code
    )
    return org_code, period or str(today.year), today


def _ordered(indicators: list[Indicator]) -> dict[str, list[Indicator]]:
    by_group: dict[str, list[Indicator]] = defaultdict(list)
    for ind in sorted(indicators, key=lambda i: (i.sector, i.code)):
        by_group[ind.group].append(ind)
    return {g: by_group[g] for g in GROUPS if by_group.get(g)}


def _trend_periods(ind: Indicator, period: periods.Period) -> list[periods.Period]:
    """The points of an indicator's trend line within (or, for yearly ones, before) a period."""
    year = periods.rollup(period, "yearly") if period.type != "yearly" else period
    if ind.frequency in ("daily", "weekly", "monthly"):
        return periods.children(year, "monthly")
    if ind.frequency in ("quarterly", "half_yearly"):
        return periods.children(year, ind.frequency)
    return [year.shift(-k) for k in range(4, -1, -1)]


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    org: str | None = None,
    period: str | None = None,
    group: str | None = None,
) -> Response:
    """Cards of one group of indicators for a unit and period, with their trend lines."""
    org_code, period_code, _ = _defaults(principal, org, period)
    groups = _ordered(catalogue.list_indicators(db))
    chosen = group if group in groups else next(iter(groups), "")
    shown = groups.get(chosen, [])
    codes = [i.code for i in shown]
    cards = analytics.dashboard(db, org_code, period_code, codes, scope=principal.scope)
    asked = periods.parse(period_code)
    lines: dict[str, list[float | None]] = {}
    if asked.type in ("yearly", "half_yearly", "quarterly") and codes:
        lines = analytics.monthly_trend(db, org_code, period_code, codes, scope=principal.scope)
    not_met = sum(1 for c in cards if c.status in NOT_MET)
    return render(
        request,
        "indicators/dashboard.html",
        {
            "cards": [
                (ind, card, sparkline(lines.get(ind.code, [])))
                for ind, card in zip(shown, cards, strict=True)
            ],
            "groups": list(groups),
            "group": chosen,
            "org_code": org_code,
            "org_name": cards[0].org_name if cards else org_code,
            "period": period_code,
            "period_label": periods.label(asked, str(request.state.lang)),
            "not_met": not_met,
            "demo": request.app.state.settings.demo,
        },
    )


@router.get("/dashboard/not-met", response_class=HTMLResponse)
def not_met_page(
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    org: str | None = None,
    period: str | None = None,
) -> Response:
    """Every indicator not met (chỉ tiêu chưa đạt) for the unit and period, by sector."""
    org_code, period_code, _ = _defaults(principal, org, period)
    indicators = catalogue.list_indicators(db)
    cards = analytics.dashboard(
        db, org_code, period_code, [i.code for i in indicators], scope=principal.scope
    )
    by_sector: dict[str, list[tuple[Indicator, Analysis]]] = defaultdict(list)
    for ind, card in zip(indicators, cards, strict=True):
        if card.status in NOT_MET:
            by_sector[ind.sector or "-"].append((ind, card))
    return render(
        request,
        "indicators/not_met.html",
        {
            "by_sector": dict(sorted(by_sector.items())),
            "org_code": org_code,
            "org_name": cards[0].org_name if cards else org_code,
            "period": period_code,
            "period_label": periods.label(periods.parse(period_code), str(request.state.lang)),
        },
    )


def _choropleth(rows: list[Analysis]) -> dict[str, dict[str, Any]]:
    """Per-commune values for the map (rendered with ``tojson`` into a JSON script tag)."""
    return {r.org_unit: {"name": r.org_name, "value": r.value, "status": r.status} for r in rows}


@router.get("/dashboard/{code}", response_class=HTMLResponse)
def indicator_dashboard(
    code: str,
    request: Request,
    principal: CurrentPrincipal,
    db: DbSession,
    org: str | None = None,
    period: str | None = None,
) -> Response:
    """One indicator in depth: value and target, trend with target line, communes' map and
    ranking, and how the value was computed."""
    org_code, period_code, today = _defaults(principal, org, period)
    ind = catalogue.get_indicator(db, code)
    asked = periods.parse(period_code)
    result = analytics.analyse(
        db, code, org_code, period_code, breakdown="children", trace=True, scope=principal.scope
    )
    points = [p for p in _trend_periods(ind, asked) if p.start <= today]
    trend = [analytics.analyse(db, code, org_code, p.code, scope=principal.scope) for p in points]
    lang = str(request.state.lang)
    chart = line_chart(
        [periods.label(p, lang).replace("Tháng ", "T") for p in points],
        [t.value for t in trend],
        target=[t.expected for t in trend],
        decimals=ind.decimals,
        title=ind.name_vi,
    )
    rows = result.rows or []
    reverse = ind.direction == "higher_better"
    ranked = sorted(
        rows, key=lambda r: (r.value is None, -(r.value or 0) if reverse else (r.value or 0))
    )
    return render(
        request,
        "indicators/indicator_dashboard.html",
        {
            "ind": ind,
            "result": result,
            "chart": chart,
            "trend": list(zip(points, trend, strict=True)),
            "ranked": ranked,
            "choropleth": _choropleth(rows),
            "trace": json.dumps(result.trace, ensure_ascii=False, indent=1, default=str)
            if result.trace
            else "",
            "period": period_code,
            "period_label": periods.label(asked, lang),
            "org_code": org_code,
            "tile_url": request.app.state.settings.tile_url,
        },
    )
