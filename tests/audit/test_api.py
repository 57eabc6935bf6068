"""The audit API and page: filters, paging, verification, and who may read them."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.audit.models import AuditEntry
from iocvn.core.context import Actor
from iocvn.core.timeutil import to_local, utcnow
from tests.factories.auth import add_units, bearer


@pytest.fixture
def admin(session: Session) -> dict[str, str]:
    add_units(session)
    headers = bearer(session, "quantri", "admin", "20")
    audit.record(session, Actor("hoa.nt", "05977"), "org_unit.update", target_id="05977")
    audit.record(session, Actor("hoa.nt", "05977"), "user.password", target_id="hoa.nt")
    session.commit()
    return headers


def test_admin_lists_newest_first_with_filters(client: TestClient, admin: dict[str, str]) -> None:
    every = client.get("/api/v1/audit", headers=admin).json()
    assert [e["action"] for e in every][:2] == ["user.password", "org_unit.update"]
    assert every[0]["seq"] > every[1]["seq"]
    assert set(every[0]) >= {"seq", "at", "actor", "action", "target_id", "before", "after", "hash"}
    by_actor = client.get("/api/v1/audit?actor=hoa.nt", headers=admin).json()
    assert {e["actor"] for e in by_actor} == {"hoa.nt"} and len(by_actor) == 2
    by_prefix = client.get("/api/v1/audit?action=user.", headers=admin).json()
    assert {e["action"] for e in by_prefix} == {"user.create", "user.password"}


def test_since_accepts_a_date_and_a_datetime(client: TestClient, admin: dict[str, str]) -> None:
    today = to_local(utcnow()).date()
    assert len(client.get(f"/api/v1/audit?since={today.isoformat()}", headers=admin).json()) >= 3
    tomorrow = (today + timedelta(days=1)).isoformat()
    assert client.get(f"/api/v1/audit?since={tomorrow}", headers=admin).json() == []
    later = (utcnow() + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert client.get(f"/api/v1/audit?since={later}", headers=admin).json() == []
    bad = client.get("/api/v1/audit?since=hôm-qua", headers=admin)
    assert bad.status_code == 422 and bad.json()["error"] == "validation_error"


def test_paging_back_with_before(client: TestClient, admin: dict[str, str]) -> None:
    first = client.get("/api/v1/audit?limit=1", headers=admin).json()
    older = client.get(f"/api/v1/audit?limit=1&before={first[0]['seq']}", headers=admin).json()
    assert older[0]["seq"] == first[0]["seq"] - 1


def test_verify_route_reports_the_chain(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    body = client.get("/api/v1/audit/verify", headers=admin).json()
    count = session.query(AuditEntry).count()
    assert body == {"ok": True, "checked": count, "first_bad_seq": None, "reason": ""}


def test_only_admins_read_the_audit_log(
    client: TestClient, admin: dict[str, str], session: Session
) -> None:
    leader = bearer(session, "lanhdao", "leader", "20")
    session.commit()
    refused = client.get("/api/v1/audit", headers=leader)
    assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    assert client.get("/api/v1/audit").status_code == 401


def test_audit_page_filters(client: TestClient, admin: dict[str, str]) -> None:
    page = client.get("/admin/audit?actor=hoa.nt&since=01/01/2025", headers=admin)
    assert page.status_code == 200
    assert page.text.count('data-action="') == 2
    assert 'data-action="user.password"' in page.text
