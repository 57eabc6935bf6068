"""Staff pages of feedback: the inbox views, the case page and its actions by form."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core.timeutil import utcnow
from iocvn.feedback import clock
from iocvn.feedback.models import Feedback
from tests.factories.auth import add_user
from tests.factories.feedback import TAM_THANH, province, report
from tests.feedback.test_photos import png

PASSWORD = "Mật-khẩu-đủ-mạnh-2026"


def login(client: TestClient, session: Session, username: str, role: str, org: str) -> str:
    """Log a new account in through the form; returns the CSRF token of its session."""
    add_user(session, username, role, org, password=PASSWORD)
    session.commit()
    page = client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token is not None
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    done = client.post("/login", data=form, follow_redirects=False)
    assert done.status_code in (302, 303), done.text
    home = client.get("/feedback")
    found = re.search(r'name="csrf_token" value="([^"]+)"', home.text)
    assert found is not None
    return found.group(1)


@pytest.fixture
def case(session: Session) -> Feedback:
    province(session)
    made = report(session).case
    session.commit()
    return made


def test_operator_triages_and_commune_resolves_by_forms(
    client: TestClient, session: Session, case: Feedback
) -> None:
    csrf = login(client, session, "dieuhanh", "operator", "20")
    inbox = client.get("/feedback")
    assert inbox.status_code == 200 and case.code in inbox.text
    page = client.get(f"/feedback/{case.code}")
    assert "Người phản ánh" in page.text and "0912345678" not in page.text
    assert "09******78" in page.text
    done = client.post(f"/feedback/{case.code}/accept",
                       data={"csrf_token": csrf, "category": "giao_thong.o_ga",
                             "org_unit": "05977", "priority": "urgent"},
                       follow_redirects=False)  # fmt: skip
    assert done.status_code == 303
    session.refresh(case)
    assert (case.status, case.priority, case.category_confirmed) == ("assigned", "urgent", True)
    # A refused action shows its error on the page and changes nothing.
    bad = client.post(f"/feedback/{case.code}/extend",
                      data={"csrf_token": csrf, "working_days": "99", "reason": "x"})  # fmt: skip
    assert bad.status_code == 422 and "Gia hạn từ 1 đến 30" in bad.text
    no_csrf = client.post(f"/feedback/{case.code}/close", data={})
    assert no_csrf.status_code == 403
    client.post("/logout", data={"csrf_token": csrf})
    csrf = login(client, session, "dongkinh", "commune_officer", "05977")
    assert case.code in client.get("/feedback").text
    assert client.post(f"/feedback/{case.code}/accept",
                       data={"csrf_token": csrf}).status_code == 403  # fmt: skip
    resolved = client.post(
        f"/feedback/{case.code}/resolve",
        data={"csrf_token": csrf, "answer": "Đã vá xong <b>ổ gà</b>."},
        files=[("photos", ("sau.png", png(), "image/png"))], follow_redirects=True,
    )  # fmt: skip
    assert resolved.status_code == 200
    assert "Đã vá xong &lt;b&gt;ổ gà&lt;/b&gt;." in resolved.text
    session.refresh(case)
    assert (case.status, case.outcome) == ("resolved", "fixed")


def test_reveal_by_form_is_audited(client: TestClient, session: Session, case: Feedback) -> None:
    csrf = login(client, session, "dieuhanh", "operator", "20")
    shown = client.post(f"/feedback/{case.code}/reveal",
                        data={"csrf_token": csrf, "reason": "Gọi lại xác minh vị trí"})  # fmt: skip
    assert shown.status_code == 200 and "0912345678" in shown.text
    assert "<dt>Điện thoại</dt><dd>0912345678</dd>" in shown.text  # labelled in Vietnamese
    assert "Kênh: Cổng thông tin (web)" in shown.text and "· citizen" not in shown.text
    assert (
        session.execute(select(AuditEntry).where(AuditEntry.action == "feedback.reveal"))
        .scalar_one()
        .target_id
        == case.id
    )


def test_inbox_views_and_refusals(client: TestClient, session: Session, case: Feedback) -> None:
    assert client.get("/feedback", follow_redirects=False).status_code in (302, 303, 401)
    login(client, session, "dieuhanh", "operator", "20")
    for view in ("new", "unclassified", "duplicates", "overdue", "due_soon", "open", "all"):
        assert client.get("/feedback", params={"view": view}).status_code == 200
    assert client.get("/feedback/PA-26-NOSUCH1").status_code == 404


def test_staff_map_data_is_scoped_and_counts_cells(
    client: TestClient, session: Session, case: Feedback
) -> None:
    login(client, session, "tamthanh", "commune_officer", "05986")
    assert client.get("/feedback/ban-do").status_code == 200
    none = client.get("/feedback/ban-do.geojson").json()
    assert none["features"] == [] and none["heat"] == []  # Đông Kinh's case is not its own
    client.cookies.clear()
    login(client, session, "dieuhanh", "operator", "20")
    data = client.get("/feedback/ban-do.geojson").json()
    [feature] = data["features"]
    assert feature["properties"]["code"] == case.code
    assert data["heat"][0]["count"] == 1
    assert "0912" not in str(data)
    assert client.get("/feedback/ban-do.geojson", params={"status": "x"}).status_code == 422


def _listed(page: str) -> list[str]:
    return re.findall(r'<tr data-code="([^"]+)"', page)


def test_the_duplicates_view_pairs_a_new_case_with_the_open_one_it_may_repeat(
    client: TestClient, session: Session, case: Feedback
) -> None:
    again = report(session, "Ổ gà lớn giữa đường, xe máy đi qua dễ ngã, đề nghị vá gấp.").case
    far = report(session, "Cây đổ chắn ngang đường sau mưa bão, cần dọn ngay.",
                 lat=TAM_THANH[0], lon=TAM_THANH[1], category="moi_truong").case  # fmt: skip
    session.commit()
    login(client, session, "dieuhanh", "operator", "20")
    page = client.get("/feedback", params={"view": "duplicates"}).text
    assert "Có thể trùng với" in page
    listed = _listed(page)
    assert again.code in listed and case.code in listed and far.code not in listed
    row = page.split(f'<tr data-code="{again.code}">')[1].split("</tr>")[0]
    assert f'href="/feedback/{case.code}"' in row and " m)" in row


def test_the_due_soon_view_follows_the_sla_rule(client: TestClient, session: Session) -> None:
    """Due soon is the stage's last 20 % of working time (sla.py), whatever the calendar."""
    province(session)
    now = utcnow()
    fresh = report(session, now=now).case
    late = report(session, "Đèn đường hỏng cả dãy phố, tối om rất nguy hiểm.").case
    for minutes in range(15, 60 * 24 * 10, 15):  # the latest start whose clock is due soon now
        clock.start_stage(session, late, late.stage, now - timedelta(minutes=minutes))
        if clock.state(session, late, now).status == "due_soon":
            break
    assert clock.state(session, late, now).status == "due_soon"
    session.commit()
    assert clock.state(session, fresh, now).status == "on_time"
    login(client, session, "dieuhanh", "operator", "20")
    page = client.get("/feedback", params={"view": "due_soon"}).text
    assert _listed(page) == [late.code]
    assert 'class="sla-due_soon"' in page


