"""Camera AI events: what is stored, ignored or rejected (with which reason), the published
event, ``POST``/``GET /api/v1/sensors/events`` (device keys, staff tokens, scope, the map's
shape) and retention."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.auth.scope import OrgScope
from iocvn.core import events as bus
from iocvn.core.timeutil import utcnow
from iocvn.org.models import OrgUnit
from iocvn.sensors import events, maintenance, registry, simulate
from iocvn.sensors.events import EVENT_REJECTIONS, check_snapshot, ingest_events
from iocvn.sensors.messages import EVENT_LABELS
from iocvn.sensors.models import Device
from iocvn.sensors.models_events import EVENT_KINDS, CameraEvent
from tests.factories.auth import bearer
from tests.factories.sensors import ACTOR, DONG_KINH, NOW, TAM_THANH, device

EVENTS = "/api/v1/sensors/events"
SNAP = "https://vms.langson.gov.vn/snapshots/cam-01/0830.jpg"


def event(code: str, ts: datetime | str, kind: str = "congestion", **extra: Any) -> dict[str, Any]:
    """One item of a batch, as the JSON API takes it."""
    return {"device": code, "ts": ts.isoformat() if isinstance(ts, datetime) else ts,
            "kind": kind, "confidence": 0.87, "snapshot": SNAP} | extra  # fmt: skip


def reasons(report: Any) -> list[tuple[int, str]]:
    return [(r.index, r.reason) for r in report.rejections]


@pytest.fixture
def published() -> Iterator[list[bus.Event]]:
    """The ``sensors.camera_events`` events published during the test."""
    got: list[bus.Event] = []
    bus.subscribe(events.EVENT, got.append)
    yield got
    bus.unsubscribe(events.EVENT, got.append)


# --- ingestion ---------------------------------------------------------------------------------


def test_good_events_are_stored_once_and_published(
    org: Session, published: list[bus.Event]
) -> None:
    camera, _ = device(org, "CAM-DK-01", "camera", org="05977", at=DONG_KINH)
    t0 = NOW - timedelta(minutes=10)
    items = [
        event("CAM-DK-01", t0, "congestion", attributes={"bbox": [0.1, 0.2, 0.3, 0.4]}),
        event("CAM-DK-01", t0, "illegal_parking", confidence=1, snapshot="cam-dk-01/0820.jpg"),
        event("CAM-DK-01", t0, "congestion"),  # the same again in the batch
    ]
    report = ingest_events(org, items, now=NOW)
    org.commit()
    assert (report.items, report.accepted, report.duplicates, report.rejected) == (3, 2, 1, 0)
    rows = org.execute(select(CameraEvent).order_by(CameraEvent.kind)).scalars().all()
    assert [(r.kind, r.ts, r.confidence, r.snapshot, r.attributes) for r in rows] == [
        ("congestion", t0, 0.87, SNAP, {"bbox": [0.1, 0.2, 0.3, 0.4]}),
        ("illegal_parking", t0, 1.0, "cam-dk-01/0820.jpg", {}),
    ]
    assert all(r.device_id == camera.id and r.received_at == NOW for r in rows)
    assert len(published) == 1
    sent = published[0].payload
    assert sent["session"] is org
    assert sorted(e["kind"] for e in sent["events"]) == ["congestion", "illegal_parking"]
    assert {(e["device"], e["org_unit"], e["id"]) for e in sent["events"]} == {
        ("CAM-DK-01", "05977", r.id) for r in rows
    }
    org.refresh(camera)
    assert camera.last_seen_at == NOW
    again = ingest_events(org, items[:2], now=NOW)
    assert (again.accepted, again.duplicates) == (0, 2)
    assert len(published) == 1  # nothing new, nothing published


def test_each_bad_event_is_rejected_with_its_reason_and_the_others_stored(org: Session) -> None:
    device(org, "CAM-01", "camera")
    device(org, "KC-01")  # a river gauge, not a camera
    before = EVENT_REJECTIONS.labels("bad_snapshot", "test")._value.get()
    ok = event("CAM-01", NOW - timedelta(minutes=1))
    items: list[Any] = [
        ok,
        event("KC-01", NOW, "flooding"),
        event("KHONG-CO", NOW),
        event("CAM-01", "hôm qua"),
        event("CAM-01", NOW + timedelta(minutes=6)),
        event("CAM-01", NOW - timedelta(days=91)),  # older than cameras' 90 days
        event("CAM-01", NOW, "fireworks"),
        event("CAM-01", NOW, confidence=1.5),
        event("CAM-01", NOW, confidence=True),
        event("CAM-01", NOW, confidence="0.9"),
        event("CAM-01", NOW, snapshot="javascript:alert(1)"),
        event("CAM-01", NOW, attributes=["not", "an", "object"]),
        event("CAM-01", NOW, attributes={"note": "x" * 5000}),
        event("CAM-01", NOW, attributes={"note": "\ud800"}),  # a lone surrogate
        event("CAM-01", NOW, attributes={"nul": "a\x00b"}),  # PostgreSQL refuses NUL
        "CAM-01",
        {"ts": NOW.isoformat(), "kind": "fire"},
    ]
    report = ingest_events(org, items, now=NOW, channel="test")
    assert report.accepted == 1
    assert reasons(report) == [
        (1, "not_a_camera"), (2, "unknown_device"), (3, "bad_timestamp"), (4, "ts_in_future"),
        (5, "ts_too_old"), (6, "bad_event_kind"), (7, "bad_confidence"), (8, "bad_confidence"),
        (9, "bad_confidence"), (10, "bad_snapshot"), (11, "bad_attributes"),
        (12, "bad_attributes"), (13, "bad_attributes"), (14, "bad_attributes"),
        (15, "item_not_object"), (16, "bad_device"),
    ]  # fmt: skip
    assert EVENT_REJECTIONS.labels("bad_snapshot", "test")._value.get() == before + 1


def test_keys_scope_and_retirement_are_those_of_readings(org: Session) -> None:
    camera, key = device(org, "CAM-DK-01", "camera", org="05977", at=DONG_KINH)
    device(org, "CAM-TT-01", "camera", org="06187", at=TAM_THANH)
    items = [event("CAM-DK-01", NOW), event("CAM-TT-01", NOW)]
    with_key = ingest_events(org, items, key=key, now=NOW)
    assert (with_key.accepted, reasons(with_key)) == (1, [(1, "wrong_key")])
    commune = OrgScope.of(org.get(OrgUnit, "05977"))  # type: ignore[arg-type]
    scoped = ingest_events(org, [event("CAM-TT-01", NOW, "crowd")], scope=commune, now=NOW)
    assert reasons(scoped) == [(0, "out_of_scope")]
    own_key = ingest_events(org, [event("CAM-DK-01", NOW, "crowd", key="iocvnd_x")], now=NOW)
    assert reasons(own_key) == [(0, "wrong_key")]
    registry.retire(org, ACTOR, camera, None)
    retired = ingest_events(org, [event("CAM-DK-01", NOW, "smoke")], now=NOW)
    assert reasons(retired) == [(0, "device_retired")]


@pytest.mark.parametrize(
    "reference",
    [
        SNAP,
        "http://10.20.0.5:8080/ISAPI/snapshot?channel=1&t=20261130T083000",
        "cam-dk-01/2026/11/30/083000.jpg",
        "snap_0830.jpg",
    ],
)
def test_snapshot_references_that_are_accepted(reference: str) -> None:
    assert check_snapshot(reference) == reference


@pytest.mark.parametrize(
    "reference",
    [
        "javascript:alert(1)", "JaVaScRiPt:alert(1)", "data:image/png;base64,AAAA",
        "vbscript:x", "file:///etc/passwd", "ftp://host/x.jpg", "/etc/passwd", "../secret.jpg",
        "cam/../../x.jpg", "cam//x.jpg", "./x.jpg", "//evil.example/x.jpg", "http:///x.jpg",
        "https://user:pass@vms.example/x.jpg", "https://vms.example/a b.jpg",
        "https://vms.example/x\x00.jpg", "http://[::1", "", "x" * 1001, 42, None,
    ],
)  # fmt: skip
def test_snapshot_references_that_are_refused(reference: Any) -> None:
    assert check_snapshot(reference) is None


def test_every_kind_has_a_vietnamese_label() -> None:
    assert set(EVENT_LABELS) == set(EVENT_KINDS)
    assert EVENT_LABELS["illegal_parking"][0] == "Đỗ xe sai quy định"


# --- the API -------------------------------------------------------------------------------------


@pytest.fixture
def heads(org: Session) -> dict[str, dict[str, str]]:
    made = {
        "viewer": bearer(org, "xem", "viewer", "20"),
        "commune": bearer(org, "canbo.dk", "commune_officer", "05977"),
        "integration": bearer(org, "tich-hop", "integration", "20"),
    }
    org.commit()
    return made


def test_a_camera_posts_its_events_with_its_key(client: TestClient, org: Session) -> None:
    _, key = device(org, "CAM-01", "camera")
    auth = {"Authorization": f"Bearer {key}"}
    items = [event("CAM-01", utcnow() - timedelta(minutes=m)) for m in (2, 1)]
    answer = client.post(EVENTS, json={"events": items}, headers=auth)
    assert answer.status_code == 200, answer.text
    assert answer.json() == {"items": 2, "accepted": 2, "duplicates": 0, "rejected": 0,
                             "rejections": []}  # fmt: skip
    again = client.post(EVENTS, json={"events": items}, headers=auth)
    assert (again.status_code, again.json()["duplicates"]) == (200, 2)


def test_partly_bad_is_207_all_bad_422_with_reasons(
    client: TestClient, org: Session, heads: dict[str, dict[str, str]]
) -> None:
    device(org, "CAM-01", "camera")
    device(org, "KC-01")
    now = utcnow()
    items = [event("CAM-01", now), event("KC-01", now), event("CAM-01", now, "ufo")]
    en = heads["integration"] | {"Accept-Language": "en"}
    mixed = client.post(EVENTS, json={"events": items}, headers=en)
    assert mixed.status_code == 207, mixed.text
    assert [(r["index"], r["device"], r["reason"]) for r in mixed.json()["rejections"]] == [
        (1, "KC-01", "not_a_camera"), (2, "CAM-01", "bad_event_kind")]  # fmt: skip
    assert mixed.json()["rejections"][0]["message"] == (
        "The device is not an AI camera (kind camera)."
    )
    bad = client.post(EVENTS, json={"events": items[1:]}, headers=heads["integration"])
    assert (bad.status_code, bad.json()["error"]) == (422, "camera_events_rejected")
    assert bad.json()["details"]["rejections"][1]["message"].startswith("kind phải là")
    assert bad.json()["details"]["rejections"][0]["message"] == (
        "Thiết bị không phải camera AI (loại camera)."
    )
    unknown = client.post(EVENTS, json={"events": [event("NOPE", now)]}, headers=en)
    assert unknown.json()["details"]["rejections"][0]["message"] == "There is no such device."


def test_who_may_post_events(
    client: TestClient, org: Session, heads: dict[str, dict[str, str]]
) -> None:
    device(org, "CAM-01", "camera")
    body = {"events": [event("CAM-01", utcnow())]}
    viewer = client.post(EVENTS, json=body, headers=heads["viewer"])
    assert (viewer.status_code, viewer.json()["error"]) == (403, "forbidden")
    for auth in ({}, {"Authorization": "Bearer iocvnd_not-a-key"}):
        assert client.post(EVENTS, json=body, headers=auth).status_code == 401
    for wrong in ({}, {"events": []}, {"events": "all"}):
        answer = client.post(EVENTS, json=wrong, headers=heads["integration"])
        assert (answer.status_code, answer.json()["error"]) == (422, "validation_error")


def _seed_events(org: Session) -> datetime:
    """Two cameras in two wards with events over the last hours; returns now."""
    device(org, "CAM-DK-01", "camera", org="05977", at=DONG_KINH)
    device(org, "CAM-TT-01", "camera", org="06187", at=TAM_THANH)
    now = utcnow().replace(microsecond=0)
    ingest_events(org, [
        event("CAM-DK-01", now - timedelta(hours=1), "congestion", confidence=0.9),
        event("CAM-DK-01", now - timedelta(hours=2), "illegal_parking",
              snapshot="cam-dk-01/0830.jpg"),
        event("CAM-TT-01", now - timedelta(minutes=30), "flooding", confidence=0.75),
        event("CAM-TT-01", now - timedelta(hours=30), "crowd"),  # older than a day
    ], now=now)  # fmt: skip
    org.commit()
    return now


def test_the_map_reads_events_in_scope_newest_first_in_its_shape(
    client: TestClient, org: Session, heads: dict[str, dict[str, str]]
) -> None:
    now = _seed_events(org)
    answer = client.get(EVENTS, headers=heads["viewer"])
    assert answer.status_code == 200, answer.text
    got = answer.json()
    assert [(e["device"], e["kind"]) for e in got] == [
        ("CAM-TT-01", "flooding"), ("CAM-DK-01", "congestion"),
        ("CAM-DK-01", "illegal_parking")]  # fmt: skip
    assert all(
        set(e) == {"id", "device", "kind", "label", "ts", "lon", "lat", "snapshot_url",
                   "confidence"}
        for e in got
    )  # fmt: skip
    first = got[0]
    assert (first["label"], first["lon"], first["lat"], first["confidence"]) == (
        "Ngập nước", TAM_THANH[0], TAM_THANH[1], 0.75)  # fmt: skip
    assert datetime.fromisoformat(first["ts"]) == now - timedelta(minutes=30)
    assert (got[1]["snapshot_url"], got[2]["snapshot_url"]) == (SNAP, "cam-dk-01/0830.jpg")
    assert got[2]["label"] == "Đỗ xe sai quy định"
    mine = client.get(EVENTS, headers=heads["commune"]).json()
    assert {e["device"] for e in mine} == {"CAM-DK-01"}


def test_filters_window_and_limit(
    client: TestClient, org: Session, heads: dict[str, dict[str, str]]
) -> None:
    now = _seed_events(org)

    def kinds(query: dict[str, Any]) -> list[str]:
        answer = client.get(EVENTS, params=query, headers=heads["viewer"])
        assert answer.status_code == 200, answer.text
        return [e["kind"] for e in answer.json()]

    assert kinds({"kind": "congestion"}) == ["congestion"]
    assert kinds({"device": "CAM-TT-01"}) == ["flooding"]
    assert kinds({"since": (now - timedelta(days=2)).isoformat(), "device": "CAM-TT-01"}) == [
        "flooding", "crowd"]  # fmt: skip
    assert kinds({"until": (now - timedelta(minutes=90)).isoformat()}) == ["illegal_parking"]
    assert kinds({"limit": 1}) == ["flooding"]
    assert kinds({"device": "NO-SUCH"}) == []
    for bad in (
        {"kind": "ufo"},
        {"device": "bad code"},
        {"since": now.isoformat(), "until": (now - timedelta(hours=1)).isoformat()},
        {"since": "0001-01-01T00:00:00+10:00"},
        {"until": "9999-12-31T23:59:59-23:00"},
    ):
        answer = client.get(EVENTS, params=bad, headers=heads["viewer"])
        assert (answer.status_code, answer.json()["error"]) == (422, "camera_events_query"), bad
    assert client.get(EVENTS, params={"limit": 5001}, headers=heads["viewer"]).status_code == 422
    assert client.get(EVENTS).status_code == 401


# --- retention -----------------------------------------------------------------------------------


def test_events_follow_the_camera_kinds_retention(org: Session) -> None:
    device(org, "CAM-01", "camera")
    ingest_events(org, [event("CAM-01", NOW - timedelta(days=d)) for d in (1, 85, 89)], now=NOW)
    org.commit()
    report = maintenance.run(org, NOW + timedelta(days=10))
    assert report.events_deleted == 2
    left = org.execute(select(func.count()).select_from(CameraEvent)).scalar_one()
    assert left == 1
    assert org.execute(select(Device.code)).scalar_one() == "CAM-01"


def test_events_are_counted_in_metrics(client: TestClient, org: Session) -> None:
    _, key = device(org, "CAM-01", "camera")
    client.post(EVENTS, json={"events": [event("CAM-01", utcnow(), "ufo")]},
                headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    metrics = client.get("/metrics").text
    assert 'iocvn_camera_event_rejections_total{channel="http",reason="bad_event_kind"}' in metrics
    assert 'iocvn_camera_events_total{outcome="rejected"}' in metrics


def test_a_time_with_an_offset_is_stored_in_utc(org: Session) -> None:
    device(org, "CAM-01", "camera")
    ingest_events(org, [event("CAM-01", "2026-11-30T09:30:00+07:00")], now=NOW)
    stored = org.execute(select(CameraEvent.ts)).scalar_one()
    assert stored == datetime(2026, 11, 30, 2, 30, tzinfo=UTC)


# --- the simulator -------------------------------------------------------------------------------


def test_simulated_cameras_send_occasional_events_and_flooding_in_a_flood() -> None:
    start = datetime(2026, 7, 15, 0, 0, tzinfo=UTC)  # 07:00 in Vietnam
    day = [simulate.camera_event("CAM-X", start + timedelta(minutes=2 * i)) for i in range(720)]
    found = [e for e in day if e is not None]
    assert 0.05 * len(day) < len(found) < 0.4 * len(day)  # occasional
    assert {e["kind"] for e in found} <= set(EVENT_KINDS) - {"flooding"}
    assert all(check_snapshot(e["snapshot"]) and 0.6 <= e["confidence"] <= 0.97 for e in found)
    rush = [e for e in found if e["ts"] < (start + timedelta(hours=1)).isoformat()]
    assert sum(e["kind"] == "congestion" for e in rush) > len(rush) / 2
    flood = simulate.Flood()
    wave = [simulate.camera_event("CAM-X", start + timedelta(minutes=2 * i), flood, flood.peak_s)
            for i in range(50)]  # fmt: skip
    assert {e["kind"] for e in wave if e} == {"flooding"}
    assert simulate.camera_event("CAM-X", start) == simulate.camera_event("CAM-X", start)  # pure


def test_the_simulator_sends_camera_events_over_http(
    client: TestClient, org: Session, heads: dict[str, dict[str, str]]
) -> None:
    device(org, "CAM-01", "camera")
    token = heads["integration"]["Authorization"].split()[1]

    def post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
        answer = client.post(url, content=body, headers=headers)
        return answer.status_code, answer.content

    transport = simulate.HttpTransport("http://testserver", token, post=post)
    sim = simulate.Simulator([simulate.sim_device("CAM-01", "camera", ["peopleCount"])], 1,
                             simulate.Flood())  # fmt: skip
    now = utcnow()
    items = sim.readings(3, now, simulate.Flood().peak_s)
    assert len(items) == 3 and len(sim.events) <= 1  # one block: at most one event
    sim.events = [simulate.camera_event("CAM-01", now - timedelta(minutes=m), simulate.Flood(),
                                        simulate.Flood().peak_s) for m in range(20)]  # fmt: skip
    sim.events = [e for e in sim.events if e is not None]
    transport.send_events(sim.events)
    assert (transport.events_sent, transport.errors) == (len(sim.events), 0)
    assert transport.events_sent > 5
    assert "camera events" in simulate.progress(sim, transport, now, 0, 1)
    stored = org.execute(select(func.count()).select_from(CameraEvent)).scalar_one()
    assert stored == transport.events_sent
