"""The SLA clock of a case on the database: the province's calendar (the default holidays with
its own edits), the policy (defaults with each category's time limit), and the stage clocks.

A stage (``accept``, ``resolve``) starts its clock when the case enters it; the deadline is
stored on the case (``deadline_at``) so overdue and due-soon lists are plain indexed queries,
and recomputed when a pause (an approved extension) is added, the calendar is edited or a
category's time limit changes.
Reopening starts the resolve stage again with its whole time limit. The rules are
:mod:`.calendar` and :mod:`.sla`.

Calendar edits: a ``CalendarDay`` of kind ``holiday`` is a day off; of kind ``workday`` a day
worked — a weekend day (làm bù) or a default holiday the government moved. An edit moves the
stored deadlines of the open cases it reaches, in the same transaction
(``recompute_deadlines``); so does an edit of a category's ``resolve_days``, for the cases
whose stage takes its limit from that category (``category_limits_changed``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    ColumnElement,
    Table,
    and_,
    bindparam,
    delete,
    event,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.core.cache import Rechecked
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.core.i18n import register
from iocvn.core.timeutil import format_datetime, local_midnight, to_local, utcnow
from iocvn.feedback import calendar as cal
from iocvn.feedback import sla
from iocvn.feedback.models import (
    OPEN_STATUSES,
    CalendarDay,
    ClockPause,
    Feedback,
    FeedbackCategory,
    FeedbackEvent,
)

_CALENDARS: Rechecked[cal.WorkCalendar] = Rechecked()
_POLICIES: Rechecked[sla.SlaPolicy] = Rechecked(size=1)
DAY_KINDS = ("holiday", "workday")
CLOCK_ACTOR = "feedback-clock"  # the system's name on deadlines moved by an edit
_LEVEL_VI = {"unit": "đơn vị", "ioc": "IOC", "leadership": "lãnh đạo tỉnh"}

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


def _years(around: datetime) -> tuple[int, int, int]:
    year = to_local(around).year
    return (year - 1, year, year + 1)


def work_calendar(session: Session, around: datetime) -> cal.WorkCalendar:
    """The province's working calendar for the year of ``around``, the one before and after."""
    years = _years(around)
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
    return _policy_of((code, days) for code, days in rows)


def _policy_of(rows: Iterable[tuple[str, int | None]]) -> sla.SlaPolicy:
    # The categories' resolve_days (code, days) as the policy's overrides.
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


def stored_deadline(
    session: Session,
    case: Feedback,
    now: datetime,
    *,
    known_pauses: Sequence[cal.Pause] | None = None,
) -> datetime:
    """The deadline to store for the case's current stage: its time limit and pauses on the
    province's calendar."""
    return _deadline(
        policy(session),
        work_calendar(session, case.stage_started_at),
        stage=case.stage,
        started=case.stage_started_at,
        priority=case.priority,
        category=case.category_code,
        pauses=pauses(session, case) if known_pauses is None else known_pauses,
        now=now,
    )


