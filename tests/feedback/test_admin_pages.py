"""The pages that organise feedback: the category tree, the routing table and the working
calendar, edited by forms (``feedback.admin``); a refused form shows why and stores nothing."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.feedback import routing
from iocvn.feedback.models import CalendarDay, FeedbackCategory, RoutingRule
from tests.factories.auth import PASSWORD, add_user, next_code
from tests.factories.feedback import province

ROUTES = "/feedback/admin/routes"
PAGES = ("/feedback/admin/categories", ROUTES, "/feedback/admin/calendar")
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def login(
    client: TestClient, session: Session, username: str, role: str, org: str, *, mfa: bool = False
) -> str:
    """Log a new account in through the forms (with its TOTP code when ``mfa``); returns the
    CSRF token of its session."""
    user = add_user(session, username, role, org, mfa=mfa)
    session.commit()
    token = CSRF.search(client.get("/login").text)
    assert token is not None
    form = {"username": username, "password": PASSWORD, "csrf_token": token.group(1)}
    assert client.post("/login", data=form, follow_redirects=False).status_code in (302, 303)
    if mfa:
        token = CSRF.search(client.get("/login/mfa").text)
        assert token is not None
        second = {"code": next_code(user), "csrf_token": token.group(1)}
        assert client.post("/login/mfa", data=second, follow_redirects=False).status_code == 303
    found = CSRF.search(client.get("/").text)
    assert found is not None
    return found.group(1)


def audited(session: Session, action: str) -> list[AuditEntry]:
    """The audit entries of ``action`` in the log's order (read in a fresh transaction)."""
    session.rollback()
    stmt = select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.seq)
    return list(session.execute(stmt).scalars())


def count(session: Session, model: type) -> int:
    session.rollback()
    return int(session.execute(select(func.count()).select_from(model)).scalar_one())


@pytest.fixture
def csrf(client: TestClient, session: Session) -> str:
    """Lạng Sơn with its categories and routing, and an IOC operator logged in."""
    province(session)
    return login(client, session, "dieuhanh", "operator", "20")


# --- who may -------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login_and_a_commune_officer_is_refused(
    client: TestClient, session: Session
) -> None:
    province(session)
    for path in PAGES:
        page = client.get(path, headers={"Accept": "text/html"}, follow_redirects=False)
        assert page.status_code == 303
        assert page.headers["location"].startswith("/login?next=")
    csrf = login(client, session, "dongkinh", "commune_officer", "05977")
    assert 'href="/feedback/admin"' not in client.get("/feedback").text  # no menu entry
    for path in (*PAGES, "/feedback/admin", "/feedback/admin/categories/giao_thong"):
        refused = client.get(path, headers={"Accept": "text/html"})
        assert refused.status_code == 403 and "không có quyền" in refused.text
    posts = {
        "/feedback/admin/categories": {"code": "giao_thong.x", "name_vi": "X"},
        "/feedback/admin/categories/giao_thong/deactivate": {},
        "/feedback/admin/routes": {"org_unit": "05977"},
        "/feedback/admin/calendar": {"year": "2026", "day_0": "07/12/2026", "kind_0": "holiday"},
    }
    for path, data in posts.items():
        assert client.post(path, data=data | {"csrf_token": csrf}).status_code == 403
    assert count(session, CalendarDay) == 0
    assert session.get(FeedbackCategory, "giao_thong").active  # type: ignore[union-attr]


def test_operator_and_admin_see_the_pages(client: TestClient, session: Session) -> None:
    province(session)
    login(client, session, "dieuhanh", "operator", "20")
    assert 'href="/feedback/admin"' in client.get("/feedback").text
    home = client.get("/feedback/admin", follow_redirects=False)
    assert home.status_code == 303 and home.headers["location"] == "/feedback/admin/categories"
    for path in PAGES:
        assert client.get(path).status_code == 200, path
    client.cookies.clear()
    login(client, session, "quantri", "admin", "20", mfa=True)
    for path in PAGES:
        assert client.get(path).status_code == 200, path


