"""Alert rules, alerts, acknowledgement and silences through ``/api/v1/alerts``: the issue's
contract (``POST /alerts/rules``, ``GET /alerts?state=firing``), permissions, scope, errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import evaluation
from iocvn.audit.models import AuditEntry
from iocvn.core.timeutil import utcnow
from iocvn.sensors.ingest import ingest
from tests.alerts.conftest import Clock
from tests.factories.alerts import spec
from tests.factories.sensors import NOW, device, reading
from tests.factories.warnings import staff

MIN = timedelta(minutes=1)


@pytest.fixture
def people(session: Session) -> dict[str, dict[str, str]]:
    """Bearer headers by username (``factories.warnings.STAFF``) and the Kỳ Cùng gauge."""
    headers = staff(session)
    device(session)
    return headers


def _firing(client: TestClient, session: Session, clock: Clock, who: dict[str, str]) -> str:
    """Create the rule, then readings above it for 10 minutes: the id of the firing alert."""
    made = client.post("/api/v1/alerts/rules", json=spec(), headers=who)
    assert made.status_code == 201, made.text
    clock.now = NOW
    ingest(session, [reading("KC-LS-01", NOW, currentLevel=3.5)], now=NOW)
    session.commit()
    evaluation.evaluate_all(session, NOW + 10 * MIN)
    session.commit()
    found = client.get("/api/v1/alerts?state=firing", headers=who).json()
    assert len(found) == 1, found
    return str(found[0]["id"])


def test_an_operator_creates_a_threshold_rule(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    response = client.post(
        "/api/v1/alerts/rules",
        json=spec(labels={"river": "Kỳ Cùng"}, scenario="flood"),
        headers=people["dieuhanh"],
    )
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["device"] == "KC-LS-01" and out["op"] == ">" and out["value"] == 3.0
    assert out["for_s"] == 600 and out["severity"] == "warning" and out["enabled"] is True
    assert out["labels"] == {"river": "Kỳ Cùng"} and out["scenario"] == "flood"
    assert out["interval_s"] == 300 and out["created_by"] == "dieuhanh"
    listed = client.get("/api/v1/alerts/rules", headers=people["lanhdao"]).json()
    assert [r["id"] for r in listed] == [out["id"]]
    actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert "alert.rule.create" in actions
    disabled = client.post(f"/api/v1/alerts/rules/{out['id']}/disable", headers=people["quantri"])
    assert disabled.status_code == 200 and disabled.json()["enabled"] is False
    again = client.post(f"/api/v1/alerts/rules/{out['id']}/disable", headers=people["quantri"])
    assert again.status_code == 409 and again.json()["error"] == "alert_rule_disabled"


@pytest.mark.parametrize(
    ("change", "status", "code"),
    [
        ({"device": "KHONG-CO"}, 422, "alert_rule_device_unknown"),
        ({"quantity": "pm25"}, 422, "alert_rule_quantity_unknown"),
        ({"op": "=>"}, 422, None),
        ({"severity": "urgent"}, 422, None),
        ({"for_s": -1}, 422, None),
        ({"extra": 1}, 422, None),
        ({"labels": {"": "x"}}, 422, "alert_labels_invalid"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(
    client: TestClient,
    people: dict[str, Any],
    change: dict[str, Any],
    status: int,
    code: str | None,
) -> None:
    response = client.post("/api/v1/alerts/rules", json=spec(**change), headers=people["dieuhanh"])
    assert response.status_code == status, response.text
    if code:
        assert response.json()["error"] == code
    assert response.json()["message"]


def test_messages_are_in_vietnamese_and_english(client: TestClient, people: dict[str, Any]) -> None:
    body = spec(device="KHONG-CO")
    vi = client.post("/api/v1/alerts/rules", json=body, headers=people["dieuhanh"]).json()
    en = client.post(
        "/api/v1/alerts/rules", json=body, headers=people["dieuhanh"] | {"Accept-Language": "en"}
    ).json()
    assert "thiết bị KHONG-CO" in vi["message"]
    assert en["message"].startswith("There is no device KHONG-CO")


def test_a_commune_cannot_make_rules_on_devices_outside_its_scope(
    client: TestClient, people: dict[str, Any]
) -> None:
    # the gauge belongs to the province (20) and stands outside the commune 05977's records
    response = client.post("/api/v1/alerts/rules", json=spec(), headers=people["dieuhanh-xa"])
    assert response.status_code == 422
    assert response.json()["error"] == "alert_rule_device_unknown"


def test_who_may_manage_rules_and_acknowledge(client: TestClient, people: dict[str, Any]) -> None:
    for who in ("lanhdao", "canbo-xa", "xem-kylua"):
        response = client.post("/api/v1/alerts/rules", json=spec(), headers=people[who])
        assert response.status_code == 403, who
    assert client.get("/api/v1/alerts/rules", headers=people["xem-kylua"]).status_code == 200
    assert client.get("/api/v1/alerts").status_code == 401


def test_firing_alerts_are_listed_acknowledged_and_silenced(
    client: TestClient, session: Session, people: dict[str, Any], clock: Clock
) -> None:
    alert_id = _firing(client, session, clock, people["dieuhanh"])
    assert client.get("/api/v1/alerts?state=pending", headers=people["dieuhanh"]).json() == []
    bad = client.get("/api/v1/alerts?state=burning", headers=people["dieuhanh"])
    assert bad.status_code == 422 and bad.json()["error"] == "alert_state_unknown"
    one = client.get(f"/api/v1/alerts/{alert_id}", headers=people["lanhdao"]).json()
    assert one["state"] == "firing" and one["silenced"] is False
    assert [(h["from_state"], h["to_state"]) for h in one["history"]] == [
        ("normal", "pending"),
        ("pending", "firing"),
    ]
    assert one["labels"]["device"] == "KC-LS-01" and one["value"] == 3.5
    # a viewer reads but may not acknowledge; a leader acknowledges with a comment
    url = f"/api/v1/alerts/{alert_id}/ack"
    assert client.post(url, json={"comment": "x"}, headers=people["xem-kylua"]).status_code == 403
    assert client.post(url, json={}, headers=people["lanhdao"]).status_code == 422
    acked = client.post(url, json={"comment": "Đã báo xã"}, headers=people["lanhdao"])
    assert acked.status_code == 200, acked.text
    assert acked.json()["acknowledged_by"] == "lanhdao"
    assert acked.json()["ack_comment"] == "Đã báo xã"
    twice = client.post(url, json={"comment": "nữa"}, headers=people["dieuhanh"])
    assert twice.status_code == 409 and twice.json()["error"] == "alert_already_acknowledged"
    # a silence mutes it without changing its state
    silence = {
        "matchers": ['device="KC-LS-01"'],
        "ends_at": (utcnow() + timedelta(hours=2)).isoformat(),
        "comment": "Bảo trì trạm đo",
    }
    made = client.post("/api/v1/alerts/silences", json=silence, headers=people["dieuhanh"])
    assert made.status_code == 201, made.text
    assert made.json()["active"] is True and made.json()["created_by"] == "dieuhanh"
    listed = client.get("/api/v1/alerts/silences", headers=people["lanhdao"]).json()
    assert [s["id"] for s in listed] == [made.json()["id"]]
    firing = client.get("/api/v1/alerts?state=firing", headers=people["dieuhanh"]).json()
    assert firing[0]["silenced"] is True and firing[0]["state"] == "firing"
    ended = client.post(
        f"/api/v1/alerts/silences/{made.json()['id']}/expire", headers=people["quantri"]
    )
    assert ended.status_code == 200 and ended.json()["active"] is False
    firing = client.get("/api/v1/alerts?state=firing", headers=people["dieuhanh"]).json()
    assert firing[0]["silenced"] is False
    actions = session.execute(select(AuditEntry.action)).scalars().all()
    for action in ("alert.ack", "alert.silence.create", "alert.silence.expire"):
        assert action in actions


def test_alerts_follow_the_callers_scope(
    client: TestClient, session: Session, people: dict[str, Any], clock: Clock
) -> None:
    _firing(client, session, clock, people["dieuhanh"])
    # the province's gauge is not the commune's: its officer does not see it
    assert client.get("/api/v1/alerts", headers=people["canbo-xa"]).json() == []
    assert len(client.get("/api/v1/alerts", headers=people["lanhdao"]).json()) == 1


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"matchers": ['severity=~".*"']}, "alert_silence_invalid"),  # matches everything
        ({"matchers": ["not a matcher"]}, "alert_matcher_invalid"),
        ({"comment": "   "}, "alert_silence_invalid"),
        ({"ends_at": "2020-01-01T00:00:00+07:00"}, "alert_silence_invalid"),
        ({"ends_at": "2099-01-01T00:00:00+07:00"}, "alert_silence_invalid"),  # > 31 days
    ],
)
def test_bad_silences_are_refused(
    client: TestClient, people: dict[str, Any], change: dict[str, Any], code: str
) -> None:
    body = {
        "matchers": ['device="KC-LS-01"'],
        "ends_at": (utcnow() + timedelta(hours=2)).isoformat(),
        "comment": "Bảo trì",
    } | change
    response = client.post("/api/v1/alerts/silences", json=body, headers=people["dieuhanh"])
    assert response.status_code == 422, response.text
    assert response.json()["error"] == code
    assert (
        client.post("/api/v1/alerts/silences", json=body, headers=people["lanhdao"]).status_code
        == 403
    )


def test_unknown_alerts_and_rules_are_404(client: TestClient, people: dict[str, Any]) -> None:
    missing = "01J00000000000000000000000"
    got = client.get(f"/api/v1/alerts/{missing}", headers=people["dieuhanh"])
    assert got.status_code == 404 and got.json()["error"] == "alert_not_found"
    acked = client.post(
        f"/api/v1/alerts/{missing}/ack", json={"comment": "x"}, headers=people["dieuhanh"]
    )
    assert acked.status_code == 404
    disabled = client.post(f"/api/v1/alerts/rules/{missing}/disable", headers=people["dieuhanh"])
    assert disabled.status_code == 404 and disabled.json()["error"] == "alert_rule_not_found"
