"""The SLA clock of a case on the database: the province's calendar (the default holidays with
its own edits), the policy (defaults with each category's time limit), and the stage clocks.

A stage (``accept``, ``resolve``) starts its clock when the case enters it; the deadline is
stored on the case (``deadline_at``) so overdue and due-soon lists are plain indexed queries,
and recomputed when a pause (an approved extension) is added. Reopening starts the resolve
stage again with its whole time limit. The rules are :mod:`.calendar` and :mod:`.sla`.

Calendar edits: a ``CalendarDay`` of kind ``holiday`` is a day off; of kind ``workday`` a day
worked — a weekend day (làm bù) or a default holiday the government moved.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import cast

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.core.cache import Rechecked
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.core.i18n import register
from iocvn.core.timeutil import to_local
from iocvn.feedback import calendar as cal
from iocvn.feedback import sla
from iocvn.feedback.models import CalendarDay, ClockPause, Feedback, FeedbackCategory

_CALENDARS: Rechecked[cal.WorkCalendar] = Rechecked()
_POLICIES: Rechecked[sla.SlaPolicy] = Rechecked(size=1)
DAY_KINDS = ("holiday", "workday")

register(
    {
        "error.calendar_file": ("Dòng {line}: {reason}", "Line {line}: {reason}"),
        "error.invalid_calendar_day": (
            "Ngày {day}: loại phải là 'holiday' (nghỉ) hoặc 'workday' (làm việc).",
            "Day {day}: the kind must be 'holiday' or 'workday'.",
        ),
    }
)


def _version(session: Session) -> str:
    count, latest = session.execute(select(func.count(), func.max(CalendarDay.updated_at))).one()
    return f"{count}:{latest}"


def invalidate() -> None:
    """Forget the built calendars and policy (days, categories or limits changed here)."""
    _CALENDARS.clear()
    _POLICIES.clear()


def work_calendar(session: Session, around: datetime) -> cal.WorkCalendar:
    """The province's working calendar for the year of ``around``, the one before and after."""
    year = to_local(around).year
    years = (year - 1, year, year + 1)
    return _CALENDARS.get(years, lambda: _version(session), lambda: _build(session, years))


def _build(session: Session, years: tuple[int, ...]) -> cal.WorkCalendar:
    off: set[date] = set()
    worked: set[date] = set()
    for y in years:
        schedule = cal.default_holidays(y)
        off.update(schedule.days_off)
        worked.update(schedule.compensatory_days)
    edits = session.execute(
        select(CalendarDay.day, CalendarDay.kind).where(
            CalendarDay.day >= date(years[0], 1, 1), CalendarDay.day <= date(years[-1], 12, 31)
        )
    )
    for day, kind in edits:
        if kind == "holiday":
            off.add(day)
            worked.discard(day)
        else:
            off.discard(day)
            if day.weekday() >= 5:
                worked.add(day)
    return cal.WorkCalendar(frozenset(off), frozenset(worked))


def policy(session: Session) -> sla.SlaPolicy:
    """The default limits, with each category's own ``resolve_days`` for normal cases."""

    def version() -> str:
        count, latest = session.execute(
            select(func.count(), func.max(FeedbackCategory.updated_at))
        ).one()
        return f"{count}:{latest}"

    return _POLICIES.get("policy", version, lambda: _build_policy(session))


def _build_policy(session: Session) -> sla.SlaPolicy:
    rows = session.execute(
        select(FeedbackCategory.code, FeedbackCategory.resolve_days).where(
            FeedbackCategory.resolve_days.is_not(None)
        )
    )
    overrides = {
        code: {("resolve", "normal"): cal.WorkingDays(days)}
        for code, days in rows
        if days is not None and days > 0
    }
    return sla.SlaPolicy(overrides=cast(dict[str, sla.Durations], overrides))


def pauses(session: Session, case: Feedback) -> list[cal.Pause]:
    """The case's clock pauses."""
    return pauses_by_case(session, [case.id]).get(case.id, [])


def pauses_by_case(session: Session, ids: Sequence[str]) -> dict[str, list[cal.Pause]]:
    """The clock pauses of several cases in one query (a list page, a job round)."""
    out: dict[str, list[cal.Pause]] = {}
    if not ids:
        return out
    rows = session.execute(
        select(ClockPause.feedback_id, ClockPause.starts_at, ClockPause.ends_at).where(
            ClockPause.feedback_id.in_(list(ids))
        )
    )
    for case_id, starts, ends in rows:
        out.setdefault(case_id, []).append(cal.Pause(starts, ends))
    return out


