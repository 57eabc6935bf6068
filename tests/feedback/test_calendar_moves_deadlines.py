"""A calendar edit moves the deadlines stored on open cases (``clock.set_days`` →
``clock.recompute_deadlines``), in the same transaction, as a case started after the edit
would get them; closed and resolved cases keep theirs, an extension keeps its pause, an
escalation the new clock no longer reaches is lowered, and the move is audited.

Category ``giao_thong.o_ga`` is resolved within 3 working days: accepted Monday 30/11/2026
10:00, the case is due Thursday 03/12/2026 17:00 (days 01/12, 02/12, 03/12)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.timeutil import LOCAL_TZ
from iocvn.feedback import calendar as cal
from iocvn.feedback import clock, jobs, sla, workflow
from iocvn.feedback.models import ClockPause, Feedback
from tests.factories.auth import bearer
from tests.factories.feedback import clock_notes, province, recomputations, report

OP = Actor("dieuhanh", "20", "req-lich")
SCOPE = OrgScope("province", "20", "20")


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A time in Hà Nội, as UTC."""
    return datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ).astimezone(UTC)


MONDAY = vn(2026, 11, 30, 10)  # accepted → due Thursday 03/12 17:00
THURSDAY = vn(2026, 11, 26, 10)  # accepted → due Tuesday 01/12 17:00 (27/11, 30/11, 01/12)
EDITED = vn(2026, 12, 1, 8)  # when the province edits the calendar


def accepted(session: Session, at: datetime) -> Feedback:
    """A pothole report received an hour before ``at`` and accepted at ``at`` (resolve stage)."""
    case = report(session, now=at - timedelta(hours=1)).case
    workflow.accept(session, get_settings(), OP, case, now=at)
    return case


def day_off(session: Session, *days: date, now: datetime = EDITED) -> None:
    """The province makes ``days`` of 2026 days off (replacing its edits of the year)."""
    edits = dict.fromkeys(days, ("holiday", "Nghỉ theo quyết định của tỉnh"))
    clock.set_days(session, OP, edits, year=2026, now=now)


def test_a_deadline_on_a_day_made_a_holiday_moves_to_the_next_working_day(
    session: Session,
) -> None:
    province(session)
    case = accepted(session, MONDAY)
    assert case.deadline_at == vn(2026, 12, 3, 17)
    day_off(session, date(2026, 12, 3))
    assert case.deadline_at == vn(2026, 12, 4, 17)  # Friday, the next working day's close
    # Exactly what a case accepted at the same instant after the edit gets.
    assert accepted(session, MONDAY).deadline_at == case.deadline_at
    assert clock.state(session, case, EDITED).deadline == case.deadline_at
    (note,) = clock_notes(session, case)
    assert (note.kind, note.public, note.org_code) == ("comment", False, case.org_code)
    assert "hạn 03/12/2026 17:00 → 04/12/2026 17:00" in note.text
    assert "deadline 03/12/2026 17:00 → 04/12/2026 17:00" in note.text
    session.commit()
    stored = session.execute(select(Feedback.deadline_at).where(Feedback.id == case.id))
    assert stored.scalar_one() == vn(2026, 12, 4, 17)
    # Taking the day off back restores the deadline.
    clock.set_days(session, OP, {}, year=2026, now=EDITED)
    assert case.deadline_at == vn(2026, 12, 3, 17)


def test_a_saturday_made_a_working_day_pulls_a_deadline_earlier(session: Session) -> None:
    province(session)
    case = accepted(session, THURSDAY)
    assert case.deadline_at == vn(2026, 12, 1, 17)
    clock.set_days(session, OP, {date(2026, 11, 28): ("workday", "Làm bù")}, year=2026,
                   now=vn(2026, 11, 27, 8))  # fmt: skip
    assert case.deadline_at == vn(2026, 11, 30, 17)  # 27/11, Saturday 28/11, 30/11
    assert accepted(session, THURSDAY).deadline_at == case.deadline_at


def test_closed_and_resolved_cases_are_untouched(session: Session) -> None:
    province(session)
    settings = get_settings()
    resolved = accepted(session, MONDAY)
    workflow.resolve(session, settings, OP, SCOPE, resolved, answer="Đã vá ổ gà.",
                     now=vn(2026, 12, 2, 9))  # fmt: skip
    rejected = report(session, now=MONDAY).case
    workflow.reject(session, settings, OP, rejected, reason="Không thuộc địa bàn.", now=MONDAY)
    session.commit()
    stamps = {c.id: c.updated_at for c in (resolved, rejected)}
    day_off(session, date(2026, 12, 3))
    session.commit()
    session.expire_all()
    assert (resolved.deadline_at, resolved.resolved_on_time) == (vn(2026, 12, 3, 17), True)
    assert rejected.deadline_at is None
    assert {c.id: c.updated_at for c in (resolved, rejected)} == stamps
    assert clock_notes(session, resolved) == clock_notes(session, rejected) == []
    assert recomputations(session) == []  # nothing moved: no entry


