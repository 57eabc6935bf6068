"""Refused workflow steps: each says, in the staff member's language, what is wrong (the status
and the step by the names the pages use, never a machine code or an empty placeholder), keeps
the codes in ``details`` for API clients, and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.errors import IocError
from iocvn.core.i18n import t
from iocvn.feedback import workflow
from iocvn.feedback.models import Feedback, FeedbackEvent
from iocvn.notify.models import Notification
from tests.factories.feedback import province, report, staff_headers

OP = Actor("dieuhanh", "20")
PROVINCE = OrgScope("province", "20", "20")
CODES = ("received", "accepted", "assigned", "in_progress", "resolved", "closed", "rejected",
         "resolve", "extend", "confirm", "merge", "start", "accept", "reject", "close")  # fmt: skip
EN = {"Accept-Language": "en"}


@pytest.fixture
def staff(session: Session) -> dict[str, dict[str, str]]:
    """Lạng Sơn, the IOC's operator and Đông Kinh's officer (as in test_api's ``world``)."""
    return staff_headers(session, "operator", "commune")


def _rendered(error: IocError) -> tuple[str, str]:
    return (t(error.message_key, "vi", **error.params), t(error.message_key, "en", **error.params))


def _no_code_nor_placeholder(vi: str, en: str) -> None:
    for text in (vi, en):
        assert "{" not in text and "}" not in text, text
    words = set(vi.replace("«", " ").replace("»", " ").replace(".", " ").split())
    assert not words & set(CODES), vi


def test_a_refused_step_names_the_status_and_the_step_in_each_language(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = report(session).case
    session.commit()
    url = f"/api/v1/feedback/{case.code}/resolve"
    vi = client.post(url, data={"answer": "Đã vá ổ gà."}, headers=staff["commune"])
    assert vi.status_code == 409, vi.text
    assert vi.json()["error"] == "wrong_state"
    assert vi.json()["details"] == {"status": "received", "step": "resolve"}
    assert vi.json()["message"] == (
        "Phản ánh đang ở trạng thái «Đã tiếp nhận»: không thể thực hiện bước «Báo cáo kết quả»."
    )
    en = client.post(url, data={"answer": "Fixed."}, headers=staff["commune"] | EN)
    assert en.status_code == 409
    assert en.json()["message"] == (
        "The case's status is “Received”: the step “Report the result” cannot be taken."
    )
    assert en.json()["details"] == {"status": "received", "step": "resolve"}
    session.refresh(case)
    assert case.status == "received" and not case.public_answer


def _resolved(session: Session) -> tuple[Feedback, str]:
    done = report(session)
    workflow.accept(session, get_settings(), OP, done.case)
    workflow.resolve(session, get_settings(), OP, PROVINCE, done.case, answer="Đã vá ổ gà.")
    return done.case, done.secret


def _closed(session: Session) -> tuple[Feedback, str]:
    case, secret = _resolved(session)
    workflow.close(session, OP, case)
    return case, secret


def _received(session: Session) -> tuple[Feedback, str]:
    done = report(session)
    return done.case, done.secret


def _rejected(session: Session) -> tuple[Feedback, str]:
    case, secret = _received(session)
    workflow.reject(session, get_settings(), OP, case, reason="Không đủ thông tin")
    return case, secret


def _take(step: str, session: Session, case: Feedback, secret: str) -> None:
    """Take ``step`` on ``case`` with valid input, as the IOC (or the reporter, to confirm)."""
    settings = get_settings()
    if step == "extend":
        workflow.extend(session, OP, case, working_days=3, reason="Chờ vật tư")
    elif step == "start":
        workflow.start_work(session, OP, PROVINCE, case)
    elif step == "resolve":
        workflow.resolve(session, settings, OP, PROVINCE, case, answer="Đã vá.")
    elif step == "close":
        workflow.close(session, OP, case)
    elif step == "accept":
        workflow.accept(session, settings, OP, case)
    elif step == "reject":
        workflow.reject(session, settings, OP, case, reason="Không rõ")
    else:
        workflow.confirm(session, settings, case, secret=secret, fixed=False)


@pytest.mark.parametrize(
    ("make", "step", "status_vi", "step_vi", "status_en", "step_en"),
    [
        (_closed, "extend", "Đã đóng", "Gia hạn", "Closed", "Extend"),
        (_rejected, "extend", "Từ chối", "Gia hạn", "Rejected", "Extend"),
        (_resolved, "start", "Đã xử lý", "Bắt đầu xử lý", "Resolved", "Start work"),
        (_closed, "resolve", "Đã đóng", "Báo cáo kết quả", "Closed", "Report the result"),
        (_received, "close", "Đã tiếp nhận", "Đóng phản ánh", "Received", "Close"),
        (_resolved, "accept", "Đã xử lý", "Xác nhận và chuyển xử lý", "Resolved",
         "Accept and assign"),
        (_resolved, "reject", "Đã xử lý", "Từ chối", "Resolved", "Reject"),
        # Reopening ("not fixed") needs a resolved case: not one still waiting or closed.
        (_received, "confirm", "Đã tiếp nhận", "Xác nhận kết quả", "Received",
         "Confirm the result"),
        (_closed, "confirm", "Đã đóng", "Xác nhận kết quả", "Closed", "Confirm the result"),
    ],
)  # fmt: skip
def test_every_refused_step_reads_in_words(
    session: Session, staff: dict[str, dict[str, str]],
    make: Callable[[Session], tuple[Feedback, str]], step: str,
    status_vi: str, step_vi: str, status_en: str, step_en: str,
) -> None:  # fmt: skip
    case, secret = make(session)
    before = (case.status, case.outcome, case.reopen_count, case.deadline_at)
    with pytest.raises(IocError) as refused:
        _take(step, session, case, secret)
    error = refused.value
    assert (error.code, error.status) == ("wrong_state", 409)
    assert error.details == {"status": case.status, "step": step}
    vi, en = _rendered(error)
    assert vi == f"Phản ánh đang ở trạng thái «{status_vi}»: không thể thực hiện bước «{step_vi}»."
    assert en == f"The case's status is “{status_en}”: the step “{step_en}” cannot be taken."
    _no_code_nor_placeholder(vi, en)
    assert (case.status, case.outcome, case.reopen_count, case.deadline_at) == before


def _merge(
    client: TestClient, headers: dict[str, str], case: Feedback, into: Feedback, **extra: str
) -> Any:
    return client.post(f"/api/v1/feedback/{case.code}/merge", json={"into": into.code},
                       headers=headers | extra)  # fmt: skip


@pytest.mark.parametrize(
    ("make", "status", "label_vi", "label_en"),
    [
        (_rejected, "rejected", "Từ chối", "Rejected"),
        (_closed, "closed", "Đã đóng", "Closed"),
        (_resolved, "resolved", "Đã xử lý", "Resolved"),
    ],
)
def test_an_open_case_is_never_merged_into_one_nobody_handles(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session,
    make: Callable[[Session], tuple[Feedback, str]], status: str, label_vi: str, label_en: str,
) -> None:  # fmt: skip
    target, _ = make(session)
    case = report(session).case
    session.commit()
    refused = _merge(client, staff["operator"], case, target)
    assert refused.status_code == 409, refused.text
    body = refused.json()
    assert body["error"] == "merge_target_not_open"
    assert body["details"] == {"field": "into", "into": target.code, "status": status}
    assert body["message"] == (
        f"Phản ánh {target.code} đang ở trạng thái «{label_vi}»: chỉ gộp được vào phản ánh "
        "chưa xử lý xong."
    )
    en = _merge(client, staff["operator"], case, target, **EN).json()["message"]
    assert en == (
        f"Case {target.code} is “{label_en}”: a case can only be merged into one still open."
    )
    session.refresh(case)
    assert (case.status, case.outcome, case.duplicate_of) == ("received", None, None)


def test_nothing_is_merged_into_a_merged_case_nor_into_itself(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    main, merged, case = (report(session).case for _ in range(3))
    workflow.merge(session, get_settings(), OP, merged, main)
    session.commit()
    into_merged = _merge(client, staff["operator"], case, merged)
    assert into_merged.status_code == 409
    assert into_merged.json()["details"]["status"] == "closed"
    assert "«Đã đóng»" in into_merged.json()["message"]
    itself = _merge(client, staff["operator"], case, case)
    assert itself.status_code == 422 and itself.json()["error"] == "duplicate_of_itself"
    assert itself.json()["message"] == "Không thể gộp phản ánh vào chính nó."
    session.refresh(case)
    assert case.status == "received" and case.duplicate_of is None


def test_a_closed_case_is_not_merged(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    rejected, _ = _rejected(session)
    main = report(session).case
    session.commit()
    refused = _merge(client, staff["operator"], rejected, main)
    assert refused.status_code == 409
    assert refused.json()["details"] == {"status": "rejected", "step": "merge"}
    assert refused.json()["message"] == (
        "Phản ánh đang ở trạng thái «Từ chối»: không thể thực hiện bước «Gộp vào phản ánh khác»."
    )
    session.refresh(rejected)
    assert (rejected.outcome, rejected.duplicate_of) == ("rejected", None)


def test_merging_a_main_case_moves_its_duplicates_and_tells_the_reporter_why(
    session: Session, staff: dict[str, dict[str, str]]
) -> None:
    first = report(session).case
    main = report(session).case
    later = report(session, email="hoa.nt@example.vn", notify_by="email").case
    workflow.merge(session, get_settings(), OP, first, main)
    workflow.merge(session, get_settings(), OP, main, later)
    session.flush()
    assert first.duplicate_of == later.id and main.duplicate_of == later.id
    added = session.execute(
        select(FeedbackEvent.data).where(FeedbackEvent.feedback_id == later.id,
                                         FeedbackEvent.kind == "duplicate_added")
    ).scalars()  # fmt: skip
    assert sorted(d["duplicate"] for d in added) == sorted([first.code, main.code])
    other = report(session, email="lan@example.vn", notify_by="email").case
    workflow.merge(session, get_settings(), OP, other, later)
    body = session.execute(
        select(Notification.body).where(Notification.reference == other.id)
    ).scalar_one()
    assert f"trùng với phản ánh {later.code} và đã được gộp vào đó" in body


def test_an_empty_comment_asks_for_its_text(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = report(session).case
    session.commit()
    url = f"/api/v1/feedback/{case.code}/comment"
    for text in ("", "   \n"):
        empty = client.post(url, json={"text": text}, headers=staff["commune"])
        assert empty.status_code == 422, empty.text
        assert empty.json()["error"] == "comment_text_required"
        assert empty.json()["details"] == {"field": "text"}
        assert empty.json()["message"] == "Cần nhập nội dung ý kiến."
    en = client.post(url, json={"text": ""}, headers=staff["commune"] | EN)
    assert en.json()["message"] == "A comment needs text."
    kinds = session.execute(
        select(FeedbackEvent.kind).where(FeedbackEvent.feedback_id == case.id)
    ).scalars()
    assert list(kinds) == ["received"]


def test_accepting_an_unclassified_case_asks_for_a_category(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = report(session, category=None).case
    session.commit()
    assert case.category_code is None
    url = f"/api/v1/feedback/{case.code}/accept"
    refused = client.post(url, json={}, headers=staff["operator"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == "category_required"
    assert refused.json()["details"] == {"field": "category"}
    assert refused.json()["message"] == (
        "Phản ánh chưa được phân loại lĩnh vực: cần chọn một lĩnh vực để xác nhận phản ánh."
    )
    en = client.post(url, json={}, headers=staff["operator"] | EN).json()["message"]
    assert en == "The case has no category yet: choose one to accept it."
    done = client.post(url, json={"category": "giao_thong.o_ga"}, headers=staff["operator"])
    assert done.status_code == 200 and done.json()["category"] == "giao_thong.o_ga"


def test_a_refused_triage_changes_nothing(session: Session) -> None:
    province(session)
    case = report(session).case
    for bad in ({"priority": "rất gấp"}, {"org_code": "khong_co"}):
        with pytest.raises(IocError):
            workflow.accept(session, get_settings(), OP, case, category="y_te", **bad)
        assert (case.category_code, case.category_confirmed) == ("giao_thong.o_ga", False)
        assert not [e for e in session.new if isinstance(e, FeedbackEvent)]


def test_resolving_needs_a_public_answer(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = report(session).case
    workflow.accept(session, get_settings(), OP, case)
    session.commit()
    blank = client.post(f"/api/v1/feedback/{case.code}/resolve", data={"answer": "  \t "},
                        headers=staff["commune"])  # fmt: skip
    assert blank.status_code == 422 and blank.json()["error"] == "answer_required"
    assert blank.json()["details"] == {"field": "answer"}
    assert blank.json()["message"] == "Cần nội dung trả lời công khai cho người dân."
    session.refresh(case)
    assert case.status == "assigned" and not case.public_answer


def test_a_transfer_names_where_it_goes_and_goes_somewhere_else(
    client: TestClient, staff: dict[str, dict[str, str]], session: Session
) -> None:
    case = report(session).case
    workflow.accept(session, get_settings(), OP, case)
    workflow.start_work(session, OP, PROVINCE, case)
    session.commit()
    url = f"/api/v1/feedback/{case.code}/transfer"
    nowhere = client.post(url, json={"reason": "Không thuộc phường"}, headers=staff["commune"])
    assert nowhere.status_code == 422 and nowhere.json()["details"] == {"field": "outside_body"}
    assert nowhere.json()["message"] == (
        "Cần chọn đơn vị nhận hoặc nêu cơ quan ngoài hệ thống sẽ giải quyết."
    )
    same = client.post(url, json={"org_unit": "05977", "reason": "Chuyển"},
                       headers=staff["commune"])  # fmt: skip
    assert same.status_code == 422 and same.json()["error"] == "same_unit"
    assert same.json()["message"] == "Phản ánh đã do đơn vị này xử lý: hãy chọn đơn vị khác."
    session.refresh(case)
    assert (case.status, case.org_code) == ("in_progress", "05977")
    kinds = session.execute(
        select(FeedbackEvent.kind).where(FeedbackEvent.feedback_id == case.id)
    ).scalars()
    assert "transferred" not in list(kinds)


def test_a_case_transferred_before_triage_still_waits_for_the_ioc(session: Session) -> None:
    province(session)
    case = report(session).case
    assert (case.status, case.org_code, case.stage) == ("received", "05977", "accept")
    commune = OrgScope("commune", "05977", "20")
    workflow.transfer(session, get_settings(), Actor("dongkinh", "05977"), commune, case,
                      org_code="20.SXD", reason="Quốc lộ do Sở quản lý")  # fmt: skip
    assert (case.status, case.org_code, case.stage) == ("received", "20.SXD", "accept")
    assert case.accepted_at is None
    workflow.accept(session, get_settings(), OP, case)
    assert (case.status, case.org_code, case.stage) == ("assigned", "20.SXD", "resolve")
