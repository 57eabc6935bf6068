"""Extension requests (đề nghị gia hạn): the handling unit asks before the deadline, the IOC
approves (the days asked or fewer) or refuses; each step audited, on the timeline, the unit
told by e-mail; the IOC's inbox lists the waiting requests; the table and its migration."""

from __future__ import annotations

import logging
import re
from datetime import datetime, timedelta

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, inspect, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.auth import service as users
from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.crypto import decrypt
from iocvn.core.errors import IocError
from iocvn.core.i18n import t
from iocvn.core.timeutil import LOCAL_TZ, utcnow
from iocvn.db import alembic_config
from iocvn.feedback import extensions, workflow
from iocvn.feedback.models import ExtensionRequest, Feedback, FeedbackEvent
from iocvn.migrations.metadata import metadata
from iocvn.notify.models import Notification
from tests.factories.auth import ADMIN_ACTOR, bearer
from tests.factories.feedback import TAM_THANH, province, report
from tests.feedback.test_pages import login

OP = Actor("dieuhanh", "20")
UNIT = Actor("dongkinh", "05977")
PROVINCE = OrgScope("province", "20", "20")
DONG_KINH = OrgScope("commune", "05977", "20")
TAM_THANH_SCOPE = OrgScope("commune", "05986", "20")
EN = {"Accept-Language": "en"}
REASON = "Chờ vật liệu nhựa đường từ nhà cung cấp, dự kiến về sau 3 ngày."


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant of December 2026 in Hà Nội time."""
    return datetime(2026, 12, day, hour, minute, tzinfo=LOCAL_TZ)


def _no_braces(*texts: str) -> None:
    for each in texts:
        assert "{" not in each and "}" not in each, each


def _events(session: Session, case: Feedback) -> list[FeedbackEvent]:
    stmt = select(FeedbackEvent).where(FeedbackEvent.feedback_id == case.id)
    return list(session.execute(stmt.order_by(FeedbackEvent.at, FeedbackEvent.id)).scalars())


def _actions(session: Session) -> list[str]:
    stmt = select(AuditEntry.action).where(AuditEntry.action.like("feedback.ext%"))
    return sorted(session.execute(stmt).scalars())


def _mails(session: Session) -> dict[str, Notification]:
    stmt = select(Notification).where(Notification.purpose == extensions.PURPOSE)
    keys = get_settings().data_keys
    return {decrypt(n.destination, keys): n for n in session.execute(stmt).scalars()}


# --- the service ---------------------------------------------------------------------------


@pytest.fixture
def due_monday(session: Session) -> Feedback:
    """A pothole at Đông Kinh (handled by the commune) accepted Tuesday 01/12/2026 after hours:
    due Monday 07/12 17:00; Đông Kinh's officer and an IOC operator have e-mail addresses."""
    province(session)
    for username, role, org, email in (
        ("canbo.dongkinh", "commune_officer", "05977", "canbo.dk@langson.gov.vn"),
        ("khongthu.dongkinh", "commune_officer", "05977", None),
        ("dieuhanh.ioc", "operator", "20", "dieuhanh@langson.gov.vn"),
        ("canbo.tamthanh", "commune_officer", "05986", "canbo.tt@langson.gov.vn"),
    ):
        users.create_user(
            session, ADMIN_ACTOR, users.NewUser(username, role, org, None, username.title(), email)
        )
    case = report(session, now=local(1, 9)).case
    workflow.accept(session, get_settings(), OP, case, now=local(1, 18))
    assert (case.org_code, case.status, case.deadline_at) == ("05977", "assigned", local(7, 17))
    return case