def test_posts_need_the_session_csrf_token(client: TestClient, csrf: str, session: Session) -> None:
    done = client.post("/feedback/admin/routes", data={"org_unit": "20.SXD", "category": "y_te"})
    assert done.status_code == 403
    assert routing.route(session, "y_te", None).org_code == "20.SYT"  # type: ignore[union-attr]


# --- categories ----------------------------------------------------------------------------


def test_the_tree_lists_parents_before_children(client: TestClient, csrf: str) -> None:
    page = client.get("/feedback/admin/categories").text
    codes = re.findall(r'<tr data-code="([^"]+)"', page)
    assert codes.index("giao_thong") < codes.index("giao_thong.o_ga")
    assert "Ổ gà, hư hỏng mặt đường" in page and "Potholes and damaged road surface" in page
    assert "Thông thường" in page  # priorities in words


def test_a_category_is_added_edited_deactivated_and_reactivated(
    client: TestClient, csrf: str, session: Session
) -> None:
    form = {"csrf_token": csrf, "code": "giao_thong.cau_treo", "name_vi": "Cầu treo",
            "name_en": "Suspension bridges", "parent": "giao_thong", "priority": "urgent",
            "resolve_days": "2", "active": "1"}  # fmt: skip
    added = client.post("/feedback/admin/categories", data=form, follow_redirects=False)
    assert added.status_code == 303
    listed = client.get(added.headers["location"]).text
    assert "Đã thêm." in listed and 'data-code="giao_thong.cau_treo"' in listed
    row = session.get(FeedbackCategory, "giao_thong.cau_treo")
    assert row is not None
    assert (row.parent_code, row.priority, row.resolve_days, row.active) == (
        "giao_thong", "urgent", 2, True,
    )  # fmt: skip
    # The edit form shows the stored values and cannot offer the category as its own parent.
    page = client.get("/feedback/admin/categories/giao_thong.cau_treo").text
    assert 'value="Cầu treo"' in page and 'value="giao_thong.cau_treo"' not in page
    edit = form | {"name_vi": "Cầu treo, cầu dân sinh", "priority": "normal", "resolve_days": ""}
    saved = client.post("/feedback/admin/categories/giao_thong.cau_treo", data=edit)
    assert saved.status_code == 200 and "Đã lưu." in saved.text
    session.refresh(row)
    assert (row.name_vi, row.priority, row.resolve_days) == ("Cầu treo, cầu dân sinh", "normal",
                                                             None)  # fmt: skip
    off = client.post("/feedback/admin/categories/giao_thong.cau_treo/deactivate",
                      data={"csrf_token": csrf})  # fmt: skip
    assert "Đã ngừng dùng lĩnh vực." in off.text
    assert 'data-code="giao_thong.cau_treo" data-active="0"' in off.text
    session.refresh(row)
    assert row.active is False
    on = client.post("/feedback/admin/categories/giao_thong.cau_treo/activate",
                     data={"csrf_token": csrf})  # fmt: skip
    assert "Đã dùng lại lĩnh vực." in on.text
    session.refresh(row)
    assert row.active is True
    changes = audited(session, "feedback.category_save")
    assert [e.target_id for e in changes] == ["giao_thong.cau_treo"] * 4
    assert changes[0].actor == "dieuhanh"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"code": "giao_thong"}, 409, "Đã có lĩnh vực mã giao_thong; hãy sửa lĩnh vực đó."),
        ({"parent": "khong_co"}, 404, "Không có lĩnh vực phản ánh khong_co."),
        ({"resolve_days": "ba"}, 422, "Thời hạn xử lý phải là số nguyên từ 0 đến 365"),
        ({"resolve_days": "400"}, 422, "Thời hạn xử lý phải là số nguyên từ 0 đến 365"),
        ({"code": "cầu treo!"}, 422, "Mã lĩnh vực chỉ gồm chữ, số, dấu chấm và dấu gạch dưới"),
        ({"name_vi": "  "}, 422, "Cần nhập tên tiếng Việt."),
        ({"priority": "rat_gap"}, 422, "Mức ưu tiên không hợp lệ."),
    ],
)
def test_a_refused_category_shows_why_and_stores_nothing(
    client: TestClient, csrf: str, session: Session, fields: dict[str, str], status: int,
    message: str,
) -> None:  # fmt: skip
    before = count(session, FeedbackCategory)
    form = {"csrf_token": csrf, "code": "giao_thong.cau_treo", "name_vi": "Cầu treo",
            "parent": "giao_thong", "priority": "normal", "active": "1"} | fields  # fmt: skip
    refused = client.post("/feedback/admin/categories", data=form)
    assert refused.status_code == status
    assert 'id="category-error"' in refused.text and message in refused.text
    assert f'value="{form["code"]}"' in refused.text  # the typed values come back
    assert count(session, FeedbackCategory) == before
    assert audited(session, "feedback.category_save") == []


