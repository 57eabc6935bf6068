"""Contact points through ``/api/v1/alerts/contact-points``: created by operators and admins
with masked destinations (stored encrypted), audited; checked per channel (422); read by the
staff within their unit; disabled once (409); 401 and 403 as for every guarded route."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts.models_notify import AlertContactPoint
from iocvn.audit.models import AuditEntry
from tests.factories.notify import environment
from tests.factories.warnings import staff

URL = "/api/v1/alerts/contact-points"
HOOK = "https://hooks.langson.gov.vn/ioc/alerts?token=s3cret-Tok"


@pytest.fixture
def people(session: Session) -> Iterator[dict[str, dict[str, str]]]:
    """Bearer headers by username (``factories.warnings.STAFF``); webhooks to the province's
    own host allowed."""
    with environment(IOCVN_WEBHOOK_HOSTS="hooks.langson.gov.vn"):
        yield staff(session)


def body(**overrides: Any) -> dict[str, Any]:
    return {"name": "Hộp thư trực ban IOC", "channel": "email",
            "destination": " Truc.IOC@LangSon.gov.vn "} | overrides  # fmt: skip


def test_an_operator_adds_contact_points_shown_masked(
    client: TestClient, session: Session, people: dict[str, dict[str, str]]
) -> None:
    mail = client.post(URL, json=body(), headers=people["dieuhanh"])
    assert mail.status_code == 201, mail.text
    found = mail.json()
    assert found["destination"] == "t***@langson.gov.vn"
    assert found["channel"] == "email" and found["escalation_level"] == 0
    assert found["rung"] == "commune" and found["org_unit"] == "20" and found["enabled"]
    assert found["group_by"] == ["alertname", "scenario"] and found["min_severity"] == "info"
    assert found["created_by"] == "dieuhanh"
    hook = client.post(
        URL,
        json=body(name="Nhóm chỉ huy PCTT", channel="webhook", destination=HOOK,
                  matchers=['severity=~"critical|warning"', 'scenario="flood"'],
                  min_severity="warning", group_by=["scenario"], escalation_level=1),
        headers=people["quantri"],
    )  # fmt: skip
    assert hook.status_code == 201, hook.text
    assert hook.json()["destination"] == "https://hooks.langson.gov.vn/***"
    assert hook.json()["rung"] == "province" and hook.json()["group_by"] == ["scenario"]
    sms = client.post(URL, json=body(channel="SMS", destination="0912 345 678"),
                      headers=people["dieuhanh"])  # fmt: skip
    assert sms.status_code == 201 and sms.json()["destination"] == "09******78"
    stored = session.execute(select(AlertContactPoint)).scalars().all()
    assert all("s3cret" not in r.destination and "0912" not in r.destination for r in stored)
    audited = session.execute(
        select(AuditEntry).where(AuditEntry.action == "alert.contact_point.create")
    ).scalars()
    afters = [e.after or {} for e in audited]
    assert len(afters) == 3 and "s3cret-Tok" not in str(afters) and "truc.ioc" not in str(afters)
    listed = client.get(URL, headers=people["lanhdao"])
    assert listed.status_code == 200
    assert [c["name"] for c in listed.json()] == [
        "Hộp thư trực ban IOC", "Hộp thư trực ban IOC", "Nhóm chỉ huy PCTT"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"name": "   "}, "alert_contact_point_invalid"),
        ({"destination": "không phải thư"}, "alert_contact_point_invalid"),
        ({"channel": "sms", "destination": "gọi tôi"}, "alert_contact_point_invalid"),
        ({"channel": "webhook", "destination": "ftp://hooks.langson.gov.vn/"},
         "alert_contact_point_invalid"),
        ({"channel": "webhook", "destination": "http://169.254.169.254/latest"},
         "alert_contact_point_invalid"),
        ({"channel": "Zalo OA"}, "alert_contact_point_invalid"),
        ({"escalation_level": 3}, "alert_contact_point_invalid"),  # a ladder of 3 rungs
        ({"group_by": ["không phải nhãn"]}, "alert_contact_point_invalid"),
        ({"matchers": ["device=~\"(\""]}, "alert_matcher_invalid"),
        ({"min_severity": "urgent"}, "validation_error"),
        ({"colour": "red"}, "validation_error"),
        ({"escalation_level": -1}, "validation_error"),
    ],
)  # fmt: skip
def test_what_is_refused(
    client: TestClient,
    people: dict[str, dict[str, str]],
    overrides: dict[str, Any],
    code: str,
) -> None:
    refused = client.post(URL, json=body(**overrides), headers=people["dieuhanh"])
    assert refused.status_code == 422, refused.text
    assert refused.json()["error"] == code
    assert client.get(URL, headers=people["dieuhanh"]).json() == []


def test_permissions_and_scope(client: TestClient, people: dict[str, dict[str, str]]) -> None:
    assert client.get(URL).status_code == 401
    assert client.post(URL, json=body()).status_code == 401
    for who in ("lanhdao", "canbo-xa", "xem-kylua"):  # may read, may not manage
        assert client.post(URL, json=body(), headers=people[who]).status_code == 403
    province = client.post(URL, json=body(), headers=people["dieuhanh"]).json()
    commune = client.post(URL, json=body(name="Trực ban phường"), headers=people["dieuhanh-xa"])
    assert commune.status_code == 201 and commune.json()["org_unit"] == "05977"
    seen = {c["name"] for c in client.get(URL, headers=people["canbo-xa"]).json()}
    assert seen == {"Trực ban phường"}  # a commune sees its own
    assert len(client.get(URL, headers=people["lanhdao"]).json()) == 2  # the province, all
    other = client.post(f"{URL}/{province['id']}/disable", headers=people["dieuhanh-xa"])
    assert other.status_code == 404 and other.json()["error"] == "alert_contact_point_not_found"


def test_disabling_once(
    client: TestClient, session: Session, people: dict[str, dict[str, str]]
) -> None:
    made = client.post(URL, json=body(), headers=people["dieuhanh"]).json()
    done = client.post(f"{URL}/{made['id']}/disable", headers=people["quantri"])
    assert done.status_code == 200 and done.json()["enabled"] is False
    twice = client.post(f"{URL}/{made['id']}/disable", headers=people["quantri"])
    assert twice.status_code == 409 and twice.json()["error"] == "alert_contact_point_disabled"
    enabled = client.get(f"{URL}?enabled=true", headers=people["dieuhanh"]).json()
    assert enabled == []
    bad = client.post(f"{URL}/not-an-id/disable", headers=people["quantri"])
    assert bad.status_code == 422
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "alert.contact_point.disable")
    ).scalar_one()
    assert entry.before is not None and entry.before["enabled"] is True
    assert entry.after is not None and entry.after["enabled"] is False
