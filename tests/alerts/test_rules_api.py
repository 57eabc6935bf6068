"""Alert rules, alerts, acknowledgement and silences through ``/api/v1/alerts``: the issue's
contract (``POST /alerts/rules``, ``GET /alerts?state=firing``), rules with conditions over a
device, a group or an area, permissions, scope, errors."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from iocvn.alerts import evaluation, rules, stored
from iocvn.alerts.engine import Matcher, Threshold
from iocvn.alerts.models_rules import AlertRule
from iocvn.audit.models import AuditEntry
from iocvn.auth.scope import OrgScope
from iocvn.core.errors import Invalid
from iocvn.core.timeutil import utcnow
from iocvn.sensors import directory
from iocvn.sensors.ingest import ingest
from iocvn.sensors.models import Device
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


# --- richer rules: conditions, groups, areas ----------------------------------------------

RULES = "/api/v1/alerts/rules"
RISING = {"rate": {"quantity": "currentLevel", "op": ">", "value": 0.05, "window_s": 900}}
ABOVE = {"threshold": {"quantity": "currentLevel", "op": ">", "value": 3.0}}


def rule_body(**fields: Any) -> dict[str, Any]:
    """A rule with a condition: the body of ``POST /alerts/rules`` without a target."""
    body: dict[str, Any] = {"name": "Lũ lên nhanh", "condition": RISING, "for_s": 0,
                            "severity": "critical"}  # fmt: skip
    return body | fields


def stand_in(session: Session, code: str, area: str) -> None:
    """Put a device in a commune (the test units have no boundaries to find it)."""
    session.execute(update(Device).where(Device.code == code).values(area_code=area))
    session.commit()
    directory.invalidate()


def test_the_flat_threshold_shows_its_condition(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    out = client.post(RULES, json=spec(), headers=people["dieuhanh"]).json()
    threshold = {"quantity": "currentLevel", "op": ">", "value": 3.0, "reduce": "last",
                 "window_s": 0.0}  # fmt: skip
    assert out["condition"] == {"threshold": threshold}
    assert out["no_data_state"] == "NoData" and out["selector"] == []
    # a rule stored before conditions existed (flat columns only) reads the same
    session.execute(update(AlertRule).values(condition=None))
    session.commit()
    listed = client.get(RULES, headers=people["lanhdao"]).json()
    assert listed[0]["condition"] == {"threshold": threshold}
    assert listed[0]["quantity"] == "currentLevel"
    old = session.get(AlertRule, out["id"])
    assert old is not None and old.condition is None
    assert stored.engine_rule(old).condition == Threshold("currentLevel", ">", 3.0)


@pytest.mark.parametrize(
    ("condition", "stored"),
    [
        (RISING, {"rate": RISING["rate"] | {"value": 0.05, "window_s": 900.0}}),
        ({"absent": {"quantity": "currentLevel", "intervals": 2}},
         {"absent": {"quantity": "currentLevel", "intervals": 2}}),
        ({"all": [ABOVE, RISING]},
         {"all": [{"threshold": ABOVE["threshold"] | {"reduce": "last", "window_s": 0.0}},
                  RISING | {}]}),
        ({"any": [{"threshold": {"quantity": "currentLevel", "op": ">=", "value": 3.5,
                                 "reduce": "max", "window_s": 1800}}, RISING]},
         {"any": [{"threshold": {"quantity": "currentLevel", "op": ">=", "value": 3.5,
                                 "reduce": "max", "window_s": 1800.0}}, RISING]}),
    ],
)  # fmt: skip
def test_an_operator_creates_rate_absence_and_combined_rules(
    client: TestClient,
    people: dict[str, Any],
    condition: dict[str, Any],
    stored: dict[str, Any],
) -> None:
    body = rule_body(device="KC-LS-01", condition=condition, no_data_state="OK",
                     labels={"river": "Kỳ Cùng"}, scenario="flood")  # fmt: skip
    made = client.post(RULES, json=body, headers=people["dieuhanh"])
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["condition"] == stored
    assert out["device"] == "KC-LS-01" and out["interval_s"] == 300
    assert out["quantity"] is None and out["op"] is None and out["value"] is None
    assert out["no_data_state"] == "OK" and out["scenario"] == "flood"


def test_group_and_area_rules_select_devices_by_their_labels(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    device(session, "KC-LS-02", interval_s=600)
    made = client.post(RULES, json=rule_body(selector=['kind="water_level"']),
                       headers=people["dieuhanh"])  # fmt: skip
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["device"] is None and out["selector"] == ['kind="water_level"']
    assert out["interval_s"] == 600  # the slowest gauge's: none of them is "no data" too soon
    assert out["org_unit"] == "20"
    area = client.post(RULES, json=rule_body(area="05977", selector=['kind=~"water_.*"']),
                       headers=people["dieuhanh"])  # fmt: skip
    assert area.status_code == 201, area.text
    assert area.json()["selector"] == ['kind=~"water_.*"', 'area="05977"']
    assert area.json()["interval_s"] == 300  # no gauge stands there yet: the default


def test_a_commune_group_rule_is_pinned_to_the_commune(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    who = people["dieuhanh-xa"]  # an operator of Phường Đông Kinh (05977)
    made = client.post(RULES, json=rule_body(selector=['kind="water_level"']), headers=who)
    assert made.status_code == 201, made.text
    assert made.json()["selector"] == ['kind="water_level"', 'area="05977"']
    assert made.json()["org_unit"] == "05977"
    own = client.post(RULES, json=rule_body(selector=['org_unit="05977"']), headers=who)
    assert own.json()["selector"] == ['org_unit="05977"']  # its own devices, wherever they are
    other = client.post(RULES, json=rule_body(area="06187"), headers=who)
    assert other.status_code == 422 and other.json()["error"] == "alert_rule_out_of_scope"


def test_a_group_rule_watches_only_the_selected_devices_measuring_its_quantities(
    client: TestClient, session: Session, people: dict[str, Any], clock: Clock
) -> None:
    device(session, "KC-LS-02")
    device(session, "KK-01", "air_quality")
    for code in ("KC-LS-01", "KC-LS-02", "KK-01"):
        stand_in(session, code, "05977")
    body = rule_body(area="05977", condition=ABOVE, no_data_state="Alerting")
    assert client.post(RULES, json=body, headers=people["dieuhanh"]).status_code == 201
    clock.now = NOW
    ingest(session, [reading("KC-LS-01", NOW, currentLevel=3.4),
                     reading("KC-LS-02", NOW, currentLevel=2.1),
                     reading("KK-01", NOW, pm25=30.0)], now=NOW)  # fmt: skip
    session.commit()
    report = evaluation.evaluate_all(session, NOW + MIN)
    session.commit()
    assert report.evaluated == 2  # the air-quality station measures no water level
    firing = client.get("/api/v1/alerts?state=firing", headers=people["canbo-xa"]).json()
    assert [a["device"] for a in firing] == ["KC-LS-01"]
    assert firing[0]["labels"]["area"] == "05977"


def test_a_rate_rule_fires_on_a_rising_river(
    client: TestClient, session: Session, people: dict[str, Any], clock: Clock
) -> None:
    body = rule_body(device="KC-LS-01")  # > 5 cm a minute over 15 minutes, at once
    assert client.post(RULES, json=body, headers=people["dieuhanh"]).status_code == 201
    for i, level in enumerate((2.0, 2.1, 2.7)):  # 2 cm a minute, then 7 cm a minute
        at = NOW + 5 * i * MIN
        clock.now = at
        ingest(session, [reading("KC-LS-01", at, currentLevel=level)], now=at)
        session.commit()
        firing = client.get("/api/v1/alerts?state=firing", headers=people["dieuhanh"]).json()
        assert len(firing) == (1 if i == 2 else 0)
    assert firing[0]["values"] == {"rate(currentLevel)": pytest.approx(0.07)}


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"quantity": "currentLevel"}, "alert_rule_shape_invalid"),  # condition and flat
        ({"condition": None}, "alert_rule_shape_invalid"),  # neither
        ({"selector": ['kind="water_level"']}, "alert_rule_target_invalid"),  # device and group
        ({"device": None}, "alert_rule_target_invalid"),  # nothing targeted
        ({"device": None, "selector": ['river="Kỳ Cùng"']}, "alert_rule_selector_invalid"),
        ({"device": None, "selector": ["kind water_level"]}, "alert_matcher_invalid"),
        ({"device": None, "selector": ['kind=~"("']}, "alert_matcher_invalid"),
        ({"device": None, "area": "99999"}, "alert_rule_area_unknown"),
        ({"device": None, "area": "20"}, "alert_rule_area_unknown"),  # the province: no commune
        ({"device": None, "selector": ['kind="water_level"'],
          "condition": {"threshold": {"quantity": "pm25", "op": ">", "value": 50}}},
         "alert_rule_quantity_unselected"),
        ({"condition": {"all": [ABOVE, {"absent": {"quantity": "pm25"}}]}},
         "alert_rule_quantity_unknown"),
        ({"condition": {"rate": {"quantity": "currentLevel", "op": ">", "value": 1}}},
         "alert_condition_invalid"),
        ({"no_data_state": "Maybe"}, "validation_error"),
        ({"selector": ["x"] * 11, "device": None}, "validation_error"),
    ],
)  # fmt: skip
def test_bad_conditions_and_targets_are_refused_with_a_reason(
    client: TestClient, people: dict[str, Any], change: dict[str, Any], code: str
) -> None:
    body = {k: v for k, v in (rule_body(device="KC-LS-01") | change).items() if v is not None}
    response = client.post(RULES, json=body, headers=people["dieuhanh"])
    assert response.status_code == 422, response.text
    out = response.json()
    assert out["error"] == code and out["message"]
    assert "{" not in out["message"]  # every placeholder filled


def test_a_bad_condition_says_where_in_both_languages(
    client: TestClient, people: dict[str, Any]
) -> None:
    bad = {"any": [ABOVE, {"threshold": {"quantity": "currentLevel", "op": "=>", "value": 1}}]}
    body = rule_body(device="KC-LS-01", condition=bad)
    vi = client.post(RULES, json=body, headers=people["dieuhanh"]).json()
    en = client.post(RULES, json=body, headers=people["dieuhanh"] | {"Accept-Language": "en"})
    assert vi["details"]["path"] == "condition.any[1].threshold.op"
    assert vi["message"].startswith("Điều kiện cảnh báo không hợp lệ tại condition.any[1]")
    assert en.json()["message"].startswith("Invalid alert condition at condition.any[1]")


def test_who_may_make_group_rules_and_enable_rules(
    client: TestClient, session: Session, people: dict[str, Any]
) -> None:
    for who in ("lanhdao", "canbo-xa", "xem-kylua"):
        body = rule_body(selector=['kind="water_level"'])
        assert client.post(RULES, json=body, headers=people[who]).status_code == 403, who
    made = client.post(RULES, json=rule_body(area="05977"), headers=people["dieuhanh"]).json()
    url = f"{RULES}/{made['id']}"
    assert client.post(f"{url}/enable", headers=people["dieuhanh"]).json()["error"] == (
        "alert_rule_enabled"
    )
    assert client.post(f"{url}/disable", headers=people["dieuhanh"]).status_code == 200
    assert client.post(f"{url}/enable", headers=people["canbo-xa"]).status_code == 403
    enabled = client.post(f"{url}/enable", headers=people["quantri"])
    assert enabled.status_code == 200 and enabled.json()["enabled"] is True
    actions = session.execute(select(AuditEntry.action)).scalars().all()
    assert "alert.rule.enable" in actions


def test_group_selectors_are_pinned_to_the_callers_unit(session: Session) -> None:
    staff(session)

    def pinned(texts: list[str], scope: OrgScope, area: str | None = None) -> list[str]:
        return [rules.matcher_text(m) for m in rules.group_selector(session, texts, area, scope)]

    agency = OrgScope("agency", "20.SYT", "20")
    assert pinned(['kind="air_quality"'], agency) == ['kind="air_quality"', 'org_unit="20.SYT"']
    assert pinned(['org_unit="20.SYT"'], agency) == ['org_unit="20.SYT"']
    commune = OrgScope("commune", "05977", "20")
    # the province's devices standing in the commune: visible to it, so allowed
    assert pinned(['org_unit="20"'], commune) == ['org_unit="20"', 'area="05977"']
    assert pinned([], commune, area="05977") == ['area="05977"']
    province = OrgScope("province", "20", "20")
    assert pinned(['area!="05977"'], province) == ['area!="05977"']
    for texts, scope in ((['org_unit="20"'], agency), (['area="06187"'], commune)):
        with pytest.raises(Invalid) as refused:
            pinned(texts, scope)
        assert refused.value.code == "alert_rule_out_of_scope"


@given(st.text(max_size=20))
def test_stored_matchers_read_back_as_written(value: str) -> None:
    matcher = Matcher("kind", "=", value)
    assert Matcher.parse(rules.matcher_text(matcher)) == matcher