def test_a_refused_edit_keeps_the_category(client: TestClient, csrf: str, session: Session) -> None:
    form = {"csrf_token": csrf, "name_vi": "Giao thông", "parent": "giao_thong.o_ga",
            "priority": "normal", "active": "1"}  # fmt: skip
    loop = client.post("/feedback/admin/categories/giao_thong", data=form)
    assert loop.status_code == 422
    assert "Lĩnh vực cha không được là chính lĩnh vực này hoặc một lĩnh vực con của nó" in loop.text
    client.cookies.set("iocvn_lang", "en")
    blank = client.post("/feedback/admin/categories/giao_thong", data=form | {"name_vi": ""})
    client.cookies.delete("iocvn_lang")
    assert blank.status_code == 422 and "The Vietnamese name is required." in blank.text
    row = session.get(FeedbackCategory, "giao_thong")
    assert row is not None and (row.name_vi, row.parent_code) == ("Giao thông", None)
    assert client.get("/feedback/admin/categories/khong_co").status_code == 404
    gone = client.post("/feedback/admin/categories/khong_co/deactivate", data={"csrf_token": csrf})
    assert gone.status_code == 404 and "Không có lĩnh vực phản ánh khong_co." in gone.text
    assert audited(session, "feedback.category_save") == []


# --- routing -------------------------------------------------------------------------------