def test_a_request_approved_for_fewer_days_moves_the_deadline_and_tells_the_unit(
    session: Session, due_monday: Feedback
) -> None:
    case = due_monday
    asked = extensions.request(
        session, UNIT, DONG_KINH, case, working_days=3, reason=REASON, now=local(2, 10)
    )
    assert (asked.status, asked.working_days, asked.org_code) == ("pending", 3, "05977")
    assert case.deadline_at == local(7, 17)  # asking changes nothing yet
    assert extensions.pending(session, case) is asked
    done = extensions.approve(session, OP, PROVINCE, case, working_days=2, now=local(3, 10))
    assert (done.status, done.approved_days, done.decided_by) == ("approved", 2, "dieuhanh")
    assert case.deadline_at == local(9, 17)  # two working days, not three
    assert extensions.pending(session, case) is None
    kinds = [(e.kind, e.public) for e in _events(session, case)]
    # The approval's two events share its instant: their order between them is not fixed.
    assert kinds[-3] == ("extension_requested", False)
    assert sorted(kinds[-2:]) == [("extended", True), ("extension_approved", False)]
    by_kind = {e.kind: e for e in _events(session, case)}
    assert by_kind["extension_requested"].public is False
    assert by_kind["extension_requested"].text == REASON
    assert by_kind["extension_requested"].data["working_days"] == 3
    assert by_kind["extended"].public is True and by_kind["extended"].text == REASON
    assert by_kind["extended"].data["working_days"] == 2
    approved = by_kind["extension_approved"]
    assert approved.public is False
    assert (approved.data["asked"], approved.data["working_days"]) == (3, 2)
    assert _actions(session) == [
        "feedback.extend",
        "feedback.extension_approve",
        "feedback.extension_request",
    ]
    # Đông Kinh's officers with an address are told the decision (the IOC was told the request).
    mails = _mails(session)
    assert set(mails) == {"canbo.dk@langson.gov.vn", "dieuhanh@langson.gov.vn"}
    mail = mails["canbo.dk@langson.gov.vn"]
    assert mail.reference == case.id and mail.channel == "email"
    assert case.code in mail.subject and "chấp thuận" in mail.subject
    assert mail.body.index("Trung tâm IOC đã chấp thuận") < mail.body.index("The IOC approved")
    for fact in (
        "2 ngày làm việc (đơn vị đề nghị 3 ngày)",
        "Hạn giải quyết mới: 09/12/2026 17:00",
        f"/feedback/{case.code}",
        "2 working day(s) (the unit asked for 3)",
    ):
        assert fact in mail.body
    _no_braces(mail.subject, mail.body)
    assert "0912" not in mail.body and "Nguyễn Thị Hoa" not in mail.body


def test_the_ioc_note_replaces_the_units_reason_on_the_public_timeline(
    session: Session, due_monday: Feedback
) -> None:
    extensions.request(
        session, UNIT, DONG_KINH, due_monday, working_days=2, reason=REASON, now=local(2, 10)
    )
    extensions.approve(session, OP, PROVINCE, due_monday, note="Chờ vật liệu.", now=local(2, 11))
    assert due_monday.deadline_at == local(9, 17)  # the days asked
    extended = [e for e in _events(session, due_monday) if e.kind == "extended"]
    assert [e.text for e in extended] == ["Chờ vật liệu."]


def test_a_refusal_keeps_the_deadline_tells_the_unit_why_and_allows_a_new_request(
    session: Session, due_monday: Feedback
) -> None:
    case = due_monday
    extensions.request(
        session, UNIT, DONG_KINH, case, working_days=5, reason=REASON, now=local(2, 10)
    )
    why = "Vật liệu có sẵn tại kho của Sở Xây dựng, đề nghị liên hệ."
    done = extensions.refuse(session, OP, PROVINCE, case, reason=why, now=local(2, 14))
    assert (done.status, done.decision_note) == ("refused", why)
    assert case.deadline_at == local(7, 17)
    refused = [e for e in _events(session, case) if e.kind == "extension_refused"]
    assert [(e.public, e.text) for e in refused] == [(False, why)]
    assert "extended" not in [e.kind for e in _events(session, case)]
    assert _actions(session) == ["feedback.extension_refuse", "feedback.extension_request"]
    mail = _mails(session)["canbo.dk@langson.gov.vn"]
    assert "không được chấp thuận" in mail.subject
    for fact in (
        f"Lý do không chấp thuận: {why}",
        "Hạn giải quyết giữ nguyên: 07/12/2026 17:00",
        f"- Why: {why}",
    ):
        assert fact in mail.body
    _no_braces(mail.subject, mail.body)
    again = extensions.request(
        session,
        UNIT,
        DONG_KINH,
        case,
        working_days=1,
        reason="Mưa lớn kéo dài, không thể thảm nhựa.",
        now=local(3, 9),
    )
    assert again.status == "pending"


