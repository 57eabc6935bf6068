"""The operators' JSON view of notifications: masked destinations, status filter, scope,
retry (audited); roles without the permission are refused."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.notify import delivery
from tests.factories.auth import bearer
from tests.factories.notify import ADDRESS, queue_email

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
UNKNOWN = "01JDZZZZZZZZZZZZZZZZZZZZZZ"


def _failed_and_sent(session: Session) -> tuple[str, str]:
    failed = queue_email(session, org_code="05977", now=NOW)
    sent = queue_email(session, "lan.pt@example.vn", org_code="06187", now=NOW)
    delivery.deliver_due(session, NOW, notifiers={})
    sent.status = "sent"
    session.flush()
    return failed.id, sent.id


def test_operators_list_notifications_masked(client: TestClient, units: Session) -> None:
    failed_id, sent_id = _failed_and_sent(units)
    operator = bearer(units, "dieuhanh", "operator", "20")
    units.commit()
    everything = client.get("/api/v1/notifications", headers=operator)
    assert everything.status_code == 200, everything.text
    assert ADDRESS not in everything.text and "lan.pt@" not in everything.text
    assert {n["id"] for n in everything.json()} == {failed_id, sent_id}
    failed = client.get("/api/v1/notifications?status=failed", headers=operator).json()
    assert len(failed) == 1
    row = failed[0]
    assert row["id"] == failed_id
    assert row["destination"] == "h***@example.vn"
    assert row["channel"] == "email" and row["org_unit"] == "05977"
    assert row["last_error"] == "no notifier for channel email"
    assert row["attempts"] == 1 and row["max_attempts"] == 5
    assert row["next_attempt_at"] is not None and row["sent_at"] is None
    assert "body" not in row


def test_a_commune_operator_sees_its_own_commune_only(client: TestClient, units: Session) -> None:
    failed_id, _ = _failed_and_sent(units)
    own = bearer(units, "dieuhanh.dongkinh", "operator", "05977")
    other = bearer(units, "dieuhanh.kylua", "operator", "06187")
    units.commit()
    assert [n["id"] for n in client.get("/api/v1/notifications", headers=own).json()] == [failed_id]
    assert all(
        n["org_unit"] == "06187" for n in client.get("/api/v1/notifications", headers=other).json()
    )
    outside = client.post(f"/api/v1/notifications/{failed_id}/retry", headers=other)
    assert outside.status_code == 404


def test_retry(client: TestClient, units: Session) -> None:
    failed_id, sent_id = _failed_and_sent(units)
    operator = bearer(units, "dieuhanh", "operator", "20")
    units.commit()
    done = client.post(f"/api/v1/notifications/{failed_id}/retry", headers=operator)
    assert done.status_code == 200, done.text
    assert done.json()["status"] == "pending"
    entry = units.execute(
        select(AuditEntry).where(AuditEntry.action == "notification.retry")
    ).scalar_one()
    assert entry.actor == "dieuhanh" and entry.target_id == failed_id
    again = client.post(f"/api/v1/notifications/{sent_id}/retry", headers=operator)
    assert again.status_code == 409 and again.json()["error"] == "notification_not_retryable"
    missing = client.post(
        "/api/v1/notifications/01JDZZZZZZZZZZZZZZZZZZZZZZ/retry", headers=operator
    )
    assert missing.status_code == 404
    assert client.post("/api/v1/notifications/nope/retry", headers=operator).status_code == 422


def test_other_roles_are_refused(client: TestClient, units: Session) -> None:
    failed_id, _ = _failed_and_sent(units)
    viewer = bearer(units, "xem", "viewer", "20")
    steward = bearer(units, "dulieu", "data_steward", "20")
    units.commit()
    assert client.get("/api/v1/notifications").status_code == 401
    for headers in (viewer, steward):
        listed = client.get("/api/v1/notifications", headers=headers)
        assert listed.status_code == 403 and listed.json()["error"] == "forbidden"
        retried = client.post(f"/api/v1/notifications/{failed_id}/retry", headers=headers)
        assert retried.status_code == 403