def test_rules_are_listed_filtered_added_checked_and_deleted(
    client: TestClient, csrf: str, session: Session
) -> None:
    page = client.get("/feedback/admin/routes").text
    assert 'data-category="y_te" data-area="" data-unit="20.SYT"' in page
    assert "Sở Y tế" in page and "Mọi xã, phường" in page
    only = client.get("/feedback/admin/routes", params={"category": "giao_duc"}).text
    assert re.findall(r'data-category="([^"]*)"', only) == ["giao_duc"]
    assert "<td colspan" in client.get("/feedback/admin/routes", params={"area": "05977"}).text

    rule = {"csrf_token": csrf, "category": "giao_thong", "area": "05977", "org_unit": "20.SXD",
            "note": "Đường đô thị do Sở quản lý"}  # fmt: skip
    added = client.post("/feedback/admin/routes", data=rule, follow_redirects=False)
    assert added.status_code == 303
    assert "Đã lưu." in client.get(added.headers["location"]).text
    stored = session.execute(
        select(RoutingRule).where(RoutingRule.area_code == "05977")
    ).scalar_one()
    assert (stored.category_code, stored.org_code) == ("giao_thong", "20.SXD")
    rule_id = stored.id
    by_commune = client.get("/feedback/admin/routes", params={"area": "05977"}).text
    assert f'data-id="{rule_id}"' in by_commune and "Đường đô thị do Sở quản lý" in by_commune

    # A child category in that commune goes by the new rule; in another commune to the commune.
    check = client.get(ROUTES, params={"check_category": "giao_thong.o_ga", "check_area": "05977"})
    assert f'id="check-result" data-rule="{rule_id}"' in check.text
    assert "Chuyển tới Sở Xây dựng (20.SXD) theo quy tắc (giao_thong; 05977)." in check.text
    pothole = {"check_category": "giao_thong.o_ga"}
    elsewhere = client.get(ROUTES, params=pothole | {"check_area": "05986"})
    assert "Chuyển tới Phường Tam Thanh (05986): không có quy tắc nào" in elsewhere.text
    nowhere = client.get("/feedback/admin/routes", params={"check_category": "", "check_area": ""})
    assert "Không có quy tắc nào: phản ánh chờ Trung tâm IOC phân loại" in nowhere.text

    deleted = client.post(f"/feedback/admin/routes/{rule_id}/delete", data={"csrf_token": csrf})
    assert deleted.status_code == 200 and "Đã xóa quy tắc." in deleted.text
    assert f'data-id="{rule_id}"' not in deleted.text
    assert routing.route(session, "giao_thong.o_ga", "05977").org_code == "05977"  # type: ignore[union-attr]
    assert [e.target_id for e in audited(session, "feedback.route_set")][-1] == rule_id
    assert [e.target_id for e in audited(session, "feedback.route_delete")] == [rule_id]


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"org_unit": "99.XX"}, "Không có đơn vị xử lý 99.XX."),
        ({"area": "99999"}, "Không có đơn vị xử lý 99999."),
        ({"category": "khong_co"}, "Không có lĩnh vực phản ánh khong_co."),
    ],
)
def test_a_refused_rule_shows_why_and_stores_nothing(
    client: TestClient, csrf: str, session: Session, fields: dict[str, str], message: str
) -> None:
    before = count(session, RoutingRule)
    rule = {"csrf_token": csrf, "category": "giao_thong", "area": "05977", "org_unit": "20.SXD",
            "note": "thử"} | fields  # fmt: skip
    refused = client.post("/feedback/admin/routes", data=rule)
    assert refused.status_code == 422
    assert 'id="route-error"' in refused.text and message in refused.text
    assert 'value="thử"' in refused.text
    assert count(session, RoutingRule) == before
    assert len(audited(session, "feedback.route_set")) == before  # the seeded rules only


def test_unknown_rules_and_checks_are_explained(client: TestClient, csrf: str) -> None:
    gone = client.post("/feedback/admin/routes/01NOSUCHRULE/delete", data={"csrf_token": csrf})
    assert gone.status_code == 404 and "Không có quy tắc phân công này." in gone.text
    check = client.get("/feedback/admin/routes", params={"check_category": "khong_co"})
    assert check.status_code == 422 and 'id="check-error"' in check.text
    assert "Không có lĩnh vực phản ánh khong_co." in check.text
    client.cookies.set("iocvn_lang", "en")
    english = client.get("/feedback/admin/routes", params={"check_category": "khong_co"})
    assert "There is no feedback category khong_co." in english.text


# --- calendar ------------------------------------------------------------------------------


def test_a_year_shows_defaults_hours_and_working_days(client: TestClient, csrf: str) -> None:
    page = client.get("/feedback/admin/calendar", params={"year": 2026}).text
    assert "07:30–11:30, 13:30–17:00" in page and "Thứ Hai, Thứ Ba" in page
    assert 'data-day="2026-01-01" data-kind="holiday" data-edited="0"' in page
    assert 'data-day="2026-08-22" data-kind="workday"' in page  # the Saturday worked for 31/8
    assert "01/01/2026" in page and "Mặc định" in page
    days = re.search(r"Năm 2026 có (\d+) ngày làm việc", page)
    assert days is not None and 240 < int(days.group(1)) < 250
    for bad in ("1999", "năm nay"):
        refused = client.get("/feedback/admin/calendar", params={"year": bad})
        assert refused.status_code == 422 and "Năm phải từ 2000 đến 2100." in refused.text