def test_one_request_waits_at_a_time(session: Session, due_monday: Feedback) -> None:
    extensions.request(
        session, UNIT, DONG_KINH, due_monday, working_days=3, reason=REASON, now=local(2, 10)
    )
    with pytest.raises(IocError) as refused:
        extensions.request(
            session, UNIT, DONG_KINH, due_monday, working_days=1, reason=REASON, now=local(2, 11)
        )
    error = refused.value
    assert (error.code, error.status) == ("extension_request_pending", 409)
    assert error.params == {"days": 3, "at": "02/12/2026 10:00"}
    # The table itself keeps one waiting request per case (two requests sent at once).
    session.add(
        ExtensionRequest(
            feedback_id=due_monday.id,
            working_days=1,
            reason=REASON,
            org_code="05977",
            requested_by="x",
        )
    )
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_decided_requests_do_not_count_as_waiting(session: Session, due_monday: Feedback) -> None:
    for status in ("approved", "refused", "lapsed"):
        session.add(
            ExtensionRequest(
                feedback_id=due_monday.id,
                status=status,
                working_days=1,
                reason=REASON,
                org_code="05977",
                requested_by="x",
            )
        )
    session.flush()
    assert extensions.pending(session, due_monday) is None


def test_past_the_deadline_nothing_is_asked_nor_approved_but_it_can_be_refused(
    session: Session, due_monday: Feedback
) -> None:
    case = due_monday
    with pytest.raises(IocError) as late:
        extensions.request(
            session, UNIT, DONG_KINH, case, working_days=2, reason=REASON, now=local(8, 9)
        )
    assert (late.value.code, late.value.status) == ("extension_after_deadline", 409)
    assert extensions.pending(session, case) is None
    extensions.request(
        session, UNIT, DONG_KINH, case, working_days=2, reason=REASON, now=local(7, 16)
    )
    with pytest.raises(IocError) as too_late:
        extensions.approve(session, OP, PROVINCE, case, now=local(8, 9))
    assert too_late.value.code == "extension_after_deadline"
    assert case.deadline_at == local(7, 17)
    assert extensions.pending(session, case) is not None  # still waiting: the IOC refuses it
    extensions.refuse(
        session, OP, PROVINCE, case, reason="Đã quá hạn, đề nghị xử lý ngay.", now=local(8, 10)
    )
    assert extensions.pending(session, case) is None


@pytest.mark.parametrize("step", ["resolve", "transfer", "reject", "merge"])
def test_a_waiting_request_lapses_when_the_case_leaves_the_unit(
    session: Session, due_monday: Feedback, step: str
) -> None:
    case = due_monday
    asked = extensions.request(
        session, UNIT, DONG_KINH, case, working_days=2, reason=REASON, now=local(2, 10)
    )
    settings = get_settings()
    if step == "resolve":
        workflow.resolve(session, settings, UNIT, DONG_KINH, case, answer="Đã vá xong ổ gà.")
    elif step == "transfer":
        workflow.transfer(
            session,
            settings,
            UNIT,
            DONG_KINH,
            case,
            org_code="20.SXD",
            reason="Đường tỉnh do Sở Xây dựng quản lý.",
        )
    elif step == "reject":
        workflow.reject(session, settings, OP, case, reason="Không phải phản ánh.")
    else:
        main = report(session, "Ổ gà lớn giữa đường, xe máy dễ ngã, đề nghị sửa gấp.").case
        workflow.merge(session, settings, OP, case, main)
    assert (asked.status, asked.decision_note) == ("lapsed", step)
    lapsed = [e for e in _events(session, case) if e.kind == "extension_lapsed"]
    assert [(e.public, e.data["step"]) for e in lapsed] == [(False, step)]
    with pytest.raises(IocError) as nothing:
        extensions.approve(session, OP, PROVINCE, case)
    assert nothing.value.code == "no_extension_request"


def test_a_refused_step_leaves_the_request_waiting(session: Session, due_monday: Feedback) -> None:
    asked = extensions.request(
        session, UNIT, DONG_KINH, due_monday, working_days=2, reason=REASON, now=local(2, 10)
    )
    with pytest.raises(IocError):
        workflow.transfer(
            session,
            get_settings(),
            UNIT,
            DONG_KINH,
            due_monday,
            org_code="05977",
            reason="Chuyển nhầm.",
        )
    assert asked.status == "pending"