def test_the_case_page_in_english_names_categories_in_english(
    client: TestClient, session: Session, case: Feedback
) -> None:
    login(client, session, "dieuhanh", "operator", "20")
    client.cookies.set("iocvn_lang", "en")  # the pages' language is the visitor's choice
    page = client.get(f"/feedback/{case.code}").text
    inbox = client.get("/feedback").text
    assert "Pothole" in page and "Pothole" in inbox


def test_the_case_page_writes_the_position_with_hemispheres(
    client: TestClient, session: Session, case: Feedback
) -> None:
    """The decimal comma cannot be read as the pair's separator: "21,81153° B; 106,77502° Đ"."""
    login(client, session, "dieuhanh", "operator", "20")
    page = client.get(f"/feedback/{case.code}").text
    assert '<span class="muted" id="case-position">21,81153° B; 106,77502° Đ</span>' in page
    assert "(21,81153, 106,77502)" not in page
    client.cookies.set("iocvn_lang", "en")
    english = client.get(f"/feedback/{case.code}").text
    assert '<span class="muted" id="case-position">21,81153° N; 106,77502° E</span>' in english


def test_the_inbox_puts_code_status_and_deadline_first(
    client: TestClient, session: Session, case: Feedback
) -> None:
    """On a phone those fit; description and commune are the columns it may hide."""
    login(client, session, "dieuhanh", "operator", "20")
    page = client.get("/feedback").text
    head = re.search(r"<thead><tr>(.*?)</tr></thead>", page, re.S)
    assert head is not None
    columns = re.findall(r"<th( class=\"wide-only\")?>([^<]+)</th>", head.group(1))
    assert [name for _, name in columns][:3] == ["Mã", "Trạng thái", "Hạn"]
    assert [name for wide, name in columns if wide] == ["Nội dung", "Xã, phường"]
    row = page[page.index(f'<tr data-code="{case.code}">') :]
    assert row.split("</tr>")[0].count('class="wide-only"') == 2
