"""Workflow steps as an IOC operator and a reporter expect them: an extension gives exactly the
working days approved and only before the deadline (decision 0013), every public step that ends
or reopens a case reaches the reporters (merged duplicates' too), a transfer names both units,
and triage can place a case in its commune."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.errors import IocError
from iocvn.core.timeutil import LOCAL_TZ, utcnow
from iocvn.feedback import calendar as cal
from iocvn.feedback import clock, jobs, workflow
from iocvn.feedback.intake import Submitted
from iocvn.feedback.models import ClockPause, Feedback, FeedbackEvent
from iocvn.notify.models import Notification
from iocvn.org.models import OrgUnit
from tests.factories.auth import bearer
from tests.factories.feedback import province, report, staff_headers
from tests.feedback.test_pages import login

OP = Actor("dieuhanh", "20")
PROVINCE = OrgScope("province", "20", "20")
EN = {"Accept-Language": "en"}
DAY = timedelta(hours=7, minutes=30)  # one working day of working time (07:30–11:30, 13:30–17:00)


def local(day: int, hour: int, minute: int = 0, month: int = 12) -> datetime:
    """An instant of 2026 in Hà Nội time."""
    return datetime(2026, month, day, hour, minute, tzinfo=LOCAL_TZ)


# --- extensions ------------------------------------------------------------------------------


def _due_monday(session: Session, priority: str | None = None) -> Feedback:
    """A pothole case accepted Tuesday 01/12/2026 after hours: its 3 working days run from
    Wednesday, so it is due Monday 07/12 17:00."""
    province(session)
    case = report(session, now=local(1, 9)).case
    workflow.accept(session, get_settings(), OP, case, priority=priority, now=local(1, 18))
    assert case.deadline_at == local(7, 17)
    return case


@pytest.mark.parametrize(
    "approved",
    [
        local(2, 6, 17),  # before opening: the audit's case (it gave 3 days, to 10/12)
        local(2, 10),  # mid-morning
        local(2, 12),  # lunch break
        local(2, 16, 59),  # a minute before closing
        local(2, 19),  # after hours
        local(5, 9),  # Saturday
        local(7, 16),  # the last working hour before the deadline
    ],
)
def test_an_extension_moves_the_deadline_by_exactly_its_working_days(
    session: Session, approved: datetime
) -> None:
    case = _due_monday(session)
    workflow.extend(session, OP, case, working_days=2, reason="Chờ vật liệu.", now=approved)
    assert case.deadline_at == local(9, 17)  # Wednesday 09/12 17:00, whatever the hour
    pause = session.execute(select(ClockPause)).scalar_one()
    calendar = clock.work_calendar(session, approved)
    assert cal.working_time_between(calendar, pause.starts_at, pause.ends_at) == 2 * DAY
    event = session.execute(
        select(FeedbackEvent).where(FeedbackEvent.feedback_id == case.id,
                                    FeedbackEvent.kind == "extended")
    ).scalar_one()  # fmt: skip
    assert event.data["working_days"] == 2
    assert datetime.fromisoformat(event.data["deadline_from"]) == local(7, 17)
    assert datetime.fromisoformat(event.data["deadline"]) == local(9, 17)


def test_an_extension_of_a_deadline_inside_a_day_keeps_its_hour(session: Session) -> None:
    # Urgent: 4 working hours from Wednesday 09:00 → 15:00; one working day later → Thursday.
    province(session)
    case = report(session, now=local(2, 8)).case
    workflow.accept(session, get_settings(), OP, case, priority="urgent", now=local(2, 9))
    assert case.deadline_at == local(2, 15)
    workflow.extend(session, OP, case, working_days=1, reason="Chờ xe cẩu.", now=local(2, 10))
    assert case.deadline_at == local(3, 15)


def test_two_extensions_add_up(session: Session) -> None:
    case = _due_monday(session)
    workflow.extend(session, OP, case, working_days=2, reason="Chờ vật liệu.", now=local(2, 10))
    # The second one, approved while the first still holds the clock, adds its own days.
    workflow.extend(session, OP, case, working_days=1, reason="Mưa lớn.", now=local(3, 10))
    assert case.deadline_at == local(10, 17)  # Monday 07/12 + 3 working days


def test_a_late_case_is_not_extended_and_stays_late(session: Session) -> None:
    case = _due_monday(session)
    late = local(8, 9)
    with pytest.raises(IocError) as refused:
        workflow.extend(session, OP, case, working_days=5, reason="Chờ vật liệu.", now=late)
    error = refused.value
    assert (error.code, error.status) == ("extension_after_deadline", 409)
    assert error.details == {"field": "working_days", "deadline": "2026-12-07T10:00:00+00:00"}
    assert case.deadline_at == local(7, 17)
    assert not session.execute(select(ClockPause)).scalars().all()
    kinds = session.execute(
        select(FeedbackEvent.kind).where(FeedbackEvent.feedback_id == case.id)
    ).scalars()
    assert "extended" not in list(kinds)


@pytest.fixture
def staff(session: Session) -> dict[str, dict[str, str]]:
    """Lạng Sơn, the IOC's operator and Đông Kinh's and Tam Thanh's officers."""
    return staff_headers(session, "operator", "commune", "tam_thanh")