def test_who_may_ask_and_who_decides(session: Session, due_monday: Feedback) -> None:
    case = due_monday
    cases_ = [
        (
            lambda: extensions.request(session, OP, PROVINCE, case, working_days=2, reason=REASON),
            "extension_request_by_ioc",
            403,
        ),
        (
            lambda: extensions.request(
                session,
                Actor("tamthanh", "05986"),
                TAM_THANH_SCOPE,
                case,
                working_days=2,
                reason=REASON,
            ),
            "not_your_case",
            403,
        ),
    ]
    for call, code, status in cases_:
        with pytest.raises(IocError) as refused:
            call()
        assert (refused.value.code, refused.value.status) == (code, status)
    extensions.request(session, UNIT, DONG_KINH, case, working_days=2, reason=REASON)
    for decide in (
        lambda: extensions.approve(session, UNIT, DONG_KINH, case),
        lambda: extensions.refuse(session, UNIT, DONG_KINH, case, reason=REASON),
    ):
        with pytest.raises(IocError) as refused:
            decide()
        assert (refused.value.code, refused.value.status) == ("extension_decision_by_ioc", 403)


def test_bad_requests_and_approvals_are_refused_with_their_field(
    session: Session, due_monday: Feedback
) -> None:
    case = due_monday
    for days, reason, code in (
        (0, REASON, "invalid_extension"),
        (31, REASON, "invalid_extension"),
        (2, "", "extension_reason_required"),
        (2, "  gấp  ", "extension_reason_required"),
    ):
        with pytest.raises(IocError) as refused:
            extensions.request(session, UNIT, DONG_KINH, case, working_days=days, reason=reason)
        assert (refused.value.code, refused.value.status) == (code, 422)
    assert extensions.pending(session, case) is None
    extensions.request(session, UNIT, DONG_KINH, case, working_days=2, reason=REASON)
    for days in (0, 3):
        with pytest.raises(IocError) as refused:
            extensions.approve(session, OP, PROVINCE, case, working_days=days)
        assert (refused.value.code, refused.value.details) == (
            "invalid_approved_days",
            {"field": "working_days"},
        )
    with pytest.raises(IocError) as short:
        extensions.refuse(session, OP, PROVINCE, case, reason="không")
    assert short.value.code == "extension_reason_required"
    assert extensions.pending(session, case) is not None


def test_a_case_not_in_the_units_hands_is_not_asked_for(session: Session) -> None:
    province(session)
    case = report(session).case  # received: the IOC has not accepted it yet
    with pytest.raises(IocError) as refused:
        extensions.request(session, UNIT, DONG_KINH, case, working_days=2, reason=REASON)
    error = refused.value
    assert (error.code, error.status) == ("wrong_state", 409)
    message = t(error.message_key, "vi", **error.params)
    assert message == (
        "Phản ánh đang ở trạng thái «Đã tiếp nhận»: không thể thực hiện bước «Đề nghị gia hạn»."
    )


def test_a_request_is_mailed_to_the_ioc_to_decide_before_the_deadline(
    session: Session, due_monday: Feedback
) -> None:
    case = due_monday
    extensions.request(
        session, UNIT, DONG_KINH, case, working_days=3, reason=REASON, now=local(2, 10)
    )
    mails = _mails(session)
    assert set(mails) == {"dieuhanh@langson.gov.vn"}  # the province's operator; no unit
    mail = mails["dieuhanh@langson.gov.vn"]
    assert mail.reference == case.id and mail.org_code == "20"
    assert mail.subject.startswith(f"[IOC] Phản ánh {case.code}: Phường Đông Kinh đề nghị")
    for fact in (
        f"Phường Đông Kinh đề nghị gia hạn phản ánh {case.code} thêm 3 ngày làm việc.",
        "Hạn giải quyết hiện tại: 07/12/2026 17:00",
        f"Lý do: {REASON}",
        f"/feedback/{case.code}",
        "asks for an extension of case",
    ):
        assert fact in mail.body
    _no_braces(mail.subject, mail.body)


