"""The login flow over HTTP: CSRF, generic failures, TOTP step, session cookie, logout."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from tests.factories.auth import PASSWORD, add_units, add_user, next_code
from tests.factories.web import csrf_of, login


@pytest.fixture
def units(session: Session) -> Session:
    add_units(session)
    return session


def test_officer_logs_in_and_out(client: TestClient, units: Session) -> None:
    add_user(units, "canbo", "commune_officer", "05977")
    units.commit()
    response = login(client, "canbo", PASSWORD, "/org")
    assert response.status_code == 303 and response.headers["location"] == "/org"
    cookie = response.headers["set-cookie"]
    assert "iocvn_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP in tests; HTTPS sets it
    home = client.get("/")
    assert home.status_code == 200 and "Phường Đông Kinh" in home.text
    me = client.get("/api/v1/me").json()
    assert me["auth"] == "session"
    out = client.post("/logout", data={"csrf_token": csrf_of(home.text)}, follow_redirects=False)
    assert out.status_code == 303
    assert client.get("/api/v1/me").status_code == 401


def test_login_without_csrf_is_refused(client: TestClient, units: Session) -> None:
    add_user(units, "canbo", "commune_officer", "05977")
    units.commit()
    client.get("/login")
    response = client.post(
        "/login",
        data={"username": "canbo", "password": PASSWORD, "csrf_token": "forged"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 403 and response.json()["error"] == "csrf_failed"


def test_failed_login_says_the_same_for_unknown_and_wrong(
    client: TestClient, units: Session
) -> None:
    add_user(units, "canbo", "commune_officer", "05977")
    units.commit()
    a = login(client, "khongco", PASSWORD)
    b = login(client, "canbo", "sai-mat-khau")
    assert a.status_code == b.status_code == 401
    message = "Tên đăng nhập hoặc mật khẩu không đúng"
    assert message in a.text and message in b.text
    failures = (
        units.execute(select(AuditEntry).where(AuditEntry.action == "auth.login_failed"))
        .scalars()
        .all()
    )
    assert len(failures) == 2  # committed although the answer is an error


def test_session_cookie_changes_after_second_factor(client: TestClient, units: Session) -> None:
    user = add_user(units, "quantri", "admin", "20", mfa=True)
    units.commit()
    first = login(client, "quantri", PASSWORD, "/admin/users")
    assert first.headers["location"] == "/login/mfa?next=/admin/users"
    pending = client.cookies.get("iocvn_session")
    # A pending session is not a login.
    assert client.get("/api/v1/me").status_code == 401
    form = client.get("/login/mfa")
    done = client.post(
        "/login/mfa",
        data={"code": next_code(user), "csrf_token": csrf_of(form.text), "next": "/admin/users"},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/admin/users"
    assert client.cookies.get("iocvn_session") != pending
    assert client.get("/api/v1/me").json()["username"] == "quantri"


def test_session_api_writes_need_the_csrf_header(client: TestClient, units: Session) -> None:
    add_user(units, "dulieu", "data_steward", "20")
    units.commit()
    login(client, "dulieu", PASSWORD)
    page = client.get("/account")
    token = csrf_of(client.get("/").text)
    refused = client.patch("/api/v1/org-units/20.SYT", json={"sector": "y_te"})
    assert refused.status_code == 403 and refused.json()["error"] == "csrf_failed"
    assert page.status_code == 200
    allowed = client.patch(
        "/api/v1/org-units/20.SYT", json={"sector": "y_te"}, headers={"X-CSRF-Token": token}
    )
    assert allowed.status_code == 200, allowed.text


def test_open_redirect_is_refused(client: TestClient, units: Session) -> None:
    add_user(units, "canbo", "commune_officer", "05977")
    units.commit()
    response = login(client, "canbo", PASSWORD, "https://evil.example/")
    assert response.headers["location"] == "/"


def test_pages_redirect_anonymous_browsers_to_login(client: TestClient) -> None:
    response = client.get("/admin/audit", headers={"Accept": "text/html"}, follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/admin/audit"


def test_english_switch(client: TestClient) -> None:
    client.get("/lang/en", follow_redirects=False)
    assert "Log in" in client.get("/login").text
    client.get("/lang/vi", follow_redirects=False)
    assert "Đăng nhập" in client.get("/login").text
