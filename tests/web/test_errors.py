"""The JSON error handler: a 429 always says when to retry."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.config import get_settings
from iocvn.core.errors import IocError
from iocvn.core.timeutil import utcnow
from iocvn.feedback import intake
from iocvn.web.errors import error_response
from tests.factories.auth import bearer
from tests.factories.feedback import province, report


@pytest.fixture
def integration(session: Session) -> dict[str, str]:
    """Lạng Sơn and the bearer header of an integration (a Zalo OA)."""
    province(session)
    headers = bearer(session, "zalo-oa", "integration", "20")
    session.commit()
    return headers


def test_a_flood_through_the_webhook_gets_429_with_retry_after(
    client: TestClient, session: Session, integration: dict[str, str]
) -> None:
    now = utcnow()
    flooder = intake.source_key("user:zalo-oa", "zalo-user-7", get_settings().data_keys)
    for i in range(get_settings().feedback_per_hour):  # the first one 50 minutes ago
        report(session, source_key=flooder, now=now - timedelta(minutes=50 - i))
    session.commit()
    hook = {
        "description": "Người dân nhắn báo nước sinh hoạt đục từ sáng nay.",
        "address": "Phường Đông Kinh",
        "channel": "zalo",
        "reporter_ref": "zalo-user-7",
    }
    answer = client.post("/api/v1/feedback/webhook", json=hook, headers=integration)
    assert (answer.status_code, answer.json()["error"]) == (429, "rate_limited")
    minutes = answer.json()["details"]["retry_after_minutes"]
    assert 10 <= minutes <= 11  # when the oldest of the hour's reports stops counting
    assert answer.headers["Retry-After"] == str(minutes * 60)


@pytest.mark.parametrize(
    ("details", "seconds"),
    [({"retry_after_minutes": 5}, "300"), (None, "3600"), ({"retry_after_minutes": "?"}, "3600")],
)
def test_every_429_says_when_to_retry(details: object, seconds: str) -> None:
    response = error_response(IocError("rate_limited", status=429, details=details), "vi")
    assert response.headers["Retry-After"] == seconds
    assert "retry-after" not in error_response(IocError("conflict", status=409), "vi").headers