def test_nobody_with_an_address_still_records_the_decision(
    session: Session, caplog: pytest.LogCaptureFixture
) -> None:
    province(session)
    case = report(session, now=local(1, 9)).case
    workflow.accept(session, get_settings(), OP, case, now=local(1, 18))
    extensions.request(
        session, UNIT, DONG_KINH, case, working_days=2, reason=REASON, now=local(2, 10)
    )
    with caplog.at_level(logging.WARNING, logger="iocvn.feedback"):
        extensions.approve(session, OP, PROVINCE, case, now=local(2, 11))
    assert _mails(session) == {}
    assert case.deadline_at == local(9, 17)
    assert "feedback.extension_approve" in _actions(session)
    assert any("nobody" in r.getMessage() for r in caplog.records)


# --- the API -------------------------------------------------------------------------------


@pytest.fixture
def api(session: Session) -> dict[str, object]:
    """Lạng Sơn, staff tokens, a pothole at Đông Kinh (the commune's) and a clinic case at
    Đông Kinh (the health department's), both accepted now."""
    province(session)
    heads = {
        "operator": bearer(session, "dieuhanh", "operator", "20"),
        "commune": bearer(session, "dongkinh", "commune_officer", "05977"),
        "commune_operator": bearer(session, "dieuhanh.dk", "operator", "05977"),
        "tam_thanh": bearer(session, "tamthanh", "commune_officer", "05986"),
        "health": bearer(session, "syt", "agency_officer", "20.SYT"),
        "leader": bearer(session, "lanhdao", "leader", "20"),
    }
    pothole = report(session).case
    clinic = report(
        session, "Trạm y tế không có người trực vào buổi chiều thứ bảy.", category="y_te"
    ).case
    for case in (pothole, clinic):
        workflow.accept(session, get_settings(), OP, case)
    assert (pothole.org_code, clinic.org_code) == ("05977", "20.SYT")
    session.commit()
    return {"heads": heads, "pothole": pothole.code, "clinic": clinic.code}


def _h(api: dict[str, object], who: str) -> dict[str, str]:
    heads = api["heads"]
    assert isinstance(heads, dict)
    return heads[who]  # type: ignore[no-any-return]


def test_a_unit_asks_and_the_ioc_approves_by_api(
    client: TestClient, api: dict[str, object], session: Session
) -> None:
    base = f"/api/v1/feedback/{api['pothole']}"
    before = client.get(base, headers=_h(api, "operator")).json()
    assert "extension_request" not in before
    asked = client.post(
        f"{base}/extension-request",
        json={"working_days": 3, "reason": REASON},
        headers=_h(api, "commune"),
    )
    assert asked.status_code == 200, asked.text
    shown = asked.json()["extension_request"]
    assert {
        k: shown[k] for k in ("status", "working_days", "reason", "org_unit", "requested_by")
    } == {
        "status": "pending",
        "working_days": 3,
        "reason": REASON,
        "org_unit": "05977",
        "requested_by": "dongkinh",
    }
    assert asked.json()["sla"]["deadline"] == before["sla"]["deadline"]
    # The IOC sees it on the case and in the list.
    case = client.get(base, headers=_h(api, "operator")).json()
    assert case["extension_request"]["id"] == shown["id"]
    assert [e["kind"] for e in case["timeline"]][-1] == "extension_requested"
    listed = client.get("/api/v1/feedback", headers=_h(api, "operator")).json()["items"]
    waiting = {item["code"]: item.get("extension_request") for item in listed}
    assert waiting[api["pothole"]]["working_days"] == 3 and waiting[api["clinic"]] is None
    again = client.post(
        f"{base}/extension-request",
        json={"working_days": 1, "reason": REASON},
        headers=_h(api, "commune"),
    )
    assert again.status_code == 409 and again.json()["error"] == "extension_request_pending"
    assert again.json()["message"].startswith("Phản ánh đã có một đề nghị gia hạn 3 ngày làm việc")
    english = client.post(
        f"{base}/extension-request",
        json={"working_days": 1, "reason": REASON},
        headers=_h(api, "commune") | EN,
    ).json()["message"]
    assert english.startswith("The case already has an extension request of 3 working day(s)")
    _no_braces(again.json()["message"], english)
    # The IOC approves two of the three days.
    more = client.post(
        f"{base}/extension-request/approve", json={"working_days": 4}, headers=_h(api, "operator")
    )
    assert more.status_code == 422 and more.json()["error"] == "invalid_approved_days"
    assert "từ 1 đến 3 ngày" in more.json()["message"]
    done = client.post(
        f"{base}/extension-request/approve", json={"working_days": 2}, headers=_h(api, "operator")
    )
    assert done.status_code == 200, done.text
    assert "extension_request" not in done.json()
    assert done.json()["sla"]["deadline"] != before["sla"]["deadline"]
    timeline = client.get(base, headers=_h(api, "commune")).json()["timeline"]
    tail = {e["kind"]: e for e in timeline[-2:]}  # one instant: either order
    assert timeline[-3]["kind"] == "extension_requested" and not timeline[-3]["public"]
    assert set(tail) == {"extended", "extension_approved"}
    assert tail["extended"]["public"] and not tail["extension_approved"]["public"]
    assert tail["extended"]["data"]["working_days"] == 2
    assert tail["extension_approved"]["data"]["asked"] == 3
    none = client.post(f"{base}/extension-request/approve", headers=_h(api, "operator"))
    assert none.status_code == 409 and none.json()["error"] == "no_extension_request"