def state(
    session: Session,
    case: Feedback,
    now: datetime,
    *,
    known_pauses: Sequence[cal.Pause] | None = None,
) -> sla.SlaState:
    """Where the case's current stage clock stands at ``now`` (``known_pauses``: the case's
    pauses when the caller has them already, ``()`` for a case just received)."""
    return sla.sla_state(
        policy(session),
        work_calendar(session, case.stage_started_at),
        stage=cast(sla.Stage, case.stage),
        stage_start=case.stage_started_at,
        now=now,
        priority=cast(sla.Priority, case.priority),
        category=case.category_code,
        pauses=pauses(session, case) if known_pauses is None else known_pauses,
    )


def start_stage(
    session: Session,
    case: Feedback,
    stage: str,
    now: datetime,
    *,
    known_pauses: Sequence[cal.Pause] | None = None,
) -> None:
    """Start ``stage``'s clock at ``now`` and store its deadline."""
    case.stage = stage
    case.stage_started_at = now
    case.escalation = "unit"
    case.deadline_at = state(session, case, now, known_pauses=known_pauses).deadline


def recompute(session: Session, case: Feedback, now: datetime) -> None:
    """Store the current stage's deadline again (after a pause or a new priority)."""
    case.deadline_at = state(session, case, now).deadline


def add_pause(
    session: Session, case: Feedback, starts: datetime, ends: datetime, reason: str, by: str
) -> ClockPause:
    """Stop the clock from ``starts`` to ``ends`` (an approved extension) and move the deadline."""
    pause = ClockPause(feedback_id=case.id, starts_at=starts, ends_at=ends, reason=reason,
                       approved_by=by)  # fmt: skip
    session.add(pause)
    session.flush()
    recompute(session, case, starts)
    return pause


def set_days(
    session: Session, actor: Actor, days: dict[date, tuple[str, str]], *, year: int | None = None
) -> int:
    """Replace the province's edits (of ``year``, or of the days given): day → (kind, name)."""
    for day, (kind, _) in days.items():
        if kind not in DAY_KINDS:
            raise Invalid("invalid_calendar_day", details={"day": day.isoformat()},
                          day=day.strftime("%d/%m/%Y"))  # fmt: skip
    if year is not None:
        session.execute(
            delete(CalendarDay).where(
                CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31)
            )
        )
    else:
        session.execute(delete(CalendarDay).where(CalendarDay.day.in_(list(days))))
    for day, (kind, name) in sorted(days.items()):
        session.add(CalendarDay(day=day, kind=kind, name=name[:200]))
    session.flush()
    audit.record(
        session, actor, "feedback.calendar_set", target_type="calendar",
        target_id=str(year or ""),
        after={d.isoformat(): k for d, (k, _) in sorted(days.items())},
    )  # fmt: skip
    invalidate()
    return len(days)


def year_edits(session: Session, year: int) -> dict[date, tuple[str, str]]:
    """The province's edits of ``year``: day → (kind, name), in date order."""
    rows = session.execute(
        select(CalendarDay)
        .where(CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        .order_by(CalendarDay.day)
    ).scalars()
    return {d.day: (d.kind, d.name) for d in rows}


@dataclass(frozen=True)
class YearDay:
    """A day of the year that differs from the usual week, and whether the province set it."""

    day: date
    kind: str  # holiday (nghỉ) or workday (làm việc, làm bù)
    name: str
    edited: bool  # the province's edit; else the default (calendar.default_holidays)


def year_days(session: Session, year: int) -> list[YearDay]:
    """The year's days off and worked days: the defaults with the province's edits over them."""
    defaults = cal.default_holidays(year)
    rows = {d: YearDay(d, "holiday", n, False) for d, n in defaults.days_off.items()}
    rows |= {d: YearDay(d, "workday", n, False) for d, n in defaults.compensatory_days.items()}
    rows |= {d: YearDay(d, k, n, True) for d, (k, n) in year_edits(session, year).items()}
    return [rows[d] for d in sorted(rows)]


def working_hours_between(session: Session, a: datetime, b: datetime) -> timedelta:
    """Working time between two instants on the province's calendar."""
    return cal.working_time_between(work_calendar(session, a), a, b)