def test_extending_an_overdue_case_says_why_not(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    weeks_ago = utcnow() - timedelta(days=60)
    case = report(session, now=weeks_ago).case
    workflow.accept(session, get_settings(), OP, case, now=weeks_ago)
    deadline = case.deadline_at
    assert deadline is not None and deadline < utcnow()
    session.commit()
    url = f"/api/v1/feedback/{case.code}/extend"
    body = {"working_days": 5, "reason": "Chờ vật liệu."}
    vi = client.post(url, json=body, headers=staff["operator"])
    assert vi.status_code == 409, vi.text
    assert vi.json()["error"] == "extension_after_deadline"
    shown = deadline.astimezone(LOCAL_TZ).strftime("%d/%m/%Y %H:%M")
    assert vi.json()["message"] == (
        f"Phản ánh đã quá hạn xử lý (hạn {shown}): chỉ gia hạn được trước khi hết hạn. Phản ánh "
        "quá hạn được chuyển lên IOC và lãnh đạo tỉnh theo dõi; đơn vị cần xử lý và báo cáo "
        "kết quả ngay."
    )
    en = client.post(url, json=body, headers=staff["operator"] | EN).json()["message"]
    assert en.startswith(f"The case's deadline ({shown}) has passed") and "escalated" in en
    for text in (vi.json()["message"], en):
        assert "{" not in text and "}" not in text
    session.refresh(case)
    assert case.deadline_at == deadline
    # The case page says so instead of offering a form that would do nothing.
    login(client, session, "ioc2", "operator", "20")
    page = client.get(f"/feedback/{case.code}")
    assert 'id="extend-overdue"' in page.text and f"/feedback/{case.code}/extend" not in page.text
    note = page.text[page.text.index('id="extend-overdue"') :]
    note = note[: note.index("</p>")]
    assert f"(hạn {shown}): chỉ gia hạn được trước khi hết hạn" in note and "{" not in note


# --- updates to the reporters ----------------------------------------------------------------


def _updates(session: Session, case: Feedback) -> list[str]:
    """The bodies of the updates queued for ``case``'s reporter, oldest first."""
    stmt = select(Notification.body).where(Notification.reference == case.id,
                                           Notification.purpose == "feedback.update")  # fmt: skip
    return list(session.execute(stmt.order_by(Notification.created_at, Notification.id)).scalars())


def _resolved_with_a_duplicate(session: Session) -> tuple[Submitted, Feedback]:
    """A resolved case whose reporter wants e-mails, and a duplicate merged into it whose
    reporter wants SMS."""
    province(session)
    main = report(session, email="hoa.nt@example.vn", notify_by="email")
    dup = report(session, notify_by="sms").case
    workflow.merge(session, get_settings(), OP, dup, main.case)
    workflow.accept(session, get_settings(), OP, main.case)
    workflow.resolve(session, get_settings(), OP, PROVINCE, main.case, answer="Đã vá ổ gà.")
    return main, dup


def test_not_fixed_reaches_the_duplicates_reporters_not_the_one_who_said_it(
    session: Session,
) -> None:
    main, dup = _resolved_with_a_duplicate(session)
    own, others = len(_updates(session, main.case)), len(_updates(session, dup))
    workflow.confirm(session, get_settings(), main.case, secret=main.secret, fixed=False,
                     comment="Ổ gà vẫn còn.")  # fmt: skip
    assert len(_updates(session, main.case)) == own
    told = _updates(session, dup)
    assert len(told) == others + 1
    assert f"Phản ánh {dup.code} của bạn: Đang xử lý." in told[-1]
    assert "chưa được xử lý xong: phản ánh được mở lại" in told[-1]
    assert "Ổ gà vẫn còn." in told[-1] and "{" not in told[-1]


def test_fixed_reaches_the_duplicates_reporters(session: Session) -> None:
    main, dup = _resolved_with_a_duplicate(session)
    own = len(_updates(session, main.case))
    workflow.confirm(session, get_settings(), main.case, secret=main.secret, fixed=True)
    assert len(_updates(session, main.case)) == own
    assert "xác nhận vấn đề được xử lý xong" in _updates(session, dup)[-1]


def test_a_close_by_staff_reaches_every_reporter(client: TestClient, session: Session) -> None:
    main, dup = _resolved_with_a_duplicate(session)
    head = bearer(session, "dieuhanh", "operator", "20")
    session.commit()
    before = len(_updates(session, main.case)), len(_updates(session, dup))
    closed = client.post(f"/api/v1/feedback/{main.case.code}/close",
                         json={"text": "Đã kiểm tra tại chỗ."}, headers=head)  # fmt: skip
    assert closed.status_code == 200, closed.text
    after = _updates(session, main.case), _updates(session, dup)
    assert (len(after[0]), len(after[1])) == (before[0] + 1, before[1] + 1)
    assert f"Phản ánh {main.case.code} của bạn: Đã đóng." in after[0][-1]
    assert "kết thúc với kết quả xử lý đơn vị đã báo cáo" in after[0][-1]
    assert "Đã kiểm tra tại chỗ." in after[0][-1]
    assert f"/phan-anh/{dup.code}" in after[1][-1]


def test_the_seven_day_close_reaches_every_reporter(session: Session) -> None:
    main, dup = _resolved_with_a_duplicate(session)
    resolved_at = main.case.resolved_at
    assert resolved_at is not None
    before = len(_updates(session, main.case)), len(_updates(session, dup))
    assert jobs.auto_close(session, resolved_at + timedelta(days=7, minutes=1)) == 1
    assert (main.case.status, main.case.outcome) == ("closed", "fixed")
    for case, count in ((main.case, before[0]), (dup, before[1])):
        told = _updates(session, case)
        assert len(told) == count + 1
        assert "sau 7 ngày kể từ khi đơn vị báo cáo kết quả xử lý" in told[-1]
    event = session.execute(
        select(FeedbackEvent).where(FeedbackEvent.feedback_id == main.case.id,
                                    FeedbackEvent.kind == "closed")
    ).scalar_one()  # fmt: skip
    assert (event.public, event.data, event.actor) == (True, {"auto": True}, "feedback-jobs")
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "feedback.close")
    ).scalar_one()
    assert entry.after is not None and entry.after["auto"] is True


