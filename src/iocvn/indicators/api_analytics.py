"""JSON routes of indicator analytics (``/api/v1/analytics``): the contract of issue #3.

``GET /analytics?indicator=CODE&org_unit=CODE&period=PERIOD`` answers
``{"value", "target", "status", "previous_year_value", ...}``; ``&breakdown=children`` adds
``rows`` (one per child unit in the caller's area), ``&trace=true`` adds ``trace`` (how the
value was computed), ``&ytd=true`` aggregates from 1 January to the end of the period;
``org_unit=A,B,C`` asks for a group of units.
The rules are in :mod:`iocvn.indicators.aggregate`.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession
from iocvn.indicators import analytics
from iocvn.indicators.analytics import Analysis, Breakdown

router = APIRouter(tags=["indicators"])
Reader = Annotated[Principal, Depends(require("indicator.read"))]
Code = Annotated[str, Query(min_length=1, max_length=64)]
OrgCode = Annotated[
    str,
    Query(
        min_length=1,
        max_length=2000,
        description="an org unit code, or several separated by commas: a group of units",
        examples=["20", "05977,05980"],
    ),
]
PeriodCode = Annotated[str, Query(min_length=1, max_length=10, examples=["2026", "202607"])]


class AnalysisRow(BaseModel):
    """One indicator for one unit and period."""

    model_config = ConfigDict(from_attributes=True)

    indicator: str
    org_unit: str
    org_name: str
    period: str
    through: date | None = Field(
        description="last day counted when the period is in progress or asked year-to-date"
    )
    value: float | None
    target: float | None = Field(description="the period's own target, else the year's")
    expected: float | None = Field(
        description="what the value is judged against: the target, or for cumulative "
        "indicators the part of it the period covers"
    )
    status: str | None = Field(description="met, on_track, at_risk, off_track or null")
    achieved_pct: float | None = Field(description="100 × value / target")
    previous_year_value: float | None = Field(description="the same period last year")
    change_pct: float | None = Field(description="change from the same period last year, %")
    last_updated: datetime | None = Field(description="latest approval of the values used")
    unit: str
    decimals: int
    note: str | None = None


class AnalysisOut(AnalysisRow):
    """``GET /analytics``: the unit's figures, with ``rows`` and ``trace`` when asked."""

    rows: list[AnalysisRow] | None = None
    trace: dict[str, Any] | None = None


def _out(result: Analysis, *, rows: bool, trace: bool) -> AnalysisOut:
    """The response with ``rows`` and ``trace`` present only when asked for."""
    fields: dict[str, Any] = AnalysisRow.model_validate(result).model_dump()
    if rows:
        fields["rows"] = [AnalysisRow.model_validate(r) for r in result.rows or []]
    if trace:
        fields["trace"] = result.trace
    return AnalysisOut(**fields)


@router.get(
    "/analytics",
    response_model=AnalysisOut,
    response_model_exclude_unset=True,
)
def get_analytics(
    principal: Reader,
    db: DbSession,
    indicator: Code,
    org_unit: OrgCode,
    period: PeriodCode,
    breakdown: Breakdown | None = None,
    trace: bool = False,
    ytd: bool = False,
) -> AnalysisOut:
    """An indicator for a unit and period: value, target, status, the same period last year."""
    result = analytics.analyse(
        db,
        indicator,
        org_unit,
        period,
        breakdown=breakdown,
        trace=trace,
        scope=principal.scope,
        ytd=ytd,
    )
    return _out(result, rows=breakdown is not None, trace=trace)


@router.get("/analytics/dashboard", response_model=list[AnalysisRow])
def get_dashboard(
    principal: Reader,
    db: DbSession,
    org_unit: OrgCode,
    period: PeriodCode,
    indicator: Annotated[list[str], Query(min_length=1, max_length=analytics.MAX_CARDS)],
    ytd: bool = False,
) -> list[AnalysisRow]:
    """Cards of several indicators (``indicator=A&indicator=B``) for a unit and period."""
    cards = analytics.dashboard(db, org_unit, period, indicator, scope=principal.scope, ytd=ytd)
    return [AnalysisRow.model_validate(c, from_attributes=True) for c in cards]
