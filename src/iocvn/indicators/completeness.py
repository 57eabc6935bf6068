"""Completeness and timeliness of reporting (R3): who must report what, for which period,
by when — and who is late (đôn đốc).

A unit is expected to report a period when it is valid on the period's last day, so a
commune merged on 01/07/2025 is expected for June 2025 and not after: rates never exceed
100 % because only expected units are counted, above and below the fraction bar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.core import events, periods
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.core.i18n import register
from iocvn.core.timeutil import as_utc, local_midnight, to_local, utcnow
from iocvn.indicators import reminders
from iocvn.indicators.catalogue import get_indicator
from iocvn.indicators.models import DataValue, Indicator, ReportingSchedule
from iocvn.org.models import OrgUnit

Status = Literal["not_due", "due", "late", "submitted", "approved"]
REMINDER_EVENT = reminders.PURPOSE  # "indicators.reminder"

register(
    {
        "error.invalid_schedule": (
            "Lịch báo cáo cần một đơn vị hoặc một cấp đơn vị (xã, sở).",
            "A reporting schedule needs one unit or one level of units.",
        ),
        "cmp.not_due": ("Chưa đến kỳ", "Not due"),
        "cmp.due": ("Đến hạn", "Due"),
        "cmp.late": ("Trễ hạn", "Late"),
        "cmp.submitted": ("Đã gửi", "Submitted"),
        "cmp.approved": ("Đã duyệt", "Approved"),
    }
)


@dataclass(frozen=True)
class Expectation:
    """One unit × indicator × period that must be reported, and where it stands."""

    org_code: str
    org_name: str
    indicator_code: str
    period: str
    deadline: date
    status: Status
    submitted_at: datetime | None
    on_time: bool


@dataclass(frozen=True)
class UnitRate:
    """A unit's record for a period: what it owed, what it sent, how much on time."""

    org_code: str
    org_name: str
    expected: int
    submitted: int
    on_time: int
    late: int

    @property
    def submitted_rate(self) -> float:
        """Share of what was expected that has been sent (0–100)."""
        return 100.0 * self.submitted / self.expected if self.expected else 0.0

    @property
    def on_time_rate(self) -> float:
        """Share of what was expected that was sent by the deadline (0–100)."""
        return 100.0 * self.on_time / self.expected if self.expected else 0.0


def add_schedule(
    session: Session,
    actor: Actor,
    indicator_code: str,
    *,
    org_code: str | None = None,
    level: str | None = None,
    deadline_days: int = 20,
) -> ReportingSchedule:
    """Declare that a unit (or every unit of a level) reports an indicator."""
    get_indicator(session, indicator_code)
    if (org_code is None) == (level is None) or level not in (None, "commune", "agency"):
        raise Invalid("invalid_schedule", details={"org_unit": org_code, "level": level})
    if not 0 <= deadline_days <= 366:
        raise Invalid("invalid_schedule", details={"deadline_days": deadline_days})
    schedule = ReportingSchedule(
        indicator_code=indicator_code, org_code=org_code, level=level, deadline_days=deadline_days
    )
    session.add(schedule)
    session.flush()
    audit.record(
        session,
        actor,
        "schedule.create",
        target_type="schedule",
        target_id=schedule.id,
        after={
            "indicator": indicator_code,
            "org_unit": org_code,
            "level": level,
            "deadline_days": deadline_days,
        },
    )
    return schedule


def _expected_units(
    session: Session, schedule: ReportingSchedule, last_day: date, area: list[str] | None
) -> list[OrgUnit]:
    stmt = select(OrgUnit).where(
        OrgUnit.valid_from <= last_day,
        or_(OrgUnit.valid_to.is_(None), OrgUnit.valid_to >= last_day),
    )
    if schedule.org_code is not None:
        stmt = stmt.where(OrgUnit.code == schedule.org_code)
    else:
        stmt = stmt.where(OrgUnit.level == schedule.level)
    if area is not None:
        stmt = stmt.where(OrgUnit.code.in_(area))
    return list(session.execute(stmt.order_by(OrgUnit.search_key, OrgUnit.code)).scalars())


