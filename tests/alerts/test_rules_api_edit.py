"""Reading and editing one rule through ``/api/v1/alerts/rules/{id}``: ``GET`` with its version
as ETag, ``PATCH`` (JSON merge patch of ``POST``'s fields) with the same errors as creation,
``If-Match``, permissions and scope; the rule's firing alert resolves at the next evaluation
when the new threshold is above the value."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.alerts import evaluation
from iocvn.audit.models import AuditEntry
from iocvn.sensors.ingest import ingest
from tests.alerts.conftest import Clock
from tests.factories.alerts import spec
from tests.factories.sensors import NOW, device, reading
from tests.factories.warnings import staff

RULES = "/api/v1/alerts/rules"
MISSING = "01J00000000000000000000000"
MIN = timedelta(minutes=1)


@pytest.fixture
def made(client: TestClient, session: Session) -> dict[str, Any]:
    """Staff tokens, the Kỳ Cùng gauge (the province's) and the rule ``> 3 m for 10 min``."""
    headers = staff(session)
    device(session)
    response = client.post(RULES, json=spec(), headers=headers["dieuhanh"])
    assert response.status_code == 201, response.text
    return {"who": headers, "rule": response.json()}


def test_one_rule_is_read_with_its_version(client: TestClient, made: dict[str, Any]) -> None:
    rule, who = made["rule"], made["who"]
    got = client.get(f"{RULES}/{rule['id']}", headers=who["lanhdao"])
    assert got.status_code == 200, got.text
    assert got.json() == rule
    assert got.headers["etag"].strip('"').isdigit()
    assert got.json()["updated_at"] == rule["updated_at"]


def test_an_operator_edits_a_threshold(
    client: TestClient, session: Session, made: dict[str, Any]
) -> None:
    rule, who = made["rule"], made["who"]
    url = f"{RULES}/{rule['id']}"
    etag = client.get(url, headers=who["dieuhanh"]).headers["etag"]
    changed = client.patch(url, json={"value": 3.5, "for_s": 300, "scenario": "flood"},
                           headers=who["dieuhanh2"] | {"If-Match": etag})  # fmt: skip
    assert changed.status_code == 200, changed.text
    out = changed.json()
    assert (out["value"], out["for_s"], out["scenario"]) == (3.5, 300, "flood")
    assert out["condition"]["threshold"]["value"] == 3.5
    # the rest is as it was: a merge patch
    for same in ("id", "name", "device", "quantity", "op", "severity", "created_by", "created_at"):
        assert out[same] == rule[same], same
    assert changed.headers["etag"] != etag and out["updated_at"] > rule["updated_at"]
    assert client.get(RULES, headers=who["lanhdao"]).json()[0]["value"] == 3.5
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "alert.rule.update")
    ).scalar_one()
    assert entry.actor == "dieuhanh2" and entry.target_id == rule["id"]
    assert entry.after is not None and entry.after["value"] == 3.5
    # the old version is stale now: 412, nothing changed
    stale = client.patch(url, json={"value": 9.0}, headers=who["dieuhanh"] | {"If-Match": etag})
    assert stale.status_code == 412 and stale.json()["error"] == "alert_rule_changed"
    assert client.get(url, headers=who["dieuhanh"]).json()["value"] == 3.5
    # without If-Match the last edit wins
    assert client.patch(url, json={"value": 3.6}, headers=who["quantri"]).json()["value"] == 3.6


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"quantity": "pm25"}, "alert_rule_quantity_unknown"),
        ({"device": "KHONG-CO"}, "alert_rule_device_unknown"),
        ({"condition": {"rate": {"quantity": "currentLevel"}}}, "alert_condition_invalid"),
        ({"selector": ['kind="water_level"']}, "alert_rule_target_invalid"),
        ({"labels": {"": "x"}}, "alert_labels_invalid"),
        ({"op": "=>"}, "validation_error"),
        ({"for_s": -1}, "validation_error"),
        ({"name": None}, "validation_error"),
        ({"severity": None}, "validation_error"),
        ({"extra": 1}, "validation_error"),
    ],
)
def test_bad_edits_are_refused_as_at_creation(
    client: TestClient, made: dict[str, Any], body: dict[str, Any], code: str
) -> None:
    url = f"{RULES}/{made['rule']['id']}"
    response = client.patch(url, json=body, headers=made["who"]["dieuhanh"])
    assert response.status_code == 422, response.text
    assert response.json()["error"] == code and response.json()["message"]
    assert client.get(url, headers=made["who"]["dieuhanh"]).json() == made["rule"]