def test_an_extended_case_keeps_its_pause(session: Session) -> None:
    province(session)
    case = accepted(session, MONDAY)
    # An extension approved on Tuesday 10:00 holds the clock until Thursday 03/12 17:00 (the
    # pause as stored, whatever rule workflow.extend uses to size it). Used before: 5 h on
    # Monday, 2 h 30 on Tuesday; 20 h of the 27 h 30 are left after the pause: Friday 04/12
    # (7 h 30), Monday 07/12 (7 h 30), then 5 h on Tuesday 08/12.
    clock.add_pause(session, case, vn(2026, 12, 1, 10), vn(2026, 12, 3, 17), "Chờ vật liệu.",
                    OP.name)  # fmt: skip
    assert case.deadline_at == vn(2026, 12, 8, 14, 30)
    day_off(session, date(2026, 12, 7))
    (pause,) = session.execute(select(ClockPause)).scalars()
    assert (pause.starts_at, pause.ends_at) == (vn(2026, 12, 1, 10), vn(2026, 12, 3, 17))
    assert case.deadline_at == vn(2026, 12, 9, 14, 30)  # Monday off: a working day later
    assert clock.state(session, case, EDITED).deadline == case.deadline_at
    # A day off within the approved pause moves nothing: the pause holds the clock anyway.
    day_off(session, date(2026, 12, 2))
    assert case.deadline_at == vn(2026, 12, 8, 14, 30)


def test_an_escalation_the_new_deadline_no_longer_reaches_is_lowered(session: Session) -> None:
    province(session)
    late = accepted(session, MONDAY)  # due 03/12 17:00
    later = accepted(session, THURSDAY)  # due 01/12 17:00; the leaders' turn 03/12 15:45
    friday = vn(2026, 12, 4, 8)
    assert jobs.escalate(session, friday) == 2
    assert (late.escalation, later.escalation) == ("ioc", "leadership")
    day_off(session, date(2026, 12, 3), now=friday)
    # Due Friday 17:00 now: not overdue any more, back with the unit.
    assert (late.deadline_at, late.escalation) == (vn(2026, 12, 4, 17), "unit")
    # Still overdue, but half a stage late only on Friday 15:45: back to the IOC.
    assert (later.deadline_at, later.escalation) == (vn(2026, 12, 1, 17), "ioc")
    assert "Escalation leadership → ioc" in clock_notes(session, later)[0].text
    assert "Cấp theo dõi IOC → đơn vị" in clock_notes(session, late)[0].text
    # Lowering is silent; once late again on the new clock, the jobs escalate and announce it.
    assert jobs.escalate(session, friday + timedelta(hours=1)) == 0
    assert jobs.escalate(session, vn(2026, 12, 4, 17, 30)) == 2
    assert (late.escalation, later.escalation) == ("ioc", "leadership")


def test_the_recomputation_is_audited_once_as_the_system(session: Session) -> None:
    province(session)
    moved = [accepted(session, MONDAY) for _ in range(3)]
    accepted(session, vn(2026, 11, 16, 10))  # due 19/11: before the day off, not looked at
    session.commit()
    day_off(session, date(2026, 12, 3))
    session.commit()
    (entry,) = recomputations(session)
    assert (entry.actor, entry.request_id, entry.target_type) == (
        clock.CLOCK_ACTOR, OP.request_id, "feedback"
    )  # fmt: skip
    assert entry.after is not None
    assert entry.after["cases"] == 3 and entry.after["checked"] == 3
    assert sorted(entry.after["first"]) == sorted(c.code for c in moved)
    assert entry.after["days"] == ["2026-12-03", "2026-12-03"]
    assert entry.after["edited_by"] == OP.name
    (edit,) = session.execute(
        select(AuditEntry).where(AuditEntry.action == "feedback.calendar_set")
    ).scalars()
    assert (edit.before, edit.after) == ({}, {"2026-12-03": "holiday"})
    # Saving the same edits again moves nothing and audits no recomputation.
    day_off(session, date(2026, 12, 3))
    session.commit()
    assert len(recomputations(session)) == 1


def test_the_api_moves_deadlines_in_its_transaction(client: TestClient, session: Session) -> None:
    province(session)
    operator = bearer(session, "dieuhanh", "operator", "20")
    case = accepted(session, MONDAY)
    session.commit()
    days = [{"day": "2026-12-03", "kind": "holiday", "name": "Nghỉ theo quyết định của tỉnh"}]
    done = client.put("/api/v1/feedback-calendar/2026", json=days, headers=operator)
    assert done.status_code == 200, done.text
    session.refresh(case)
    assert case.deadline_at == vn(2026, 12, 4, 17)
    assert len(recomputations(session)) == 1