def expectations(
    session: Session,
    period_code: str,
    *,
    indicator_code: str | None = None,
    area: list[str] | None = None,
    today: date | None = None,
) -> list[Expectation]:
    """Every expected report for the period (periods of each indicator's frequency that
    fall in ``period_code``), with its status; ``area`` limits the units (a commune's own)."""
    today = today or to_local(utcnow()).date()
    outer = periods.parse(period_code)
    stmt = (
        select(ReportingSchedule, Indicator)
        .join(Indicator, Indicator.code == ReportingSchedule.indicator_code)
        .where(ReportingSchedule.active.is_(True), Indicator.active.is_(True))
    )
    if indicator_code:
        stmt = stmt.where(ReportingSchedule.indicator_code == indicator_code)
    result: list[Expectation] = []
    for schedule, indicator in session.execute(stmt).all():
        own = _own_periods(outer, indicator.frequency)
        for period in own:
            units = _expected_units(session, schedule, period.end, area)
            if not units:
                continue
            deadline = period.end + timedelta(days=schedule.deadline_days)
            found = _reported(session, indicator.code, period.code, [u.code for u in units])
            for unit in units:
                status, first = found.get(unit.code, (None, None))
                result.append(
                    _expectation(unit, indicator.code, period, deadline, status, first, today)
                )
    return result


def _own_periods(outer: periods.Period, frequency: str) -> list[periods.Period]:
    if outer.type == frequency:
        return [outer]
    if periods.PERIOD_TYPES.index(frequency) > periods.PERIOD_TYPES.index(outer.type):
        return []  # a yearly indicator has nothing due inside one month
    return periods.children(outer, frequency)


def _reported(
    session: Session, indicator_code: str, period: str, org_codes: list[str]
) -> dict[str, tuple[str, datetime | None]]:
    """Status of the current value and the first submission time, by unit."""
    current = dict(
        session.execute(
            select(DataValue.org_code, DataValue.status).where(
                DataValue.indicator_code == indicator_code,
                DataValue.period == period,
                DataValue.is_current.is_(True),
                DataValue.org_code.in_(org_codes),
            )
        ).all()
    )
    first = dict(
        session.execute(
            select(DataValue.org_code, func.min(DataValue.submitted_at))
            .where(
                DataValue.indicator_code == indicator_code,
                DataValue.period == period,
                DataValue.org_code.in_(org_codes),
            )
            .group_by(DataValue.org_code)
        ).all()
    )
    return {org: (status, first.get(org)) for org, status in current.items()}


def _expectation(
    unit: OrgUnit,
    indicator_code: str,
    period: periods.Period,
    deadline: date,
    value_status: str | None,
    first_submitted: datetime | None,
    today: date,
) -> Expectation:
    status: Status
    if value_status == "approved":
        status = "approved"
    elif value_status == "submitted":
        status = "submitted"
    elif today <= period.end:
        status = "not_due"
    elif today <= deadline:
        status = "due"
    else:
        status = "late"
    cutoff = local_midnight(deadline + timedelta(days=1))
    on_time = (
        status in ("submitted", "approved")
        and first_submitted is not None
        and as_utc(first_submitted) < cutoff
    )
    return Expectation(
        unit.code,
        unit.name,
        indicator_code,
        period.code,
        deadline,
        status,
        first_submitted,
        on_time,
    )


def ranking(rows: list[Expectation]) -> list[UnitRate]:
    """Units ranked by on-time rate (best first), then by name."""
    by_unit: dict[str, list[Expectation]] = {}
    for row in rows:
        if row.status != "not_due":
            by_unit.setdefault(row.org_code, []).append(row)
    rates = [
        UnitRate(
            org_code=code,
            org_name=items[0].org_name,
            expected=len(items),
            submitted=sum(r.status in ("submitted", "approved") for r in items),
            on_time=sum(r.on_time for r in items),
            late=sum(r.status == "late" for r in items),
        )
        for code, items in by_unit.items()
    ]
    return sorted(rates, key=lambda r: (-r.on_time_rate, -r.submitted_rate, r.org_name))


def remind(session: Session, actor: Actor, late: list[Expectation]) -> int:
    """Ask late units to report: one e-mail queued per active account with an address in each
    late unit (``iocvn.notify`` delivers it; failures show on /admin/notifications), audited,
    and published as an event for other listeners.

    Returns how many e-mails were queued.
    """
    units = sorted({r.org_code for r in late if r.status == "late"})
    queued = reminders.queue_reminders(session, late)
    audit.record(
        session,
        actor,
        "indicators.remind",
        target_type="period",
        target_id=",".join(sorted({r.period for r in late}))[:64],
        after={"units": units, "items": len(late), "queued": queued},
    )
    events.publish(
        REMINDER_EVENT,
        units=units,
        items=[(r.org_code, r.indicator_code, r.period, r.deadline.isoformat()) for r in late],
        by=actor.name,
    )
    return queued