def test_the_ioc_refuses_by_api(client: TestClient, api: dict[str, object]) -> None:
    base = f"/api/v1/feedback/{api['pothole']}"
    nothing = client.post(
        f"{base}/extension-request/refuse", json={"reason": REASON}, headers=_h(api, "operator")
    )
    assert nothing.status_code == 409 and nothing.json()["error"] == "no_extension_request"
    client.post(
        f"{base}/extension-request",
        json={"working_days": 3, "reason": REASON},
        headers=_h(api, "commune"),
    )
    missing = client.post(f"{base}/extension-request/refuse", json={}, headers=_h(api, "operator"))
    assert missing.status_code == 422
    short = client.post(
        f"{base}/extension-request/refuse", json={"reason": "không"}, headers=_h(api, "operator")
    )
    assert short.status_code == 422 and short.json()["error"] == "extension_reason_required"
    assert short.json()["details"] == {"field": "reason"}
    done = client.post(
        f"{base}/extension-request/refuse",
        json={"reason": "Vật liệu đã có sẵn tại kho của tỉnh."},
        headers=_h(api, "operator"),
    )
    assert done.status_code == 200 and "extension_request" not in done.json()
    kinds = [e["kind"] for e in client.get(base, headers=_h(api, "operator")).json()["timeline"]]
    assert kinds[-1] == "extension_refused" and "extended" not in kinds


@pytest.mark.parametrize(
    ("who", "case", "body", "status", "error"),
    [
        ("leader", "pothole", {"working_days": 2, "reason": REASON}, 403, "forbidden"),
        (
            "operator",
            "pothole",
            {"working_days": 2, "reason": REASON},
            403,
            "extension_request_by_ioc",
        ),
        # Đông Kinh sees the clinic's case (it is located there) but does not handle it.
        ("commune", "clinic", {"working_days": 2, "reason": REASON}, 403, "not_your_case"),
        ("tam_thanh", "pothole", {"working_days": 2, "reason": REASON}, 404, "feedback_not_found"),
        ("commune", "pothole", {"working_days": 0, "reason": REASON}, 422, None),
        ("commune", "pothole", {"working_days": 31, "reason": REASON}, 422, None),
        ("commune", "pothole", {"working_days": 2}, 422, None),
        (
            "commune",
            "pothole",
            {"working_days": 2, "reason": "gấp"},
            422,
            "extension_reason_required",
        ),
    ],
)
def test_requests_refused_by_api(
    client: TestClient,
    api: dict[str, object],
    who: str,
    case: str,
    body: dict[str, object],
    status: int,
    error: str | None,
) -> None:
    url = f"/api/v1/feedback/{api[case]}/extension-request"
    answer = client.post(url, json=body, headers=_h(api, who))
    assert answer.status_code == status, answer.text
    if error:
        assert answer.json()["error"] == error
    shown = client.get(f"/api/v1/feedback/{api[case]}", headers=_h(api, "operator")).json()
    assert "extension_request" not in shown


def test_an_agency_asks_for_its_own_case(client: TestClient, api: dict[str, object]) -> None:
    url = f"/api/v1/feedback/{api['clinic']}/extension-request"
    done = client.post(url, json={"working_days": 5, "reason": REASON}, headers=_h(api, "health"))
    assert done.status_code == 200 and done.json()["extension_request"]["org_unit"] == "20.SYT"


