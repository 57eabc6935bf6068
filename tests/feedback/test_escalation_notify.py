"""Escalation notices: a case past its deadline e-mails the province IOC's operators (and, the
first time, its own unit's officers), later the province's leaders; each level once, only to
active accounts with an address in the right units, never with the reporter's data."""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.auth import service as users
from iocvn.config import get_settings
from iocvn.core.crypto import decrypt
from iocvn.feedback import clock, jobs
from iocvn.feedback.escalation import PURPOSE, lateness
from iocvn.feedback.models import Feedback, FeedbackEvent
from iocvn.notify.models import Notification
from tests.factories.auth import ADMIN_ACTOR
from tests.factories.feedback import province, report

RECEIVED = datetime(2026, 4, 1, 2, 0, tzinfo=UTC)  # Wednesday 09:00 in Hà Nội
# Accepting takes 8 working hours: due Thursday 09:30; the leaders' turn comes half a stage
# (4 working hours) later, Thursday 15:30.
TO_IOC = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)  # Thursday 10:00, 30 minutes late
TO_LEADERS = datetime(2026, 4, 2, 9, 0, tzinfo=UTC)  # Thursday 16:00
REPORTER = {"name": "Nguyễn Thị Hoa", "phone": "0912 345 678", "email": "hoa.nt@example.vn"}
DESCRIPTION = "Ổ gà lớn trước nhà số 12 phố Bà Triệu, xe máy đi qua rất dễ ngã, đề nghị sửa."

# username: (role, unit, e-mail); the last ones must never hear of the case.
PEOPLE = {
    "dieuhanh.ioc": ("operator", "20", "dieuhanh@langson.gov.vn"),
    "lanhdao.tinh": ("leader", "20", "lanhdao@langson.gov.vn"),
    "canbo.dongkinh": ("commune_officer", "05977", "canbo.dk@langson.gov.vn"),
    "dieuhanh.khongthu": ("operator", "20", None),
    "dieuhanh.danghi": ("operator", "20", "danghi@langson.gov.vn"),
    "dieuhanh.tamthanh": ("operator", "05986", "tamthanh@langson.gov.vn"),
    "canbo.soxaydung": ("agency_officer", "20.SXD", "sxd@langson.gov.vn"),
    "lanhdao.dongkinh": ("leader", "05977", "lanhdao.dk@langson.gov.vn"),
}
IOC, LEADER, UNIT = "dieuhanh@langson.gov.vn", "lanhdao@langson.gov.vn", "canbo.dk@langson.gov.vn"


@pytest.fixture
def late_case(session: Session) -> Feedback:
    """Lạng Sơn with its staff, and a pothole at Đông Kinh (handled there) received at 09:00."""
    province(session)
    for username, (role, org, email) in PEOPLE.items():
        users.create_user(
            session,
            ADMIN_ACTOR,
            users.NewUser(username, role, org, None, username.title(), email),
        )
    users.revoke_user(session, ADMIN_ACTOR, users.get_user(session, "dieuhanh.danghi"))
    case = report(session, DESCRIPTION, now=RECEIVED, notify_by="email", **REPORTER).case
    session.commit()
    assert case.org_code == "05977" and case.escalation == "unit"
    return case


def escalation_mails(session: Session) -> list[Notification]:
    """Every queued escalation e-mail, oldest first."""
    stmt = select(Notification).where(Notification.purpose == PURPOSE)
    return list(session.execute(stmt.order_by(Notification.created_at, Notification.id)).scalars())


def notices(session: Session, *, besides: Collection[str] = ()) -> dict[str, Notification]:
    """The escalation e-mails (but those ``besides``) by (decrypted) address; fails on two
    to one address."""
    found: dict[str, Notification] = {}
    for row in escalation_mails(session):
        if row.id in besides:
            continue
        address = decrypt(row.destination, get_settings().data_keys)
        assert address not in found, f"two notices to {address}"
        found[address] = row
    return found


def test_reaching_the_ioc_emails_its_operators_and_the_unit(
    session: Session, late_case: Feedback
) -> None:
    assert jobs.escalate(session, TO_IOC) == 1
    session.commit()
    assert late_case.escalation == "ioc"
    sent = notices(session)
    assert set(sent) == {IOC, UNIT}
    for row in sent.values():
        assert (row.channel, row.status, row.reference) == ("email", "pending", late_case.id)
        assert late_case.code in row.subject and "quá hạn" in row.subject
        assert row.body.index("Phản ánh") < row.body.index("Case")  # Vietnamese first
        for fact in (
            f"Phản ánh {late_case.code} đã quá hạn tiếp nhận 30 phút",
            "chuyển Trung tâm IOC theo dõi",
            "Lĩnh vực: Ổ gà, hư hỏng mặt đường",
            "Đơn vị xử lý: Phường Đông Kinh",
            "Hạn tiếp nhận: 02/04/2026 09:30",
            f"Xem phản ánh: http://127.0.0.1:8000/feedback/{late_case.code}",
            f"Case {late_case.code} is overdue for acceptance by 30 minute(s)",
            "Category: Potholes and damaged road surface",
        ):
            assert fact in row.body
    assert sent[IOC].org_code == "20" and sent[UNIT].org_code == "05977"
    assert "đôn đốc đơn vị xử lý" in sent[IOC].body
    assert "Đề nghị đơn vị xử lý ngay" in sent[UNIT].body
    # The timeline and the audit log record the escalation as before.
    event = session.execute(
        select(FeedbackEvent).where(
            FeedbackEvent.feedback_id == late_case.id, FeedbackEvent.kind == "escalated"
        )
    ).scalar_one()
    assert event.data == {"from": "unit", "to": "ioc"}
    audited = session.execute(
        select(AuditEntry).where(AuditEntry.action == "feedback.escalate")
    ).scalar_one()
    assert audited.target_id == late_case.id


