"""``/api/v1/sensors``: the registry (scope, permissions, audit), history, and HTTP ingestion
with device keys and staff tokens (per-reading answers, errors)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.app import create_app
from iocvn.audit.models import AuditEntry
from iocvn.config import get_settings
from iocvn.core.timeutil import utcnow
from iocvn.sensors.ingest import ingest
from tests.factories.auth import bearer
from tests.factories.sensors import DONG_KINH, KY_CUNG, TAM_THANH, device, reading, series

DEVICES = "/api/v1/sensors/devices"
READINGS = "/api/v1/sensors/readings"


@pytest.fixture
def heads(org: Session) -> dict[str, dict[str, str]]:
    """Tokens of the people who deal with sensors."""
    made = {
        "operator": bearer(org, "dieuhanh", "operator", "20"),
        "admin": bearer(org, "quantri", "admin", "20"),
        "commune_op": bearer(org, "dieuhanh.dk", "operator", "05977"),
        "commune": bearer(org, "canbo.dk", "commune_officer", "05977"),
        "health": bearer(org, "syt", "agency_officer", "20.SYT"),
        "viewer": bearer(org, "xem", "viewer", "20"),
        "integration": bearer(org, "tich-hop", "integration", "20"),
        "integration_ro": bearer(org, "tich-hop-ro", "integration", "20", read_only=True),
    }
    org.commit()
    return made


def body(code: str = "KC-LS-01", **extra: Any) -> dict[str, Any]:
    return {"code": code, "kind": "water_level", "name": "Trạm thủy văn Lạng Sơn (sông Kỳ Cùng)",
            "lon": KY_CUNG[0], "lat": KY_CUNG[1], "org_unit": "20",
            "quantities": {"currentLevel": "m"}, "interval_s": 600} | extra  # fmt: skip


def now_minus(**delta: float) -> str:
    return (utcnow() - timedelta(**delta)).isoformat()


# --- registry -------------------------------------------------------------------------------


def test_register_returns_the_key_once_and_audits(
    client: TestClient, heads: dict[str, dict[str, str]], org: Session
) -> None:
    made = client.post(DEVICES, json=body(), headers=heads["operator"])
    assert made.status_code == 201, made.text
    out = made.json()
    assert out["api_key"].startswith("iocvnd_")
    assert out["key_prefix"] == out["api_key"][:12]
    assert (out["code"], out["kind"], out["org_unit"], out["interval_s"]) == (
        "KC-LS-01", "water_level", "20", 600)  # fmt: skip
    assert out["quantities"] == {"currentLevel": "m"}
    assert (out["status"], out["latest"], out["online"]) == ("active", {}, False)
    shown = client.get(f"{DEVICES}/KC-LS-01", headers=heads["operator"]).json()
    assert "api_key" not in shown
    entry = org.execute(
        select(AuditEntry).where(AuditEntry.action == "sensor_device.create")
    ).scalar_one()
    assert (entry.actor, entry.target_id) == ("dieuhanh", "KC-LS-01")
    assert out["api_key"] not in str(entry.after)


def test_a_registration_without_quantities_gets_the_kinds_fiware_names(
    client: TestClient, heads: dict[str, dict[str, str]]
) -> None:
    made = client.post(DEVICES, json=body("KK-01", kind="air_quality", quantities={}),
                       headers=heads["admin"])  # fmt: skip
    assert made.status_code == 201, made.text
    assert set(made.json()["quantities"]) == {"pm25", "pm10", "aqi", "temperature",
                                              "relativeHumidity"}  # fmt: skip
    assert made.json()["ranges"]["relativeHumidity"] == [0.0, 1.0]


@pytest.mark.parametrize(
    ("change", "status", "error"),
    [({"kind": "volcano"}, 422, "sensor_kind_unknown"),
     ({"code": "bad code/x"}, 422, "device_code_invalid"),
     ({"code": "readings"}, 422, "device_code_invalid"),
     ({"org_unit": "99999"}, 422, "device_org_unit"),
     ({"quantities": {"1bad": "m"}}, 422, "device_quantities"),
     ({"ranges": {"currentLevel": [5, 1]}}, 422, "device_ranges"),
     ({"ranges": {"flow": [0, 1]}}, 422, "device_ranges"),
     ({"interval_s": 0}, 422, "validation_error"),
     ({"lat": 91}, 422, "validation_error")],
)  # fmt: skip
def test_bad_registrations_are_refused(
    client: TestClient, heads: dict[str, dict[str, str]], change: dict[str, Any], status: int,
    error: str,
) -> None:  # fmt: skip
    answer = client.post(DEVICES, json=body(**change), headers=heads["operator"])
    assert (answer.status_code, answer.json()["error"]) == (status, error), answer.text


def test_a_code_is_registered_once(client: TestClient, heads: dict[str, dict[str, str]]) -> None:
    assert client.post(DEVICES, json=body(), headers=heads["operator"]).status_code == 201
    again = client.post(DEVICES, json=body(), headers=heads["operator"])
    assert (again.status_code, again.json()["error"]) == (409, "device_code_taken")
    assert "KC-LS-01" in again.json()["message"]


def test_who_may_register_where(client: TestClient, heads: dict[str, dict[str, str]]) -> None:
    for role in ("viewer", "commune", "integration"):
        refused = client.post(DEVICES, json=body(), headers=heads[role])
        assert (refused.status_code, refused.json()["error"]) == (403, "forbidden"), role
    elsewhere = client.post(DEVICES, json=body(org_unit="06187"), headers=heads["commune_op"])
    assert (elsewhere.status_code, elsewhere.json()["error"]) == (403, "device_org_unit_scope")
    own = client.post(
        DEVICES,
        json=body("DK-01", org_unit="05977", lon=DONG_KINH[0], lat=DONG_KINH[1]),
        headers=heads["commune_op"],
    )
    assert own.status_code == 201, own.text


def test_lists_follow_the_callers_scope_and_carry_latest_values(
    client: TestClient, heads: dict[str, dict[str, str]], org: Session
) -> None:
    device(org, "KC-LS-01")
    device(org, "DK-01", "weather", org="05977", at=DONG_KINH)
    device(org, "KL-01", "weather", org="06187", at=TAM_THANH)
    device(org, "YT-01", "air_quality", org="20.SYT")
    ingest(org, [reading("DK-01", now_minus(minutes=1), temperature=19.5)])
    org.commit()

    def codes(role: str, query: str = "") -> list[str]:
        answer = client.get(f"{DEVICES}{query}", headers=heads[role])
        assert answer.status_code == 200, answer.text
        assert answer.json()["total"] == len(answer.json()["items"])
        return [d["code"] for d in answer.json()["items"]]

    assert codes("viewer") == ["DK-01", "KC-LS-01", "KL-01", "YT-01"]
    assert codes("commune") == ["DK-01"]
    assert codes("health") == ["YT-01"]
    assert codes("viewer", "?kind=weather&q=dk") == ["DK-01"]
    assert codes("viewer", "?org_unit=06187") == ["KL-01"]
    one = client.get(f"{DEVICES}/DK-01", headers=heads["commune"]).json()
    assert one["latest"]["temperature"]["value"] == 19.5
    assert one["online"] is True
    hidden = client.get(f"{DEVICES}/KL-01", headers=heads["commune"])
    assert (hidden.status_code, hidden.json()["error"]) == (404, "device_not_found")


def test_edit_retire_and_new_key(
    client: TestClient, heads: dict[str, dict[str, str]], org: Session
) -> None:
    _, old_key = device(org)
    edited = client.patch(
        f"{DEVICES}/KC-LS-01",
        headers=heads["operator"],
        json={
            "name": "Trạm Kỳ Cùng",
            "ranges": {"currentLevel": [240, 270]},
            "calibration": "Hiệu chuẩn 01/11/2026",
            "status": "maintenance",
        },
    )
    assert edited.status_code == 200, edited.text
    assert (edited.json()["name"], edited.json()["status"]) == ("Trạm Kỳ Cùng", "maintenance")
    assert edited.json()["ranges"] == {"currentLevel": [240.0, 270.0]}
    entry = org.execute(
        select(AuditEntry).where(AuditEntry.action == "sensor_device.update")
    ).scalar_one()
    assert entry.before == {"name": "Thiết bị KC-LS-01", "ranges": {}, "calibration": "",
                            "status": "active"}  # fmt: skip
    bad = client.patch(f"{DEVICES}/KC-LS-01", json={"status": "gone"}, headers=heads["operator"])
    assert bad.status_code == 422

    rotated = client.post(f"{DEVICES}/KC-LS-01/key", headers=heads["operator"])
    assert rotated.status_code == 200
    new_key = rotated.json()["api_key"]
    item = {"readings": [reading("KC-LS-01", now_minus(minutes=1), currentLevel=250.1)]}
    stale = client.post(READINGS, json=item, headers={"Authorization": f"Bearer {old_key}"})
    assert (stale.status_code, stale.json()["error"]) == (401, "device_key_invalid")
    fresh = client.post(READINGS, json=item, headers={"Authorization": f"Bearer {new_key}"})
    assert fresh.status_code == 200, fresh.text

    retired = client.delete(f"{DEVICES}/KC-LS-01", headers=heads["operator"])
    assert retired.json()["status"] == "retired"
    item = {"readings": [reading("KC-LS-01", now_minus(seconds=10), currentLevel=250.2)]}
    refused = client.post(READINGS, json=item, headers={"Authorization": f"Bearer {new_key}"})
    assert refused.status_code == 422
    assert refused.json()["details"]["rejections"][0]["reason"] == "device_retired"
    assert client.get(f"{DEVICES}/KC-LS-01", headers=heads["viewer"]).status_code == 200


# --- history --------------------------------------------------------------------------------


def test_raw_readings_and_rollups_with_paging(
    client: TestClient, heads: dict[str, dict[str, str]], org: Session
) -> None:
    device(org, "KK-01", "air_quality")
    start = (utcnow() - timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    ingest(org, series("KK-01", "pm25", start, [10, 20, 30, 40, 50], every_s=20))
    ingest(org, series("KK-01", "pm10", start, [100, 200], every_s=20))
    org.commit()
    url = f"/api/v1/sensors/KK-01/readings?since={start.isoformat()}".replace("+", "%2B")
    raw = client.get(url, headers=heads["viewer"]).json()
    assert [(i["quantity"], i["value"]) for i in raw["items"]] == [
        ("pm10", 100), ("pm25", 10), ("pm10", 200), ("pm25", 20), ("pm25", 30), ("pm25", 40),
        ("pm25", 50)]  # fmt: skip
    assert raw["step"] == "raw" and raw["next_cursor"] is None
    seen, cursor = [], None
    while True:
        page = client.get(url + "&quantity=pm25&limit=2" + (f"&cursor={cursor}" if cursor else ""),
                          headers=heads["viewer"]).json()  # fmt: skip
        seen += [i["value"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
        cursor = cursor.replace("+", "%2B")
    assert seen == [10, 20, 30, 40, 50]
    minutes = client.get(url + "&step=1m&quantity=pm25", headers=heads["viewer"]).json()
    assert [(i["count"], i["min"], i["max"], i["avg"]) for i in minutes["items"]] == [
        (3, 10, 30, 20), (2, 40, 50, 45)]  # fmt: skip
    hours = client.get(url + "&step=1h", headers=heads["viewer"]).json()
    assert [(i["quantity"], i["count"], i["sum"]) for i in hours["items"]] == [
        ("pm10", 2, 300), ("pm25", 5, 150)]  # fmt: skip
    assert hours["items"][0]["ts"].startswith(start.strftime("%Y-%m-%dT%H:00:00"))


@pytest.mark.parametrize(
    ("query", "error"),
    [("step=5m", "readings_step"), ("quantity=flow", "readings_quantity"),
     ("since=2026-12-01T00:00:00Z&until=2026-11-01T00:00:00Z", "readings_window"),
     ("cursor=nonsense", "invalid"), ("since=yesterday", "validation_error"),
     ("limit=0", "validation_error")],
)  # fmt: skip
def test_bad_history_queries(
    client: TestClient, heads: dict[str, dict[str, str]], org: Session, query: str, error: str
) -> None:
    device(org)
    answer = client.get(f"/api/v1/sensors/KC-LS-01/readings?{query}", headers=heads["viewer"])
    assert (answer.status_code, answer.json()["error"]) == (422, error), answer.text
    missing = client.get("/api/v1/sensors/NOPE/readings", headers=heads["viewer"])
    assert missing.status_code == 404


# --- ingestion ------------------------------------------------------------------------------


def test_a_device_posts_its_readings_with_its_key(client: TestClient, org: Session) -> None:
    _, key = device(org)
    items = [reading("KC-LS-01", now_minus(minutes=m), currentLevel=250 + m) for m in (3, 2, 1)]
    answer = client.post(
        READINGS, json={"readings": items}, headers={"Authorization": f"Bearer {key}"}
    )
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"items": 3, "accepted": 3, "flagged": 0, "duplicates": 0,
                             "rejected": 0, "rejections": []}  # fmt: skip
    again = client.post(
        READINGS, json={"readings": items}, headers={"Authorization": f"Bearer {key}"}
    )
    assert (again.status_code, again.json()["duplicates"]) == (200, 3)


def test_a_partly_bad_batch_is_207_with_a_reason_for_each_rejection(
    client: TestClient, org: Session
) -> None:
    _, key = device(org)
    device(org, "MUA-01", "rain_gauge")
    items: list[Any] = [
        reading("KC-LS-01", now_minus(minutes=1), currentLevel=251.2),
        reading("KC-LS-01", now_minus(minutes=2), currentLevel="cao"),
        reading("MUA-01", now_minus(minutes=1), precipitation=3.5),
        reading("KHONG-CO", now_minus(minutes=1), currentLevel=1),
        reading("KC-LS-01", (utcnow() + timedelta(hours=1)).isoformat(), currentLevel=1),
        42,
    ]
    answer = client.post(
        READINGS,
        json={"readings": items},
        headers={"Authorization": f"Bearer {key}", "Accept-Language": "en"},
    )
    assert answer.status_code == 207, answer.text
    out = answer.json()
    assert (out["accepted"], out["rejected"]) == (1, 5)
    assert [(r["index"], r["reason"], r["quantity"]) for r in out["rejections"]] == [
        (1, "not_a_number", "currentLevel"), (2, "wrong_key", None), (3, "unknown_device", None),
        (4, "ts_in_future", None), (5, "item_not_object", None)]  # fmt: skip
    assert out["rejections"][0]["message"] == "The value must be a number."


def test_staff_tokens_need_sensor_ingest_and_write_scope(
    client: TestClient, heads: dict[str, dict[str, str]], org: Session
) -> None:
    device(org)
    items = {"readings": [reading("KC-LS-01", now_minus(minutes=1), currentLevel=251.0)]}
    assert client.post(READINGS, json=items, headers=heads["integration"]).status_code == 200
    viewer = client.post(READINGS, json=items, headers=heads["viewer"])
    assert (viewer.status_code, viewer.json()["error"]) == (403, "forbidden")
    read_only = client.post(READINGS, json=items, headers=heads["integration_ro"])
    assert (read_only.status_code, read_only.json()["error"]) == (403, "token_read_only")
    commune = client.post(READINGS, json=items, headers=heads["commune_op"])
    assert commune.status_code == 422
    assert commune.json()["details"]["rejections"][0]["reason"] == "out_of_scope"
    for auth in ({}, {"Authorization": "Bearer iocvnd_not-a-key"},
                 {"Authorization": "Bearer iocvn_not-a-token"}):  # fmt: skip
        assert client.post(READINGS, json=items, headers=auth).status_code == 401


def test_malformed_wrong_and_huge_bodies_are_clear_errors(
    client: TestClient, org: Session, heads: dict[str, dict[str, str]]
) -> None:
    _, key = device(org)
    auth = {"Authorization": f"Bearer {key}"}
    broken = client.post(
        READINGS, content=b'{"readings": [', headers=auth | {"Content-Type": "application/json"}
    )
    assert (broken.status_code, broken.json()["error"]) == (400, "malformed_json")
    text = client.post(READINGS, content=b"device=1", headers=auth | {"Content-Type": "text/plain"})
    assert text.status_code == 415
    for wrong in ({}, {"readings": []}, {"readings": "all"}, []):
        answer = client.post(READINGS, json=wrong, headers=auth)
        assert (answer.status_code, answer.json()["error"]) == (422, "validation_error"), wrong
    many = {"readings": [reading("KC-LS-01", now_minus(seconds=1), currentLevel=1)] * 10_001}
    too_many = client.post(READINGS, json=many, headers=auth)
    assert (too_many.status_code, too_many.json()["error"]) == (422, "validation_error")
    small = create_app(get_settings().model_copy(update={"max_body_bytes": 2000}))
    with TestClient(small) as tight:
        huge = tight.post(READINGS, json=many, headers=auth)
        assert (huge.status_code, huge.json()["error"]) == (413, "payload_too_large")


def test_rejections_are_counted_in_metrics(client: TestClient, org: Session) -> None:
    _, key = device(org)
    client.post(READINGS, json={"readings": [reading("NOPE", now_minus(seconds=5), x=1)]},
                headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    metrics = client.get("/metrics").text
    assert 'iocvn_sensor_rejections_total{channel="http",reason="unknown_device"}' in metrics
    assert 'iocvn_sensor_readings_total{outcome="rejected"}' in metrics


def test_a_local_time_with_its_offset_is_the_same_instant_in_utc(
    client: TestClient, org: Session, heads: dict[str, dict[str, str]]
) -> None:
    _, key = device(org)
    instant = (utcnow() - timedelta(minutes=5)).replace(microsecond=0)
    sent = instant.astimezone(timezone(timedelta(hours=7))).isoformat()  # 15:00+07:00
    client.post(READINGS, json={"readings": [reading("KC-LS-01", sent, currentLevel=1)]},
                headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    shown = client.get(f"{DEVICES}/KC-LS-01", headers=heads["viewer"]).json()
    shown_ts = datetime.fromisoformat(shown["latest"]["currentLevel"]["ts"])
    assert shown_ts == instant and shown_ts.utcoffset() == timedelta(0)