def test_only_the_province_ioc_decides_by_api(client: TestClient, api: dict[str, object]) -> None:
    base = f"/api/v1/feedback/{api['pothole']}"
    # A commune's operator is its unit: it asks, the province's IOC decides.
    asked = client.post(
        f"{base}/extension-request",
        json={"working_days": 2, "reason": REASON},
        headers=_h(api, "commune_operator"),
    )
    assert asked.status_code == 200, asked.text
    for action, body in (("approve", {}), ("refuse", {"reason": REASON})):
        own = client.post(
            f"{base}/extension-request/{action}", json=body, headers=_h(api, "commune_operator")
        )
        assert own.status_code == 403 and own.json()["error"] == "extension_decision_by_ioc"
        officer = client.post(
            f"{base}/extension-request/{action}", json=body, headers=_h(api, "commune")
        )
        assert officer.status_code == 403 and officer.json()["error"] == "forbidden"


def test_an_overdue_case_is_not_asked_for_by_api(
    client: TestClient, api: dict[str, object], session: Session
) -> None:
    weeks_ago = utcnow() - timedelta(days=60)
    case = report(session, now=weeks_ago).case
    workflow.accept(session, get_settings(), OP, case, now=weeks_ago)
    session.commit()
    answer = client.post(
        f"/api/v1/feedback/{case.code}/extension-request",
        json={"working_days": 2, "reason": REASON},
        headers=_h(api, "commune"),
    )
    assert answer.status_code == 409 and answer.json()["error"] == "extension_after_deadline"
    _no_braces(answer.json()["message"])


# --- the pages -----------------------------------------------------------------------------


def _listed(page: str) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)"', page)


def test_the_page_flow_request_then_approve(client: TestClient, session: Session) -> None:
    province(session)
    soon = report(session).case
    later = report(
        session,
        "Đèn đường cả dãy phố tắt từ tối qua, rất tối và nguy hiểm.",
        category="dien_chieu_sang",
    ).case
    other = report(
        session,
        "Cây đổ chắn ngang đường sau mưa bão, cần dọn ngay.",
        category="moi_truong",
        lat=TAM_THANH[0],
        lon=TAM_THANH[1],
    ).case
    for case in (later, soon, other):
        workflow.accept(session, get_settings(), OP, case, priority="complex")
    soon.deadline_at = utcnow() + timedelta(days=5)  # the nearest deadline
    session.commit()
    # Đông Kinh's officer asks for both of its cases by the case page's form.
    csrf = login(client, session, "dongkinh", "commune_officer", "05977")
    page = client.get(f"/feedback/{soon.code}").text
    assert 'id="extension-request-form"' in page
    assert f'action="/feedback/{soon.code}/extend"' not in page  # the IOC's direct form
    bad = client.post(
        f"/feedback/{soon.code}/extension-request",
        data={"csrf_token": csrf, "working_days": "40", "reason": REASON},
    )
    assert bad.status_code == 422 and "Gia hạn từ 1 đến 30 ngày làm việc" in bad.text
    for case, days in ((soon, "3"), (later, "2")):
        done = client.post(
            f"/feedback/{case.code}/extension-request",
            data={"csrf_token": csrf, "working_days": days, "reason": REASON},
            follow_redirects=False,
        )
        assert done.status_code == 303, done.text
    page = client.get(f"/feedback/{soon.code}").text
    assert 'id="asked-waiting"' in page and 'id="extension-request-form"' not in page
    assert "3 ngày làm việc" in page and REASON in page
    assert 'id="extension-approve-form"' not in page
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    # The IOC's inbox lists the waiting requests, nearest deadline first.
    csrf = login(client, session, "dieuhanh", "operator", "20")
    inbox = client.get("/feedback", params={"view": "extensions"}).text
    assert "Xin gia hạn" in inbox
    assert _listed(inbox) == [soon.code, later.code]
    assert "3 ngày làm việc" in inbox
    page = client.get(f"/feedback/{soon.code}").text
    section = page[page.index('id="extension-request"') :]
    section = section[: section.index("</section>")]
    assert "Đề nghị gia hạn chờ IOC duyệt" in section and REASON in section
    assert "dongkinh (Phường Đông Kinh)" in section
    assert 'id="extension-approve-form"' in section and 'id="extension-refuse-form"' in section
    _no_braces(section)
    before = soon.deadline_at
    done = client.post(
        f"/feedback/{soon.code}/extension-approve",
        data={"csrf_token": csrf, "working_days": "1", "note": ""},
        follow_redirects=False,
    )
    assert done.status_code == 303, done.text
    session.refresh(soon)
    assert before is not None and soon.deadline_at is not None and soon.deadline_at > before
    short = client.post(
        f"/feedback/{later.code}/extension-refuse", data={"csrf_token": csrf, "reason": "không"}
    )
    assert short.status_code == 422 and "ít nhất 10 ký tự" in short.text
    refused = client.post(
        f"/feedback/{later.code}/extension-refuse",
        data={"csrf_token": csrf, "reason": "Đề nghị xử lý trong hạn."},
        follow_redirects=True,
    )
    assert refused.status_code == 200 and "IOC không duyệt gia hạn" in refused.text
    assert _listed(client.get("/feedback", params={"view": "extensions"}).text) == []
    page = client.get(f"/feedback/{soon.code}").text
    assert "IOC duyệt gia hạn" in page and "Đơn vị đề nghị gia hạn" in page
    # The IOC's direct extension form stays; the IOC is not offered the unit's request form.
    assert f'action="/feedback/{soon.code}/extend"' in page
    assert 'id="extension-request-form"' not in page


