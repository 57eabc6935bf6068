"""The queue: addresses stored encrypted, hashed and masked; what cannot be sent is refused;
an operator's retry is audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.auth import service as users
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.crypto import decrypt
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.notify import delivery, service
from iocvn.notify.addresses import lookup_hashes, mask
from tests.factories.auth import ADMIN_ACTOR
from tests.factories.notify import (
    ADDRESS,
    FakeSms,
    queue_email,
)

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)
OPERATOR = Actor("dieuhanh", "20", "req-1", "127.0.0.1")


def test_the_address_is_stored_encrypted_hashed_and_masked(session: Session) -> None:
    row = queue_email(session, "  Hoa.NT@Example.vn ")
    session.commit()
    raw = session.execute(text("SELECT * FROM notifications WHERE id = :id"), {"id": row.id}).one()
    stored = " ".join(str(v) for v in raw)
    assert "hoa.nt" not in stored.lower()
    assert row.destination_masked == "h***@example.vn"
    assert decrypt(row.destination, get_settings().data_keys) == "Hoa.NT@Example.vn"
    assert row.destination_hash in lookup_hashes("email", ADDRESS, get_settings().data_keys)
    found = service.list_notifications(session, destination=("email", "HOA.NT@example.VN"))
    assert [n.id for n in found] == [row.id]
    assert service.list_notifications(session, destination=("email", "other@example.vn")) == []
    assert (row.status, row.attempts, row.max_attempts) == ("pending", 0, 5)


def test_masks() -> None:
    assert mask("hoa.nt@example.vn") == "h***@example.vn"
    assert mask("0912345667") == "09******67"
    assert mask("+84 912 345 667") == "09******67"
    assert mask("zalo-user-123456") == "za***56"


def test_enqueue_refuses_what_cannot_be_sent(session: Session) -> None:
    with pytest.raises(Invalid):
        service.enqueue(session, "email", "  ", "s", "b", "test.purpose")
    with pytest.raises(Invalid):
        service.enqueue(session, "", ADDRESS, "s", "b", "test.purpose")
    with pytest.raises(Invalid):
        service.enqueue(session, "email", "a b@example.vn", "s", "b", "test.purpose")


def test_retry_is_audited(session: Session) -> None:
    row = queue_email(session, now=NOW, max_attempts=1)
    delivery.deliver_due(session, NOW, notifiers={})
    assert row.status == "dead"
    service.retry(session, OPERATOR, row.id, now=NOW + timedelta(hours=1))
    assert (row.status, row.max_attempts) == ("pending", 2)
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "notification.retry")
    ).scalar_one()
    assert entry.target_id == row.id and entry.actor == "dieuhanh"
    assert entry.before is not None and entry.before["status"] == "dead"
    assert entry.after is not None and entry.after["status"] == "pending"
    assert entry.after["destination"] == "h***@example.vn"
    sent = FakeSms(channel="email", sent=[])
    assert delivery.deliver_due(session, NOW + timedelta(hours=1), notifiers={"email": sent}).sent
    with pytest.raises(Conflict):
        service.retry(session, OPERATOR, row.id)
    with pytest.raises(NotFound):
        service.retry(session, OPERATOR, "01JDZZZZZZZZZZZZZZZZZZZZZZ")


def test_recipients_are_active_accounts_with_an_address_optionally_by_role(units: Session) -> None:
    for username, role, org, email in (
        ("dieuhanh", "operator", "20", "dieuhanh@langson.gov.vn"),
        ("lanhdao", "leader", "20", "lanhdao@langson.gov.vn"),
        ("khongthu", "operator", "20", ""),
        ("danghi", "operator", "20", "danghi@langson.gov.vn"),
        ("phuong", "commune_officer", "05977", "phuong@langson.gov.vn"),
    ):
        users.create_user(
            units, ADMIN_ACTOR, users.NewUser(username, role, org, None, username, email or None)
        )
    users.revoke_user(units, ADMIN_ACTOR, users.get_user(units, "danghi"))

    def names(org_codes: list[str], roles: list[str] | None = None) -> list[str]:
        return [u.username for u in service.recipients(units, org_codes, roles)]

    assert names(["20", "05977"]) == ["phuong", "dieuhanh", "lanhdao"]  # by unit, username
    assert names(["20"], ["operator"]) == ["dieuhanh"]
    assert names(["20"], ["leader", "commune_officer"]) == ["lanhdao"]
    assert service.recipients(units, ["20"], []) == []
    assert service.recipients(units, []) == []