def _deadline(
    rules: sla.SlaPolicy, calendar: cal.WorkCalendar, *, stage: str, started: datetime,
    priority: str, category: str | None, pauses: Sequence[cal.Pause], now: datetime,
) -> datetime:  # fmt: skip
    # The one computation of a stored deadline: a stage started, a pause, a calendar edit.
    return sla.stage_deadline(
        rules,
        calendar,
        stage=cast(sla.Stage, stage),
        stage_start=started,
        priority=cast(sla.Priority, priority),
        category=category,
        pauses=pauses,
        now=now,
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
    case.deadline_at = stored_deadline(session, case, now, known_pauses=known_pauses)


def recompute(session: Session, case: Feedback, now: datetime) -> None:
    """Store the current stage's deadline again (after a pause or a new priority)."""
    case.deadline_at = stored_deadline(session, case, now)


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


@dataclass(frozen=True)
class Cause:
    """Why deadlines are computed again, in the words of the moved cases' notes (a headline,
    and on what an escalation is no longer due) and the facts kept on them and on the audit
    entry."""

    vi: str
    en: str
    basis_vi: str
    basis_en: str
    note: Mapping[str, object]  # in each note's data
    audit: Mapping[str, object]  # in the audit entry's ``after``


def set_days(
    session: Session, actor: Actor, days: dict[date, tuple[str, str]], *,
    year: int | None = None, now: datetime | None = None,
) -> int:  # fmt: skip
    """Replace the province's edits (of ``year``, or of the days given): day → (kind, name);
    the stored deadlines of open cases move with them (:func:`recompute_deadlines`)."""
    for day, (kind, _) in days.items():
        if kind not in DAY_KINDS:
            raise Invalid("invalid_calendar_day", details={"day": day.isoformat()},
                          day=day.strftime("%d/%m/%Y"))  # fmt: skip
    edited: tuple[ColumnElement[bool], ...] = (
        (CalendarDay.day >= date(year, 1, 1), CalendarDay.day <= date(year, 12, 31))
        if year is not None
        else (CalendarDay.day.in_(list(days)),)
    )
    before = dict(session.execute(select(CalendarDay.day, CalendarDay.kind).where(*edited)).all())
    session.execute(delete(CalendarDay).where(*edited))
    for day, (kind, name) in sorted(days.items()):
        session.add(CalendarDay(day=day, kind=kind, name=name[:200]))
    session.flush()
    audit.record(
        session, actor, "feedback.calendar_set", target_type="calendar",
        target_id=str(year or ""),
        before={d.isoformat(): k for d, k in sorted(before.items())},
        after={d.isoformat(): k for d, (k, _) in sorted(days.items())},
    )  # fmt: skip
    invalidate()
    # Again once committed: another request may have cached the old calendar meanwhile.
    event.listen(session, "after_commit", lambda _: invalidate(), once=True)
    touched = before.keys() | days.keys()
    if touched:
        # Every day edited before or after, not only those whose kind changed: saving a year
        # again also brings in line a deadline stored on an older calendar.
        first, last = min(touched), max(touched)
        reach = (
            Feedback.stage_started_at < local_midnight(last + timedelta(days=1)),
            # A deadline before ``first`` was reached before the edited days; the leaders'
            # level is reached later than the deadline, so may lie beyond ``first`` too.
            or_(Feedback.deadline_at >= local_midnight(first),
                Feedback.escalation == "leadership"),
        )  # fmt: skip
        cause = Cause("Lịch làm việc thay đổi:", "Working calendar changed:", "theo lịch mới",
                      "on the new calendar", {"calendar": True},
                      {"days": [first.isoformat(), last.isoformat()]})  # fmt: skip
        recompute_deadlines(session, actor, reach, cause, now or utcnow())
    return len(days)


def category_limits_changed(
    session: Session, actor: Actor, code: str, was: int | None, now: datetime | None = None
) -> int:
    """After an edit of category ``code``'s ``resolve_days`` (``was``: before it; flushed), move
    the deadlines of the open cases whose stage takes its limit from it: its own and those of
    the categories under it that inherit it (``sla.SlaPolicy.duration``). Returns the number
    of cases changed (:func:`recompute_deadlines`)."""
    rows = session.execute(select(FeedbackCategory.code, FeedbackCategory.resolve_days))
    days: dict[str, int | None] = dict(rows.all())
    after, before = _policy_of(days.items()), _policy_of({**days, code: was}.items())
    under = [c for c in days if c == code or c.startswith(f"{code}.")]
    moved: list[tuple[str, str, list[str]]] = []  # (stage, priority, categories it changed for)
    for stage in sla.STAGES:
        for priority in sla.PRIORITIES:
            changed = [c for c in under if before.duration(stage, priority, c)
                       != after.duration(stage, priority, c)]  # fmt: skip
            if changed:
                moved.append((stage, priority, changed))
    if not moved:
        return 0
    reach = or_(*(and_(Feedback.stage == stage, Feedback.priority == priority,
                       Feedback.category_code.in_(changed))
                  for stage, priority, changed in moved))  # fmt: skip
    cause = Cause(f"Thời hạn xử lý lĩnh vực {code} thay đổi:",
                  f"Time limit of category {code} changed:", "theo thời hạn mới",
                  "with the new time limit", {"category": code},
                  {"category": code, "resolve_days": [was, days.get(code)],
                   "categories": sorted({c for *_, cs in moved for c in cs})})  # fmt: skip
    return recompute_deadlines(session, actor, (reach,), cause, now or utcnow(), rules=after)


def recompute_deadlines(
    session: Session, actor: Actor, reach: Sequence[ColumnElement[bool]], cause: Cause,
    now: datetime, *, rules: sla.SlaPolicy | None = None,
) -> int:  # fmt: skip
    """Store again, on the calendar and limits as they now are (``rules``: the policy, when the
    caller has built it), the deadline of every open case that ``reach`` selects; an
    escalation the new clock no longer reaches at ``now`` is lowered (raising it is the jobs'
    work, with its e-mails). Each moved case gets an internal note on its timeline; one audit
    entry (as the system, for ``actor``'s edit) counts them. Returns the number of cases
    changed."""
    where = (Feedback.status.in_(OPEN_STATUSES), Feedback.deadline_at.is_not(None), *reach)
    rows = session.execute(
        select(Feedback.id, Feedback.code, Feedback.org_code, Feedback.stage,
               Feedback.stage_started_at, Feedback.priority, Feedback.category_code,
               Feedback.deadline_at, Feedback.escalation)
        .where(*where).order_by(Feedback.deadline_at, Feedback.id)
    ).all()  # fmt: skip
    paused: dict[str, list[cal.Pause]] = {}
    for case_id, starts, ends in session.execute(
        select(ClockPause.feedback_id, ClockPause.starts_at, ClockPause.ends_at)
        .join(Feedback, Feedback.id == ClockPause.feedback_id)
        .where(*where)
    ):
        paused.setdefault(case_id, []).append(cal.Pause(starts, ends))
    rules = policy(session) if rules is None else rules
    calendars: dict[tuple[int, int, int], cal.WorkCalendar] = {}
    changes: list[tuple[str, datetime, str]] = []  # (case id, deadline, escalation)
    notes: list[dict[str, object]] = []
    codes: list[str] = []
    lowered = 0
    for row in rows:
        years = _years(row.stage_started_at)
        if years not in calendars:  # what work_calendar gives once committed (not cached yet)
            calendars[years] = _build(session, years)
        calendar, stops = calendars[years], paused.get(row.id, [])
        due = _deadline(
            rules, calendar, stage=row.stage, started=row.stage_started_at,
            priority=row.priority, category=row.category_code, pauses=stops, now=now,
        )  # fmt: skip
        level = row.escalation
        if level != "unit":  # the full clock only where a level may have to come down
            reached = sla.sla_state(
                rules, calendar, stage=row.stage, stage_start=row.stage_started_at, now=now,
                priority=row.priority, category=row.category_code, pauses=stops,
            ).escalation  # fmt: skip
            if sla.LEVELS.index(reached) < sla.LEVELS.index(level):
                level = reached
                lowered += 1
        if due == row.deadline_at and level == row.escalation:
            continue
        changes.append((row.id, due, level))
        notes.append(_moved_note(row, due, level, now, actor, cause))
        codes.append(row.code)
    if not changes:
        return 0
    table = cast(Table, Feedback.__table__)
    session.execute(  # an executemany: pipelined by psycopg (measured: docs/feedback.md)
        update(table)
        .where(table.c.id == bindparam("b_id"))
        .values(deadline_at=bindparam("b_deadline"), escalation=bindparam("b_level")),
        [{"b_id": i, "b_deadline": d, "b_level": level} for i, d, level in changes],
    )
    session.execute(insert(FeedbackEvent), notes)
    moved = {case_id for case_id, _, _ in changes}
    for obj in list(session.identity_map.values()):  # loaded cases read the new values
        if isinstance(obj, Feedback) and obj.id in moved:
            session.expire(obj, ["deadline_at", "escalation", "updated_at"])
    audit.record(
        session, Actor.system(CLOCK_ACTOR, actor.request_id), "feedback.recompute_deadlines",
        target_type="feedback", target_id=str(len(changes)),
        after={"cases": len(changes), "checked": len(rows), "escalation_lowered": lowered,
               **cause.audit, "edited_by": actor.name, "first": codes[:20]},
    )  # fmt: skip
    return len(changes)


def _moved_note(
    row: Any, deadline: datetime, level: str, now: datetime, actor: Actor, cause: Cause
) -> dict[str, object]:
    # The case's own trace of the change (internal), Vietnamese then English as in e-mails.
    vi, en = [cause.vi], [cause.en]
    if deadline != row.deadline_at:
        was, new = format_datetime(row.deadline_at), format_datetime(deadline)
        vi.append(f"hạn {was} → {new}.")
        en.append(f"deadline {was} → {new}.")
    if level != row.escalation:
        vi.append(f"Cấp theo dõi {_LEVEL_VI[row.escalation]} → {_LEVEL_VI[level]} (chưa đến hạn "
                  f"của cấp trước {cause.basis_vi}).")  # fmt: skip
        en.append(f"Escalation {row.escalation} → {level} (not yet due {cause.basis_en}).")
    return {
        "feedback_id": row.id, "at": now, "kind": "comment", "actor": CLOCK_ACTOR,
        "org_code": row.org_code, "public": False, "text": f"{' '.join(vi)} / {' '.join(en)}",
        "data": {**cause.note, "deadline_from": row.deadline_at.isoformat(),
                 "deadline_to": deadline.isoformat(), "escalation_from": row.escalation,
                 "escalation_to": level, "edited_by": actor.name},
    }  # fmt: skip


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