def test_a_merge_tells_the_reporters_of_the_cases_that_follow(session: Session) -> None:
    province(session)
    first = report(session, notify_by="sms").case
    middle = report(session, email="lan@example.vn", notify_by="email").case
    main = report(session).case
    workflow.merge(session, get_settings(), OP, first, middle)
    workflow.merge(session, get_settings(), OP, middle, main)
    for case in (first, middle):
        told = _updates(session, case)[-1]
        assert f"trùng với phản ánh {main.code} và đã được gộp vào đó" in told
        assert f"/phan-anh/{case.code}" in told


# --- transfers -------------------------------------------------------------------------------


def test_a_transfer_reads_from_which_unit_to_which(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = report(session, category="dat_dai").case
    workflow.accept(session, get_settings(), OP, case, org_code="20.SNNMT")
    workflow.transfer(session, get_settings(), OP, PROVINCE, case, org_code="05977",
                      reason="Việc lấn chiếm vỉa hè do phường xử lý.")  # fmt: skip
    session.commit()
    event = session.execute(
        select(FeedbackEvent).where(FeedbackEvent.feedback_id == case.id,
                                    FeedbackEvent.kind == "transferred")
    ).scalar_one()  # fmt: skip
    assert (event.data["from_org"], event.data["to_org"]) == ("20.SNNMT", "05977")
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "feedback.transfer")
    ).scalar_one()
    assert entry.after is not None
    assert (entry.after["from_org"], entry.after["org_code"]) == ("20.SNNMT", "05977")
    public = client.get(f"/phan-anh/{case.code}").text
    line = public[public.index('data-kind="transferred"') :]
    line = line[: line.index("</li>")]
    assert "Chuyển xử lý</strong> · từ Sở Nông nghiệp và Môi trường → Phường Đông Kinh" in line
    assert line.count("Phường Đông Kinh") == 1
    client.cookies.set("iocvn_lang", "en")  # pages take the language switch's cookie
    english = client.get(f"/phan-anh/{case.code}").text
    client.cookies.delete("iocvn_lang")
    assert "from Sở Nông nghiệp và Môi trường → Phường Đông Kinh" in english
    login(client, session, "ioc2", "operator", "20")
    staff_page = client.get(f"/feedback/{case.code}").text
    line = staff_page[staff_page.index('data-kind="transferred"') :]
    assert "từ Sở Nông nghiệp và Môi trường → Phường Đông Kinh" in line[: line.index("</li>")]