def test_days_are_added_and_removed_and_saved(
    client: TestClient, csrf: str, session: Session
) -> None:
    before = client.get("/feedback/admin/calendar", params={"year": 2026}).text
    form = {"csrf_token": csrf, "year": "2026",
            "day_0": "07/12/2026", "kind_0": "holiday", "name_0": "Nghỉ theo quyết định của tỉnh",
            "day_1": "2026-12-12", "kind_1": "workday", "name_1": "Làm bù",
            "day_2": "", "kind_2": "holiday", "name_2": ""}  # fmt: skip
    saved = client.post("/feedback/admin/calendar", data=form, follow_redirects=False)
    assert saved.status_code == 303
    page = client.get(saved.headers["location"]).text
    assert "Đã lưu lịch làm việc năm 2026." in page
    assert 'data-day="2026-12-07" data-kind="holiday" data-edited="1"' in page
    assert 'data-day="2026-12-12" data-kind="workday" data-edited="1"' in page
    assert 'name="day_0" value="07/12/2026"' in page and 'name="day_1" value="12/12/2026"' in page
    # One working Monday off, one Saturday worked: the year keeps its number of working days.
    assert re.findall(r"có \d+ ngày", page) == re.findall(r"có \d+ ngày", before)
    session.rollback()
    assert session.get(CalendarDay, date(2026, 12, 7)) is not None
    removed = client.post("/feedback/admin/calendar", data=form | {"remove_1": "1"})
    assert removed.status_code == 200
    assert 'data-day="2026-12-12"' not in removed.text
    session.rollback()
    assert [d.day for d in session.execute(select(CalendarDay)).scalars()] == [date(2026, 12, 7)]
    assert [e.target_id for e in audited(session, "feedback.calendar_set")] == ["2026", "2026"]


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({"day_1": "31/02/2026"}, "Dòng 2: ngày «31/02/2026» không đúng dạng dd/mm/yyyy."),
        ({"day_1": "hôm qua"}, "Dòng 2: ngày «hôm qua» không đúng dạng dd/mm/yyyy."),
        ({"day_1": "01/01/2027"}, "Dòng 2: ngày 01/01/2027 không thuộc năm 2026."),
        ({"day_1": "07/12/2026"}, "Ngày 07/12/2026 được nhập hai lần."),
        ({"kind_1": "nghi"}, "Ngày 12/12/2026: loại phải là"),
    ],
)
def test_a_refused_calendar_shows_why_and_stores_nothing(
    client: TestClient, csrf: str, session: Session, row: dict[str, str], message: str
) -> None:
    form = {"csrf_token": csrf, "year": "2026",
            "day_0": "07/12/2026", "kind_0": "holiday", "name_0": "Nghỉ",
            "day_1": "12/12/2026", "kind_1": "workday", "name_1": "Làm bù"} | row  # fmt: skip
    refused = client.post("/feedback/admin/calendar", data=form)
    assert refused.status_code == 422
    assert 'id="cal-error"' in refused.text and message in refused.text
    assert f'value="{form["day_1"]}"' in refused.text  # as typed, to correct it
    assert count(session, CalendarDay) == 0
    assert audited(session, "feedback.calendar_set") == []


def test_a_bad_year_is_refused_in_english_too(client: TestClient, csrf: str) -> None:
    client.cookies.set("iocvn_lang", "en")
    refused = client.post("/feedback/admin/calendar", data={"csrf_token": csrf, "year": "1899",
                                                            "day_0": "01/05/1899"})  # fmt: skip
    assert refused.status_code == 422 and "The year must be from 2000 to 2100." in refused.text