def test_the_recomputation_takes_a_fixed_number_of_statements(
    session: Session, statements: list[str]
) -> None:
    province(session)
    for _ in range(12):
        accepted(session, MONDAY)
    session.commit()
    statements.clear()
    day_off(session, date(2026, 12, 3))
    sent = [s.lstrip().split(None, 3)[:3] for s in statements]
    assert sent.count(["UPDATE", "feedback", "SET"]) == 1  # one executemany
    assert sum(1 for s in statements if s.lstrip().startswith("INSERT INTO feedback_events")) == 1
    assert len(statements) <= 12  # 10 today: the same for 12 cases as for 10 000


def test_a_calendar_cached_meanwhile_is_forgotten_at_commit(session: Session, db: Engine) -> None:
    """Another request of this process that read the calendar between the edit and its commit
    does not keep the old one (its 5 s of reuse would give new cases old deadlines)."""
    province(session)
    session.commit()
    day_off(session, date(2026, 12, 3))
    with Session(db) as other:  # sees the committed calendar: 03/12 still a working day
        assert clock.work_calendar(other, MONDAY).is_working_day(date(2026, 12, 3))
    session.commit()
    with Session(db) as other:
        assert not clock.work_calendar(other, MONDAY).is_working_day(date(2026, 12, 3))


@pytest.mark.parametrize(
    "edits",
    [
        {date(2026, 12, 3): "holiday"},
        {date(2026, 11, 28): "workday", date(2026, 11, 24): "workday"},  # 24/11: a default day off
        {date(2026, 11, 19): "holiday", date(2026, 12, 7): "holiday", date(2026, 12, 5): "workday"},
    ],
)
def test_no_open_case_is_left_on_the_old_calendar(session: Session, edits: dict[date, str]) -> None:
    """Whatever the edit, every open case's stored deadline is what it would be given now."""
    province(session)
    # Resolve clocks started from 09/11 to 02/12, every 37 hours (nights and weekends too),
    # three of them extended, and accept clocks started from 20/11 to 26/11.
    cases = [accepted(session, vn(2026, 11, 9, 10) + timedelta(hours=37 * n)) for n in range(16)]
    cases += [report(session, now=vn(2026, 11, 20, 16) + timedelta(hours=29 * n)).case
              for n in range(6)]  # fmt: skip
    for case in cases[3:12:4]:
        starts = case.stage_started_at + timedelta(hours=2)
        clock.add_pause(session, case, starts, starts + timedelta(days=3), "Chờ vật liệu.", OP.name)
    session.commit()
    before = {case.id: case.deadline_at for case in cases}
    clock.set_days(session, OP, {d: (k, "Sửa lịch") for d, k in edits.items()}, year=2026,
                   now=EDITED)  # fmt: skip
    for case in cases:
        assert case.deadline_at == clock.stored_deadline(session, case, EDITED), case.code
    moved = sum(case.deadline_at != before[case.id] for case in cases)
    assert 0 < moved < len(cases)


stages = st.sampled_from(sla.STAGES)
priorities = st.sampled_from(sla.PRIORITIES)
starts = st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2027, 6, 30)).map(
    lambda t: t.replace(tzinfo=UTC)
)
offsets = st.lists(
    st.tuples(
        st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=30)),
        st.one_of(st.none(), st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=10))),
    ),
    max_size=3,
)
RULES = sla.SlaPolicy(overrides={"giao_thong": {("resolve", "normal"): cal.WorkingDays(5)}})
CAL = cal.default_calendar(range(2024, 2029))


@given(starts, stages, priorities, st.sampled_from([None, "giao_thong.o_ga", "moi_truong"]),
       offsets, st.timedeltas(min_value=timedelta(0), max_value=timedelta(days=60)))  # fmt: skip
def test_the_stored_deadline_is_the_clocks_deadline(
    start: datetime, stage: sla.Stage, priority: sla.Priority, category: str | None,
    stops: list[tuple[timedelta, timedelta | None]], later: timedelta,
) -> None:  # fmt: skip
    """``sla.stage_deadline`` (what is stored) equals ``sla.sla_state``'s deadline."""
    pauses = [cal.Pause(start + lo, None if n is None else start + lo + n) for lo, n in stops]
    now = start + later + max((lo for lo, _ in stops), default=timedelta(0))
    stored = sla.stage_deadline(RULES, CAL, stage=stage, stage_start=start, priority=priority,
                                category=category, pauses=pauses, now=now)  # fmt: skip
    state = sla.sla_state(RULES, CAL, stage=stage, stage_start=start, priority=priority,
                          category=category, pauses=pauses, now=now)  # fmt: skip
    assert stored == state.deadline