def test_a_transfer_outside_the_system_names_both_ends(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = report(session, category="dat_dai").case
    workflow.accept(session, get_settings(), OP, case, org_code="20.SNNMT")
    workflow.transfer(session, get_settings(), OP, PROVINCE, case, outside_body="Bộ Công an",
                      reason="Thuộc thẩm quyền của Bộ.")  # fmt: skip
    session.commit()
    public = client.get(f"/phan-anh/{case.code}").text
    assert "từ Sở Nông nghiệp và Môi trường → Bộ Công an" in public


# --- the commune at triage -------------------------------------------------------------------


def _hotline_case(session: Session) -> Feedback:
    """A hotline call whose address names no commune: no place, no unit of its own."""
    case = report(session, channel="hotline", lat=None, lon=None,
                  address="Ngõ 12, gần chợ cũ").case  # fmt: skip
    session.commit()
    assert case.area_code is None
    return case


def test_triage_places_a_case_in_its_commune(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = _hotline_case(session)
    url = f"/api/v1/feedback/{case.code}"
    assert client.get(url, headers=staff["tam_thanh"]).status_code == 404
    done = client.post(f"{url}/accept", json={"org_unit": "20.SXD", "area": "05986"},
                       headers=staff["operator"])  # fmt: skip
    assert done.status_code == 200, done.text
    assert (done.json()["area"], done.json()["org_unit"]) == ("05986", "20.SXD")
    # Now in Tam Thanh's statistics, map and reach (a commune sees what happens in it).
    assert client.get(url, headers=staff["tam_thanh"]).status_code == 200
    accepted = [e for e in client.get(url, headers=staff["operator"]).json()["timeline"]
                if e["kind"] == "accepted"]  # fmt: skip
    assert accepted[0]["data"]["area"] == "05986" and accepted[0]["data"]["area_from"] is None
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "feedback.accept")
    ).scalar_one()
    assert entry.after is not None
    assert (entry.after["area"], entry.after["area_from"]) == ("05986", None)


@pytest.mark.parametrize(
    "code",
    ["99999", "20.SYT", "20", "05999", "01234"],  # unknown, an agency, the province, retired,
)  # another province's commune
def test_triage_refuses_a_place_that_is_not_a_current_commune(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session, code: str
) -> None:
    session.add(OrgUnit(code="05999", name="Phường Vĩnh Trại", level="commune",
                        province_code="20", valid_from=date(2000, 1, 1),
                        valid_to=date(2025, 6, 30)))  # fmt: skip
    session.add(OrgUnit(code="01234", name="Phường Ba Đình", level="commune",
                        province_code="01", valid_from=date(2025, 7, 1)))  # fmt: skip
    case = _hotline_case(session)
    url = f"/api/v1/feedback/{case.code}/accept"
    refused = client.post(url, json={"org_unit": "20.SXD", "area": code},
                          headers=staff["operator"])  # fmt: skip
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "unknown_commune"
    assert refused.json()["details"] == {"field": "area", "code": code}
    assert refused.json()["message"] == (
        f"{code} không phải mã của một xã, phường hiện hành của tỉnh."
    )
    en = client.post(url, json={"area": code}, headers=staff["operator"] | EN).json()["message"]
    assert en == f"{code} is not the code of a current commune of the province."
    session.refresh(case)
    assert (case.status, case.area_code) == ("received", None)


def test_the_accept_form_offers_the_provinces_communes(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = _hotline_case(session)
    csrf = login(client, session, "ioc2", "operator", "20")
    page = client.get(f"/feedback/{case.code}").text
    form = page[page.index('id="accept-area"') :]
    form = form[: form.index("</select>")]
    assert '<option value="05986"' in form and "Phường Tam Thanh" in form
    assert "20.SYT" not in form  # communes only
    done = client.post(f"/feedback/{case.code}/accept",
                       data={"csrf_token": csrf, "category": "giao_thong.o_ga",
                             "org_unit": "20.SXD", "priority": "normal", "area": "05986"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    session.refresh(case)
    assert (case.status, case.area_code) == ("assigned", "05986")
    page = client.get(f"/feedback/{case.code}").text
    line = page[page.index('data-kind="accepted"') :]
    assert "Xã, phường: Phường Tam Thanh" in line[: line.index("</li>")]
