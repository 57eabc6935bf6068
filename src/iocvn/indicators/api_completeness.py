"""JSON routes of reporting schedules and completeness (``/api/v1/completeness``)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession
from iocvn.indicators import completeness, schedules
from iocvn.indicators.models import ReportingSchedule

router = APIRouter(tags=["indicators"])
Reader = Annotated[Principal, Depends(require("indicator.read"))]
Planner = Annotated[Principal, Depends(require("target.write"))]
PeriodQuery = Annotated[str, Query(min_length=4, max_length=10, description="e.g. 2026, 202610")]


class ScheduleIn(BaseModel):
    """``POST /schedules``: one unit, or every commune/agency, reports an indicator."""

    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(max_length=64)
    org_unit: str | None = Field(default=None, max_length=32)
    level: Literal["commune", "agency"] | None = None
    deadline_days: int = Field(default=20, ge=0, le=366)


class ScheduleOut(BaseModel):
    """A stored schedule."""

    id: str
    indicator: str
    org_unit: str | None
    level: str | None
    deadline_days: int


class ExpectationOut(BaseModel):
    """One expected report and where it stands."""

    org_unit: str
    org_unit_name: str
    indicator: str
    period: str
    deadline: date
    status: Literal["not_due", "due", "late", "submitted", "approved"]
    on_time: bool


class RateOut(BaseModel):
    """A unit's reporting record for the period (rates in %)."""

    org_unit: str
    org_unit_name: str
    expected: int
    submitted: int
    on_time: int
    late: int
    submitted_rate: float
    on_time_rate: float


class RemindOut(BaseModel):
    """What a reminder did."""

    units: list[str]
    queued: int = Field(
        description="E-mails queued: one per active account with an address in a late unit"
    )


def _area(principal: Principal) -> list[str] | None:
    return [principal.scope.org_code] if principal.scope.level == "commune" else None


def _schedule_out(s: ReportingSchedule) -> ScheduleOut:
    return ScheduleOut(
        id=s.id,
        indicator=s.indicator_code,
        org_unit=s.org_code,
        level=s.level,
        deadline_days=s.deadline_days,
    )


@router.post("/schedules", response_model=ScheduleOut, status_code=201)
def add_schedule(body: ScheduleIn, principal: Planner, db: DbSession) -> ScheduleOut:
    """Declare who reports an indicator and the deadline (days after the period ends); a
    commune schedules only itself, an agency only the indicators it owns."""
    s = schedules.add_schedule(
        db,
        principal,
        body.indicator,
        org_code=body.org_unit,
        level=body.level,
        deadline_days=body.deadline_days,
    )
    return _schedule_out(s)


@router.get("/schedules", response_model=list[ScheduleOut])
def list_schedules(
    principal: Reader,
    db: DbSession,
    indicator: Annotated[str | None, Query(max_length=64)] = None,
) -> list[ScheduleOut]:
    """Schedules in the caller's area (a commune: its own and every commune's)."""
    rows = schedules.list_schedules(db, principal.scope, indicator=indicator)
    return [_schedule_out(s) for s in rows]


@router.delete("/schedules/{schedule_id}", status_code=204)
def delete_schedule(
    schedule_id: Annotated[str, Path(max_length=64)], principal: Planner, db: DbSession
) -> None:
    """Remove a schedule (404 ``schedule_not_found`` when unknown or outside the area)."""
    schedules.delete_schedule(db, principal, schedule_id)


@router.get("/completeness", response_model=list[ExpectationOut])
def expectations(
    principal: Reader,
    db: DbSession,
    period: PeriodQuery,
    indicator: Annotated[str | None, Query(max_length=64)] = None,
    status: Literal["not_due", "due", "late", "submitted", "approved"] | None = None,
) -> list[ExpectationOut]:
    """Every expected report of the period in the caller's scope, with its status."""
    rows = completeness.expectations(db, period, indicator_code=indicator, area=_area(principal))
    return [
        ExpectationOut(
            org_unit=r.org_code,
            org_unit_name=r.org_name,
            indicator=r.indicator_code,
            period=r.period,
            deadline=r.deadline,
            status=r.status,
            on_time=r.on_time,
        )
        for r in rows
        if status is None or r.status == status
    ]


@router.get("/completeness/ranking", response_model=list[RateOut])
def ranking(principal: Reader, db: DbSession, period: PeriodQuery) -> list[RateOut]:
    """Units ranked by on-time rate for the period (never above 100 %)."""
    rows = completeness.expectations(db, period, area=_area(principal))
    return [
        RateOut(
            org_unit=r.org_code,
            org_unit_name=r.org_name,
            expected=r.expected,
            submitted=r.submitted,
            on_time=r.on_time,
            late=r.late,
            submitted_rate=round(r.submitted_rate, 1),
            on_time_rate=round(r.on_time_rate, 1),
        )
        for r in completeness.ranking(rows)
    ]


@router.post("/completeness/remind", response_model=RemindOut)
def remind(
    principal: Annotated[Principal, Depends(require("data.lock"))],
    db: DbSession,
    period: PeriodQuery,
) -> RemindOut:
    """Remind every late unit of the period (đôn đốc): audited, e-mails queued to its people
    (delivery and failures: ``GET /api/v1/notifications``)."""
    late = [r for r in completeness.expectations(db, period) if r.status == "late"]
    queued = completeness.remind(db, principal.actor(), late)
    return RemindOut(units=sorted({r.org_code for r in late}), queued=queued)
