"""JSON routes of accounts and tokens: results, errors, and immediate effect of lock/revoke."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.auth.models import User
from iocvn.config import get_settings
from tests.factories.auth import PASSWORD, add_units, bearer


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    add_units(session)
    headers = bearer(session, "quantri", "admin", "20")
    session.commit()
    return headers


def test_me_describes_the_caller(client: TestClient, session: Session) -> None:
    add_units(session)
    headers = bearer(session, "canbo", "commune_officer", "05977")
    session.commit()
    body = client.get("/api/v1/me", headers=headers).json()
    assert body["username"] == "canbo"
    assert body["role"] == "commune_officer"
    assert body["org_unit"] == "05977"
    assert body["org_unit_name"] == "Phường Đông Kinh"
    assert body["scope"] == {"level": "commune", "org_unit": "05977", "province": "20"}
    assert body["auth"] == "token"
    assert "org.read" in body["permissions"] and "user.write" not in body["permissions"]


def test_me_needs_credentials(client: TestClient) -> None:
    response = client.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["error"] == "unauthenticated"
    assert response.headers["www-authenticate"] == "Bearer"


def test_create_list_and_update_users(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post(
        "/api/v1/users",
        headers=admin,
        json={
            "username": "xa.dongkinh",
            "role": "commune_officer",
            "org_unit": "05977",
            "password": PASSWORD,
            "display_name": "Lê Văn Tám",
        },
    )
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "active"
    listed = client.get("/api/v1/users", headers=admin).json()
    assert [u["username"] for u in listed] == ["quantri", "xa.dongkinh"]
    patched = client.patch("/api/v1/users/xa.dongkinh", headers=admin, json={"org_unit": "06187"})
    assert patched.json()["org_unit"] == "06187"


def test_duplicate_username_is_409_in_vietnamese_then_english(
    client: TestClient, admin: dict[str, str]
) -> None:
    body = {"username": "quantri", "role": "viewer", "org_unit": "20"}
    vi = client.post("/api/v1/users", headers=admin, json=body)
    assert vi.status_code == 409
    assert vi.json() == {
        "error": "username_taken",
        "message": "Tên đăng nhập đã được dùng.",
        "details": {"username": "quantri"},
    }
    en = client.post("/api/v1/users", headers=admin | {"Accept-Language": "en"}, json=body)
    assert en.json()["message"] == "That username is taken."


def test_weak_password_is_422_and_nothing_is_written(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    response = client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "yeu", "role": "viewer", "org_unit": "20", "password": "123"},
    )
    assert response.status_code == 422
    assert response.json()["error"] == "weak_password"
    assert session.execute(select(User).where(User.username == "yeu")).first() is None
    assert session.execute(select(AuditEntry).where(AuditEntry.target_id == "yeu")).first() is None


def test_unknown_org_and_role_are_clear_errors(client: TestClient, admin: dict[str, str]) -> None:
    unknown_org = client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "nguoi.moi", "role": "viewer", "org_unit": "99999"},
    )
    assert unknown_org.status_code == 422
    assert unknown_org.json()["error"] == "unknown_org_unit"
    unknown_role = client.post(
        "/api/v1/users",
        headers=admin,
        json={"username": "nguoi.moi", "role": "mayor", "org_unit": "20"},
    )
    assert unknown_role.status_code == 422
    assert unknown_role.json()["error"] == "validation_error"


def test_malformed_json_wrong_type_and_oversized_body(
    client: TestClient, admin: dict[str, str]
) -> None:
    bad = client.post(
        "/api/v1/users", headers=admin | {"Content-Type": "application/json"}, content=b"{nope"
    )
    assert bad.status_code == 400 and bad.json()["error"] == "malformed_json"
    wrong = client.post(
        "/api/v1/users", headers=admin | {"Content-Type": "text/plain"}, content=b"username=x"
    )
    assert wrong.status_code == 415 and wrong.json()["error"] == "unsupported_media_type"
    big = client.post(
        "/api/v1/users",
        headers=admin | {"Content-Type": "application/json"},
        content=b"[" + b"0," * (get_settings().max_body_bytes // 2) + b"0]",
    )
    assert big.status_code == 413 and big.json()["error"] == "payload_too_large"


def test_unknown_route_and_method_are_json_4xx(client: TestClient) -> None:
    missing = client.get("/api/v1/khong-co")
    assert missing.status_code == 404
    assert set(missing.json()) == {"error", "message", "details"}
    wrong = client.delete("/api/v1/me")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


def test_locked_user_token_stops_immediately(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    officer = bearer(session, "canbo", "commune_officer", "05977")
    session.commit()
    assert client.get("/api/v1/me", headers=officer).status_code == 200
    assert client.post("/api/v1/users/canbo/lock", headers=admin).json()["status"] == "locked"
    assert client.get("/api/v1/me", headers=officer).status_code == 401
    client.post("/api/v1/users/canbo/unlock", headers=admin)
    assert client.get("/api/v1/me", headers=officer).status_code == 200


def test_revoked_token_and_revoked_user_stop_immediately(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    created = client.post(
        "/api/v1/tokens", headers=admin, json={"username": "quantri", "name": "thử"}
    ).json()
    second = {"Authorization": f"Bearer {created['token']}"}
    assert client.get("/api/v1/me", headers=second).status_code == 200
    assert client.delete(f"/api/v1/tokens/{created['id']}", headers=admin).status_code == 200
    revoked = client.get("/api/v1/me", headers=second)
    assert revoked.status_code == 401 and revoked.json()["error"] == "invalid_token"
    officer = bearer(session, "canbo", "commune_officer", "05977")
    session.commit()
    client.post("/api/v1/users/canbo/revoke", headers=admin)
    assert client.get("/api/v1/me", headers=officer).status_code == 401
    again = client.post("/api/v1/users/canbo/unlock", headers=admin)
    assert again.status_code == 409 and again.json()["error"] == "user_revoked"


def test_token_secret_is_shown_once(client: TestClient, admin: dict[str, str]) -> None:
    created = client.post("/api/v1/tokens", headers=admin, json={"username": "quantri"})
    assert created.status_code == 201 and created.json()["token"].startswith("iocvn_")
    listed = client.get("/api/v1/tokens", headers=admin).json()
    assert all("token" not in t for t in listed)


def test_read_only_token_cannot_change_anything(client: TestClient, session: Session) -> None:
    add_units(session)
    ro = bearer(session, "quantri", "admin", "20", read_only=True)
    session.commit()
    assert client.get("/api/v1/users", headers=ro).status_code == 200
    refused = client.post(
        "/api/v1/users", headers=ro, json={"username": "x1y", "role": "viewer", "org_unit": "20"}
    )
    assert refused.status_code == 403 and refused.json()["error"] == "token_read_only"


def test_changes_through_the_api_are_audited_with_request_id(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    response = client.post(
        "/api/v1/users",
        headers=admin | {"X-Request-ID": "req-abc-123"},
        json={"username": "xa.kylua", "role": "commune_officer", "org_unit": "06187"},
    )
    assert response.headers["x-request-id"] == "req-abc-123"
    entry = session.execute(
        select(AuditEntry).where(
            AuditEntry.action == "user.create", AuditEntry.target_id == "xa.kylua"
        )
    ).scalar_one()
    assert (entry.actor, entry.actor_org, entry.request_id) == ("quantri", "20", "req-abc-123")
    assert entry.ip == "testclient"
