"""The page /admin/notifications: failures with their error and a CSRF-protected retry."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.notify import delivery
from iocvn.notify.models import Notification
from tests.factories.auth import PASSWORD, add_user
from tests.factories.notify import ADDRESS, SmtpSink, queue_email
from tests.factories.web import csrf_of, login

NOW = datetime(2026, 11, 30, 8, 0, tzinfo=UTC)


def test_operators_see_failures_and_retry(client: TestClient, units: Session) -> None:
    add_user(units, "dieuhanh", "operator", "20")
    failed = queue_email(units, org_code="05977", now=NOW)
    delivery.deliver_due(units, NOW, notifiers={})
    units.commit()
    login(client, "dieuhanh", PASSWORD)
    page = client.get("/admin/notifications")
    assert page.status_code == 200, page.text
    assert f'data-id="{failed.id}" data-status="failed"' in page.text
    assert "h***@example.vn" in page.text and ADDRESS not in page.text
    assert "no notifier for channel email" in page.text
    assert 'id="no-channels"' in page.text  # no SMTP relay configured: said plainly
    assert 'href="/admin/notifications"' in page.text  # the navigation entry
    action = f"/admin/notifications/{failed.id}/retry"
    assert action in page.text
    refused = client.post(action, data={}, follow_redirects=False)
    assert refused.status_code == 403
    done = client.post(action, data={"csrf_token": csrf_of(page.text)}, follow_redirects=True)
    assert done.status_code == 200
    assert "Đã đưa thông báo vào hàng đợi gửi lại." in done.text
    units.expire_all()
    row = units.get(Notification, failed.id)
    assert row is not None and row.status == "pending"
    sent_tab = client.get("/admin/notifications?status=sent")
    assert failed.id not in sent_tab.text


def test_active_channels_are_listed(client: TestClient, units: Session, smtp: SmtpSink) -> None:
    add_user(units, "quantri", "operator", "20")
    units.commit()
    login(client, "quantri", PASSWORD)
    page = client.get("/admin/notifications")
    assert 'id="no-channels"' not in page.text and '<span class="mono">email</span>' in page.text


def test_a_viewer_is_refused(client: TestClient, units: Session) -> None:
    add_user(units, "xem", "viewer", "20")
    units.commit()
    login(client, "xem", PASSWORD)
    page = client.get("/admin/notifications")
    assert page.status_code == 403
    assert 'href="/admin/notifications"' not in client.get("/").text
