"""A new time limit of a category moves the deadlines stored on its open cases
(``catalogue.save_category`` → ``clock.category_limits_changed`` → ``clock.recompute_deadlines``),
in the same transaction, as a case started after the edit would get them: the cases of the
category and of the categories under it that inherit its limit, in the resolve stage of a
normal case (the only limit a category sets); closed cases, other categories and other stages
keep theirs, an escalation the new limit no longer reaches is lowered, and the move is audited.

Category ``giao_thong.o_ga`` is resolved within 3 working days (``giao_thong`` within 5):
accepted Monday 30/11/2026 10:00, the case is due Thursday 03/12/2026 17:00 (days 01/12, 02/12,
03/12); within 5 days, Monday 07/12 17:00 (04/12 and 07/12 more)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.timeutil import LOCAL_TZ
from iocvn.feedback import calendar as cal
from iocvn.feedback import catalogue, clock, jobs, workflow
from iocvn.feedback.catalogue import CategoryEdit
from iocvn.feedback.models import Feedback
from tests.factories.auth import bearer
from tests.factories.feedback import clock_notes, province, recomputations, report

OP = Actor("dieuhanh", "20", "req-thoi-han")
SCOPE = OrgScope("province", "20", "20")
O_GA = "giao_thong.o_ga"


def vn(y: int, mo: int, d: int, h: int = 0, mi: int = 0) -> datetime:
    """A time in Hà Nội, as UTC."""
    return datetime(y, mo, d, h, mi, tzinfo=LOCAL_TZ).astimezone(UTC)


MONDAY = vn(2026, 11, 30, 10)  # accepted → due Thursday 03/12 17:00 (3 days)
THURSDAY = vn(2026, 11, 26, 10)  # accepted → due Tuesday 01/12 17:00 (27/11, 30/11, 01/12)
EDITED = vn(2026, 12, 1, 8)  # when the province edits the category


def accepted(
    session: Session, at: datetime, category: str = O_GA, priority: str | None = None
) -> Feedback:
    """A report of ``category`` received an hour before ``at`` and accepted at ``at``."""
    case = report(session, now=at - timedelta(hours=1), category=category).case
    workflow.accept(session, get_settings(), OP, case, priority=priority, now=at)
    return case


def limit(session: Session, code: str, days: int, now: datetime = EDITED) -> None:
    """The IOC sets ``code``'s time limit to ``days`` working days (0: its parent's)."""
    catalogue.save_category(session, OP, code, CategoryEdit(resolve_days=days), now=now)


def test_a_longer_limit_moves_the_deadline_by_the_days_added(session: Session) -> None:
    province(session)
    case = accepted(session, MONDAY)
    assert case.deadline_at == vn(2026, 12, 3, 17)
    limit(session, O_GA, 5)
    assert case.deadline_at == vn(2026, 12, 7, 17)  # two working days later: Friday, Monday
    # Exactly what a case accepted at the same instant after the edit gets.
    assert accepted(session, MONDAY).deadline_at == case.deadline_at
    assert clock.state(session, case, EDITED).deadline == case.deadline_at
    (note,) = clock_notes(session, case)
    assert (note.kind, note.public, note.org_code) == ("comment", False, case.org_code)
    assert note.text.startswith("Thời hạn xử lý lĩnh vực giao_thong.o_ga thay đổi:")
    assert "hạn 03/12/2026 17:00 → 07/12/2026 17:00" in note.text
    assert "Time limit of category giao_thong.o_ga changed: deadline 03/12/2026 17:00 → " \
        "07/12/2026 17:00." in note.text  # fmt: skip
    assert note.data is not None and note.data["category"] == O_GA
    session.commit()
    stored = session.execute(select(Feedback.deadline_at).where(Feedback.id == case.id))
    assert stored.scalar_one() == vn(2026, 12, 7, 17)


def test_a_shorter_limit_pulls_the_deadline_earlier_and_the_jobs_escalate(
    session: Session,
) -> None:
    province(session)
    case = accepted(session, MONDAY)
    wednesday = vn(2026, 12, 2, 8)
    limit(session, O_GA, 1, now=wednesday)
    # Due Tuesday 01/12 17:00: already past, but the edit itself escalates nothing.
    assert (case.deadline_at, case.escalation) == (vn(2026, 12, 1, 17), "unit")
    assert "hạn 03/12/2026 17:00 → 01/12/2026 17:00" in clock_notes(session, case)[0].text
    # The next run of the jobs does, with its e-mails.
    assert jobs.escalate(session, wednesday) == 1
    assert case.escalation == "ioc"


def test_an_escalation_the_longer_limit_no_longer_reaches_is_lowered(session: Session) -> None:
    province(session)
    late = accepted(session, THURSDAY)  # due 01/12 17:00
    wednesday = vn(2026, 12, 2, 8)
    assert jobs.escalate(session, wednesday) == 1
    assert late.escalation == "ioc"
    limit(session, O_GA, 5, now=wednesday)
    assert (late.deadline_at, late.escalation) == (vn(2026, 12, 3, 17), "unit")
    (note,) = clock_notes(session, late)
    assert "Cấp theo dõi IOC → đơn vị (chưa đến hạn của cấp trước theo thời hạn mới)" in note.text
    assert "Escalation ioc → unit (not yet due with the new time limit)" in note.text
    # Lowering is silent; once late again on the new limit, the jobs escalate it again.
    assert jobs.escalate(session, wednesday + timedelta(hours=1)) == 0
    assert jobs.escalate(session, vn(2026, 12, 3, 17, 30)) == 1


def test_closed_cases_other_categories_and_other_limits_are_untouched(session: Session) -> None:
    province(session)
    settings = get_settings()
    moved = accepted(session, MONDAY)
    closed = accepted(session, MONDAY)
    workflow.resolve(session, settings, OP, SCOPE, closed, answer="Đã vá ổ gà.",
                     now=vn(2026, 11, 30, 15))  # fmt: skip
    workflow.close(session, OP, closed, now=vn(2026, 11, 30, 16))
    other = accepted(session, MONDAY, category="giao_thong.un_tac")  # its own limit: 1 day
    urgent = accepted(session, MONDAY, priority="urgent")  # 4 working hours, whatever the category
    waiting = report(session, now=MONDAY).case  # the accept stage: 8 working hours
    untouched = (closed, other, urgent, waiting)
    session.commit()
    before = {c.id: (c.deadline_at, c.updated_at) for c in untouched}
    limit(session, O_GA, 5)
    session.commit()
    session.expire_all()
    assert moved.deadline_at == vn(2026, 12, 7, 17)
    assert {c.id: (c.deadline_at, c.updated_at) for c in untouched} == before
    assert (closed.status, closed.resolved_on_time) == ("closed", True)
    assert all(clock_notes(session, c) == [] for c in untouched)
    (entry,) = recomputations(session)
    assert entry.after is not None
    assert (entry.after["cases"], entry.after["checked"]) == (1, 1)


def test_categories_inheriting_the_limit_move_with_it(session: Session) -> None:
    province(session)
    # Biển báo takes its parent's limit (5 days, as its own was): setting it so moves nothing.
    limit(session, "giao_thong.bien_bao", 0)
    assert recomputations(session) == []
    sign = accepted(session, MONDAY, category="giao_thong.bien_bao")
    parent = accepted(session, MONDAY, category="giao_thong")
    own = accepted(session, MONDAY)  # o_ga keeps its own 3 days
    assert sign.deadline_at == parent.deadline_at == vn(2026, 12, 7, 17)
    limit(session, "giao_thong", 7)
    assert sign.deadline_at == parent.deadline_at == vn(2026, 12, 9, 17)  # 08/12, 09/12 more
    assert own.deadline_at == vn(2026, 12, 3, 17) and clock_notes(session, own) == []
    (entry,) = recomputations(session)
    assert entry.after is not None
    assert entry.after["categories"] == ["giao_thong", "giao_thong.bien_bao"]
    assert entry.after["resolve_days"] == [5, 7]
    # Clearing o_ga's own limit gives it its parent's.
    limit(session, O_GA, 0)
    assert own.deadline_at == vn(2026, 12, 9, 17)
    assert clock.policy(session).duration("resolve", "normal", O_GA) == cal.WorkingDays(7)


def test_an_edit_of_no_limit_moves_nothing(session: Session) -> None:
    province(session)
    case = accepted(session, MONDAY)
    session.commit()
    # What the admin page sends: every field, the limit unchanged; a category's priority is
    # only a new case's default (an open case keeps its own).
    edit = CategoryEdit(name_vi="Ổ gà, sụt lún mặt đường", name_en="Potholes",
                        parent_code="giao_thong", priority="urgent", resolve_days=3,
                        active=True)  # fmt: skip
    catalogue.save_category(session, OP, O_GA, edit, now=EDITED)
    catalogue.save_category(session, OP, O_GA, CategoryEdit(active=False), now=EDITED)
    session.commit()
    session.expire_all()
    assert (case.deadline_at, case.priority) == (vn(2026, 12, 3, 17), "normal")
    assert clock_notes(session, case) == [] and recomputations(session) == []
    saves = select(AuditEntry).where(AuditEntry.action == "feedback.category_save")
    assert len(session.execute(saves).all()) == 2


def test_the_recomputation_is_audited_once_as_the_system(session: Session) -> None:
    province(session)
    moved = [accepted(session, MONDAY) for _ in range(3)]
    session.commit()
    limit(session, O_GA, 5)
    session.commit()
    (entry,) = recomputations(session)
    assert (entry.actor, entry.request_id, entry.target_type) == (
        clock.CLOCK_ACTOR, OP.request_id, "feedback"
    )  # fmt: skip
    assert entry.after is not None
    assert (entry.after["cases"], entry.after["checked"]) == (3, 3)
    assert sorted(entry.after["first"]) == sorted(c.code for c in moved)
    assert (entry.after["category"], entry.after["resolve_days"]) == (O_GA, [3, 5])
    assert entry.after["edited_by"] == OP.name
    # Saving the same limit again moves nothing and audits no recomputation.
    limit(session, O_GA, 5)
    session.commit()
    assert len(recomputations(session)) == 1


def test_the_api_moves_deadlines_in_its_transaction(client: TestClient, session: Session) -> None:
    province(session)
    operator = bearer(session, "dieuhanh", "operator", "20")
    case = accepted(session, MONDAY)
    session.commit()
    done = client.put(f"/api/v1/feedback-categories/{O_GA}", json={"resolve_days": 5},
                      headers=operator)  # fmt: skip
    assert done.status_code == 200, done.text
    session.refresh(case)
    # Two working days later than it was, whatever day the test runs (the API's now).
    assert case.deadline_at == vn(2026, 12, 7, 17)
    (entry,) = recomputations(session)
    assert entry.after is not None and entry.after["edited_by"] == "dieuhanh"


def test_a_limit_cached_meanwhile_is_forgotten_at_commit(session: Session, db: Engine) -> None:
    """Another request of this process that read the limits between the edit and its commit
    does not keep the old ones (its 5 s of reuse would give new cases the old limit)."""
    province(session)
    session.commit()
    limit(session, O_GA, 5)
    with Session(db) as other:  # sees the committed tree: 3 days still
        assert clock.policy(other).duration("resolve", "normal", O_GA) == cal.WorkingDays(3)
    session.commit()
    with Session(db) as other:
        assert clock.policy(other).duration("resolve", "normal", O_GA) == cal.WorkingDays(5)