def test_the_pages_refuse_the_wrong_people(client: TestClient, session: Session) -> None:
    province(session)
    case = report(session).case
    workflow.accept(session, get_settings(), OP, case)
    session.commit()
    csrf = login(client, session, "dieuhanh", "operator", "20")
    mine = client.post(
        f"/feedback/{case.code}/extension-request",
        data={"csrf_token": csrf, "working_days": "2", "reason": REASON},
    )
    assert mine.status_code == 403 and "Trung tâm IOC gia hạn trực tiếp" in mine.text
    none = client.post(f"/feedback/{case.code}/extension-approve", data={"csrf_token": csrf})
    assert none.status_code == 409 and "không có đề nghị gia hạn" in none.text
    client.post("/logout", data={"csrf_token": csrf})
    client.cookies.clear()
    csrf = login(client, session, "dongkinh", "commune_officer", "05977")
    approve = client.post(f"/feedback/{case.code}/extension-approve", data={"csrf_token": csrf})
    assert approve.status_code == 403


def test_the_inbox_view_in_english(client: TestClient, session: Session) -> None:
    province(session)
    login(client, session, "dieuhanh", "operator", "20")
    client.cookies.set("iocvn_lang", "en")
    page = client.get("/feedback", params={"view": "extensions"})
    assert page.status_code == 200 and "Extension requests" in page.text


# --- the migration -------------------------------------------------------------------------


@pytest.fixture
def fresh_url(empty_url: str) -> str:
    """An empty database of the kind this run tests (SQLite file, or a new PostgreSQL one)."""
    return empty_url


TABLE = "feedback_extension_requests"


@pytest.mark.db
def test_migration_0011_up_and_down(fresh_url: str) -> None:
    config = alembic_config(fresh_url)
    command.upgrade(config, "0010_camera_events")
    engine = create_engine(fresh_url)
    try:
        assert TABLE not in inspect(engine).get_table_names()
        command.upgrade(config, "0011_feedback_extension_requests")
        found = inspect(engine)
        assert TABLE in found.get_table_names()
        indexes = {i["name"]: i for i in found.get_indexes(TABLE)}
        pending = indexes["uq_feedback_extension_requests_pending"]
        assert pending["unique"] and pending["column_names"] == ["feedback_id"]
        where = pending.get("dialect_options", {})
        assert "pending" in str(where.get("sqlite_where", where.get("postgresql_where", "")))
        with engine.connect() as conn:  # the table is what the model says
            diff = compare_metadata(MigrationContext.configure(conn), metadata)
        assert [d for d in diff if TABLE in str(d)] == []
        command.downgrade(config, "0010_camera_events")
        assert TABLE not in inspect(engine).get_table_names()
        command.upgrade(config, "head")
        assert TABLE in inspect(engine).get_table_names()
    finally:
        engine.dispose()