def test_each_level_is_announced_once(session: Session, late_case: Feedback) -> None:
    jobs.escalate(session, TO_IOC)
    session.commit()
    for minutes in (5, 10, 60):  # the job runs every 5 minutes
        assert jobs.escalate(session, TO_IOC + timedelta(minutes=minutes)) == 0
    session.commit()
    assert len(notices(session)) == 2


def test_reaching_the_leaders_emails_them_and_the_ioc_again(
    session: Session, late_case: Feedback
) -> None:
    jobs.escalate(session, TO_IOC)
    session.commit()
    first = {row.id for row in escalation_mails(session)}
    assert jobs.escalate(session, TO_LEADERS) == 1
    session.commit()
    assert late_case.escalation == "leadership"
    sent = notices(session, besides=first)
    assert set(sent) == {LEADER, IOC}  # the unit heard at the first escalation
    assert sent[LEADER].org_code == "20"
    assert "chuyển lãnh đạo tỉnh theo dõi" in sent[LEADER].body
    assert "Kính báo cáo lãnh đạo tỉnh để chỉ đạo." in sent[LEADER].body
    assert "escalated to the province's leaders" in sent[LEADER].body
    assert "6 giờ" in sent[LEADER].body and "6 hour(s)" in sent[LEADER].body  # 09:30 → 15:30+
    assert jobs.escalate(session, TO_LEADERS + timedelta(days=3)) == 0
    assert len(escalation_mails(session)) == 4


def test_a_case_found_late_for_the_leaders_tells_everyone_once(
    session: Session, late_case: Feedback
) -> None:
    assert jobs.escalate(session, TO_LEADERS) == 1  # the job did not run in between
    session.commit()
    sent = notices(session)
    assert set(sent) == {LEADER, IOC, UNIT}
    assert "Đề nghị đơn vị xử lý ngay" in sent[UNIT].body


def test_notices_never_carry_the_reporters_data(session: Session, late_case: Feedback) -> None:
    jobs.escalate(session, TO_IOC)
    jobs.escalate(session, TO_LEADERS)
    session.commit()
    mails = escalation_mails(session)
    assert len(mails) == 4  # the unit and the IOC, then the leaders and the IOC again
    for row in mails:
        text = f"{row.subject}\n{row.body}".lower()
        for secret in (
            "nguyễn thị hoa", "hoa.nt", "0912", "345 678", "345678", "912345678",
            "bà triệu", "nhà số 12",
        ):  # fmt: skip
            assert secret not in text


def test_nobody_with_an_address_still_records_the_escalation(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    province(session)
    users.create_user(
        session, ADMIN_ACTOR, users.NewUser("dieuhanh", "operator", "20", None, "Điều hành")
    )
    case = report(session, now=RECEIVED).case
    session.commit()
    with caplog.at_level(logging.WARNING, logger="iocvn.feedback"):
        assert jobs.escalate(session, TO_IOC) == 1
    session.commit()
    assert case.escalation == "ioc"
    assert notices(session) == {}
    event = session.execute(select(FeedbackEvent).where(FeedbackEvent.kind == "escalated"))
    assert event.scalar_one().data == {"from": "unit", "to": "ioc"}
    audited = session.execute(select(AuditEntry).where(AuditEntry.action == "feedback.escalate"))
    assert audited.scalar_one().target_id == case.id
    assert any(r.levelname == "WARNING" and "nobody" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("delta", "vi", "en"),
    [
        (timedelta(seconds=20), "1 phút", "1 minute(s)"),
        (timedelta(minutes=30), "30 phút", "30 minute(s)"),
        (timedelta(hours=6, minutes=59), "6 giờ", "6 hour(s)"),
        (timedelta(days=2, hours=3, minutes=5), "2 ngày 3 giờ", "2 day(s) 3 hour(s)"),
        (timedelta(days=1), "1 ngày", "1 day(s)"),
    ],
)
def test_lateness_is_said_in_days_hours_or_minutes(delta: timedelta, vi: str, en: str) -> None:
    assert (lateness(delta, "vi"), lateness(delta, "en")) == (vi, en)


@pytest.mark.postgres_only
def test_a_level_raised_meanwhile_by_another_run_is_not_announced_again(
    session: Session, late_case: Feedback, db: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_state = clock.state

    def another_run_first(*args: Any, **kwargs: Any) -> Any:
        """Between this run's reading and its update, another run raises the level."""
        with Session(db) as other, other.begin():
            other.execute(
                update(Feedback).where(Feedback.id == late_case.id).values(escalation="ioc")
            )
        return real_state(*args, **kwargs)

    monkeypatch.setattr(clock, "state", another_run_first)
    assert jobs.escalate(session, TO_IOC) == 0
    session.commit()
    assert notices(session) == {}
    assert (
        session.execute(select(FeedbackEvent).where(FeedbackEvent.kind == "escalated")).all() == []
    )