def test_errors_are_the_same_as_at_creation_in_both_languages(
    client: TestClient, made: dict[str, Any]
) -> None:
    url, who = f"{RULES}/{made['rule']['id']}", made["who"]["dieuhanh"]
    created = client.post(RULES, json=spec(device="KHONG-CO"), headers=who).json()
    edited = client.patch(url, json={"device": "KHONG-CO"}, headers=who).json()
    assert edited == created
    en = client.patch(url, json={"device": "KHONG-CO"}, headers=who | {"Accept-Language": "en"})
    assert en.json()["message"].startswith("There is no device KHONG-CO")


def test_who_may_read_and_edit_one_rule(client: TestClient, made: dict[str, Any]) -> None:
    url, who = f"{RULES}/{made['rule']['id']}", made["who"]
    assert client.get(url).status_code == 401
    assert client.patch(url, json={"value": 4.0}).status_code == 401
    for role in ("lanhdao", "canbo-xa"):  # may read, may not manage rules
        refused = client.patch(url, json={"value": 4.0}, headers=who[role])
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden", role
    # an operator of a commune: the province's gauge is outside its scope
    for method in ("GET", "PATCH"):
        outside = client.request(method, url, json={"value": 4.0} if method == "PATCH" else None,
                                 headers=who["dieuhanh-xa"])  # fmt: skip
        assert outside.status_code == 403, outside.text
        assert outside.json()["error"] == "alert_rule_forbidden"
    for method in ("GET", "PATCH"):
        missing = client.request(method, f"{RULES}/{MISSING}", json={} if method == "PATCH"
                                 else None, headers=who["dieuhanh"])  # fmt: skip
        assert missing.status_code == 404 and missing.json()["error"] == "alert_rule_not_found"
    assert client.get(url, headers=who["lanhdao"]).status_code == 200


def test_a_firing_alert_resolves_after_its_threshold_is_raised_above_the_value(
    client: TestClient, session: Session, made: dict[str, Any], clock: Clock
) -> None:
    who = made["who"]["dieuhanh"]
    clock.now = NOW
    ingest(session, [reading("KC-LS-01", NOW, currentLevel=3.5)], now=NOW)
    session.commit()
    evaluation.evaluate_all(session, NOW + 10 * MIN)
    session.commit()
    assert [a["state"] for a in client.get("/api/v1/alerts", headers=who).json()] == ["firing"]
    edited = client.patch(f"{RULES}/{made['rule']['id']}", json={"value": 4.0}, headers=who)
    assert edited.status_code == 200, edited.text
    evaluation.evaluate_all(session, NOW + 11 * MIN)
    session.commit()
    (alert,) = client.get("/api/v1/alerts", headers=who).json()
    history = client.get(f"/api/v1/alerts/{alert['id']}", headers=who).json()["history"]
    assert alert["state"] == "resolved"
    assert (history[-1]["from_state"], history[-1]["to_state"]) == ("firing", "resolved")


def test_a_commune_operator_neither_lists_nor_switches_the_province_rules(
    client: TestClient, made: dict[str, Any]
) -> None:
    url, who = f"{RULES}/{made['rule']['id']}", made["who"]
    listed = client.get(RULES, headers=who["dieuhanh-xa"])
    assert listed.status_code == 200 and listed.json() == []
    assert [r["id"] for r in client.get(RULES, headers=who["dieuhanh"]).json()] == [
        made["rule"]["id"]
    ]
    for action in ("disable", "enable"):
        refused = client.post(f"{url}/{action}", headers=who["dieuhanh-xa"])
        assert refused.status_code == 403, refused.text
        assert refused.json()["error"] == "alert_rule_forbidden"
    assert client.get(url, headers=who["dieuhanh"]).json()["enabled"] is True
    assert client.post(f"{url}/disable", headers=who["dieuhanh"]).json()["enabled"] is False
