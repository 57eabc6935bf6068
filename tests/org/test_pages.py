"""The org web pages on the real Lạng Sơn data, logged in through the web form: the list with
its search, a unit's detail, the agency edit form (CSRF), and the commune scope."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, add_user
from tests.factories.org import audit_actions, stored
from tests.factories.web import csrf_of, login

HTML = {"Accept": "text/html"}


def logged_in(client: TestClient, session: Session, username: str, role: str, org: str) -> None:
    """Create an account and log ``client`` in through the web form."""
    add_user(session, username, role, org)
    session.commit()
    response = login(client, username, PASSWORD)
    assert response.status_code == 303, response.text


def rows(html: str) -> list[str]:
    """Codes of the rows of the unit table."""
    return re.findall(r'<tr data-code="([^"]+)">', html)


def test_the_list_shows_the_65_communes_and_searches_without_accents(
    client: TestClient, lang_son: Session
) -> None:
    logged_in(client, lang_son, "xem", "viewer", "20")
    communes = client.get("/org", params={"level": "commune"})
    assert communes.status_code == 200
    assert len(rows(communes.text)) == 65
    assert "65 đơn vị" in communes.text
    assert '<option value="commune" selected>' in communes.text
    everything = rows(client.get("/org").text)
    assert everything[0] == "20" and len(everything) == 83
    for q in ("dong kinh", "Đông Kinh"):
        found = client.get("/org", params={"q": q})
        assert rows(found.text) == ["05977"], q
        assert "Phường Đông Kinh" in found.text
    none = client.get("/org", params={"q": "khong co dau"})
    assert rows(none.text) == []


def test_the_detail_shows_what_a_commune_was_formed_from(
    client: TestClient, lang_son: Session
) -> None:
    logged_in(client, lang_son, "xem", "viewer", "20")
    page = client.get("/org/05977")
    assert page.status_code == 200
    assert "<h1>Phường Đông Kinh" in page.text
    formed = re.search(r'<ul id="formed-from">(.*?)</ul>', page.text, re.S)
    assert formed is not None
    items = re.findall(r"<li>(.*?)</li>", formed.group(1))
    assert len(items) == 4 and "Phường Vĩnh Trại (Thành phố Lạng Sơn)" in items
    assert 'data-geojson="/api/v1/org-units/05977"' in page.text  # its small map
    assert 'id="org-edit"' not in page.text  # a viewer gets no edit form


def test_a_steward_edits_an_agency_through_the_form(client: TestClient, lang_son: Session) -> None:
    logged_in(client, lang_son, "dulieu", "data_steward", "20")
    form = client.get("/org/20.SYT")
    assert 'id="org-edit"' in form.text
    response = client.post(
        "/org/20.SYT",
        data={
            "name": "Sở Y tế tỉnh Lạng Sơn",
            "short_name": "SYT",
            "sector": "y_te",
            "valid_to": "",
            "csrf_token": csrf_of(form.text),
        },
        follow_redirects=False,
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/org/20.SYT?saved=1"
    saved = client.get(response.headers["location"])
    assert "Đã lưu." in saved.text and "<h1>Sở Y tế tỉnh Lạng Sơn" in saved.text
    unit = stored(lang_son, "20.SYT")
    assert (unit.name, unit.short_name, unit.sector) == ("Sở Y tế tỉnh Lạng Sơn", "SYT", "y_te")
    assert audit_actions(lang_son, "org_unit.") == ["org_unit.update"]


def test_an_invalid_edit_shows_the_form_again(client: TestClient, lang_son: Session) -> None:
    logged_in(client, lang_son, "dulieu", "data_steward", "20")
    form = client.get("/org/05977")
    assert 'id="name"' not in form.text  # a commune's name is the official one
    response = client.post(
        "/org/05977",
        data={"valid_to": "2020-01-01", "csrf_token": csrf_of(form.text)},
        follow_redirects=False,
    )
    assert response.status_code == 422
    assert 'role="alert"' in response.text and "Phường Đông Kinh" in response.text
    assert stored(lang_son, "05977").valid_to is None
    assert audit_actions(lang_son, "org_unit.") == []


def test_an_edit_without_the_csrf_token_is_refused(client: TestClient, lang_son: Session) -> None:
    logged_in(client, lang_son, "dulieu", "data_steward", "20")
    response = client.post(
        "/org/20.SYT", data={"name": "Sở giả mạo"}, headers=HTML, follow_redirects=False
    )
    assert response.status_code == 403
    assert stored(lang_son, "20.SYT").name == "Sở Y tế"
    assert audit_actions(lang_son, "org_unit.") == []


def test_a_commune_officer_sees_only_its_own_commune(client: TestClient, lang_son: Session) -> None:
    logged_in(client, lang_son, "canbo", "commune_officer", "05977")
    listed = client.get("/org", params={"level": "commune"})
    assert rows(listed.text) == ["05977"]
    other = client.get("/org/06187", headers=HTML)
    assert other.status_code == 404
    assert "Phường Kỳ Lừa" not in other.text
    assert client.get("/org/05977").status_code == 200


def test_anonymous_visitors_are_sent_to_the_login(client: TestClient, lang_son: Session) -> None:
    response = client.get("/org?level=commune", headers=HTML, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/org%3Flevel%3Dcommune"
