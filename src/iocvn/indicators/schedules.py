"""Reporting schedules (lịch báo cáo): listing them in the caller's area, adding and removing
them within the caller's reach.

What the schedules imply — expected reports, statuses, rates — is ``completeness``; this
module only keeps the list. Reach follows data entry: the province plans for every unit, a
commune only for itself, an agency only the indicators it owns. Nothing here commits.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.deps import Principal
from iocvn.auth.scope import OrgScope
from iocvn.core.errors import Forbidden, Invalid, NotFound
from iocvn.core.i18n import register
from iocvn.indicators import completeness
from iocvn.indicators.catalogue import get_indicator
from iocvn.indicators.models import Indicator, ReportingSchedule
from iocvn.org.models import OrgUnit

LEVELS = ("commune", "agency")

register(
    {
        "error.schedule_not_found": (
            "Không có lịch báo cáo {id}.",
            "There is no reporting schedule {id}.",
        ),
        "error.schedule_out_of_scope": (
            "Cấp tỉnh lập lịch báo cáo cho mọi đơn vị; xã, phường chỉ cho chính mình; sở, ngành "
            "chỉ cho chỉ số do mình chủ trì.",
            "The province schedules any unit; a commune only itself; an agency only the "
            "indicators it owns.",
        ),
    }
)


def visible_clause(scope: OrgScope) -> ColumnElement[bool]:
    """Schedules the caller sees: all of them, or for a commune its own and every commune's."""
    return or_(scope.area_clause(ReportingSchedule.org_code), ReportingSchedule.level == "commune")


def list_schedules(
    session: Session, scope: OrgScope, *, indicator: str | None = None
) -> list[ReportingSchedule]:
    """Schedules in the caller's area, by indicator then unit or level."""
    stmt = select(ReportingSchedule).where(visible_clause(scope))
    if indicator and indicator.strip():
        stmt = stmt.where(ReportingSchedule.indicator_code == indicator.strip())
    order = (
        ReportingSchedule.indicator_code,
        ReportingSchedule.level,
        ReportingSchedule.org_code,
        ReportingSchedule.created_at,
    )
    return list(session.execute(stmt.order_by(*order)).scalars())


def get_schedule(session: Session, scope: OrgScope, schedule_id: str) -> ReportingSchedule:
    """One schedule, or ``schedule_not_found`` (404) when unknown or outside the caller's area."""
    found = None
    if 0 < len(schedule_id) <= 26 and schedule_id.isascii() and schedule_id.isalnum():
        stmt = select(ReportingSchedule).where(
            ReportingSchedule.id == schedule_id,
            visible_clause(scope),
        )
        found = session.execute(stmt).scalar_one_or_none()
    if found is None:
        raise NotFound("schedule_not_found", details={"id": schedule_id[:40]}, id=schedule_id[:40])
    return found


def may_plan(scope: OrgScope, ind: Indicator, org_code: str | None) -> bool:
    """Whether a caller of ``scope`` may add or remove a schedule of ``ind`` for ``org_code``
    (``None``: every unit of a level)."""
    if scope.level == "commune":
        return org_code == scope.org_code
    if scope.level == "agency":
        return ind.owner == scope.org_code
    return True


def add_schedule(
    session: Session,
    principal: Principal,
    indicator: str,
    *,
    org_code: str | None = None,
    level: str | None = None,
    deadline_days: int = 20,
) -> ReportingSchedule:
    """Declare, within the caller's reach, that a unit or every unit of a level reports an
    indicator ``deadline_days`` after each period ends (audited)."""
    ind = get_indicator(session, indicator)
    if org_code is not None:
        unit = session.get(OrgUnit, org_code)
        if unit is None or unit.province_code != principal.scope.province_code:
            raise Invalid("org_unit_not_found", details={"org_unit": org_code}, unit=org_code)
    if not may_plan(principal.scope, ind, org_code):
        raise Forbidden("schedule_out_of_scope")
    return completeness.add_schedule(
        session,
        principal.actor(),
        ind.code,
        org_code=org_code,
        level=level,
        deadline_days=deadline_days,
    )


def delete_schedule(session: Session, principal: Principal, schedule_id: str) -> None:
    """Remove a schedule: its units are no longer expected to report (audited)."""
    schedule = get_schedule(session, principal.scope, schedule_id)
    ind = get_indicator(session, schedule.indicator_code)
    if not may_plan(principal.scope, ind, schedule.org_code):
        raise Forbidden("schedule_out_of_scope")
    before = {
        "indicator": schedule.indicator_code,
        "org_unit": schedule.org_code,
        "level": schedule.level,
        "deadline_days": schedule.deadline_days,
    }
    session.delete(schedule)
    session.flush()
    audit.record(
        session,
        principal.actor(),
        "schedule.delete",
        target_type="schedule",
        target_id=schedule_id,
        before=before,
    )
