"""Device adapters (the ``iocvn_device_adapters`` hook): the built-in ones (iocvn JSON with
camera events, FIWARE IoT Agent JSON, ChirpStack v4 uplinks), a vendor's plugin registered
through the manager, broken plugins left out, unreadable payloads refused with a reason, and
``POST /api/v1/sensors/ingest/{adapter}``."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from paho.mqtt.client import topic_matches_sub as paho_matches
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.config import Settings, get_settings
from iocvn.core import plugins as core_plugins
from iocvn.core.timeutil import utcnow
from iocvn.sensors import mqtt, plugins
from iocvn.sensors.adapters import Context, DeviceAdapter, Parsed, hookimpl
from iocvn.sensors.chirpstack import ChirpStackV4
from iocvn.sensors.events import ingest_events
from iocvn.sensors.ingest import ingest
from iocvn.sensors.models import Reading
from iocvn.sensors.models_events import CameraEvent
from tests.factories.auth import bearer
from tests.factories.sensors import NOW, device

UPLINK_TOPIC = "application/7f2c1a52-5d7e-4a3b-9d51-0c1b2f3e4d5a/device/a84041000181c61b/event/up"


def uplink(**changes: Any) -> dict[str, Any]:
    """A ChirpStack v4 uplink event (JSON marshaler) of a LoRaWAN rain gauge."""
    body: dict[str, Any] = {
        "deduplicationId": "3b1a5e2c-8f0d-4a63-b2b0-5d9e7c1f4a21",
        "time": "2026-11-30T02:55:00.123456789+00:00",
        "deviceInfo": {
            "tenantId": "52f14cd4-c6f1-4fbd-8f87-4025e1d49242", "tenantName": "UBND tỉnh",
            "applicationId": "7f2c1a52-5d7e-4a3b-9d51-0c1b2f3e4d5a",
            "applicationName": "quan-trac-mua", "deviceProfileName": "RG-LoRa",
            "deviceName": "Đo mưa Bắc Sơn", "devEui": "a84041000181c61b", "tags": {},
        },
        "devAddr": "01fe2a3b", "adr": True, "dr": 5, "fCnt": 42, "fPort": 2, "confirmed": False,
        "data": "AQID", "object": {"precipitation": 1.2},
        "rxInfo": [{"gatewayId": "0016c001ff10a235", "rssi": -97, "snr": 7.5}],
        "txInfo": {"frequency": 923200000},
    }  # fmt: skip
    return body | changes


def context() -> Context:
    return Context("iocvn", NOW)


# --- built-in adapters (pure) ------------------------------------------------------------------


def test_the_builtins_are_on_the_hook() -> None:
    found = {a.name: a for a in plugins.device_adapters(get_settings())}
    assert {"iocvn", "fiware", "chirpstack"} <= set(found)
    assert list(found["iocvn"].topics("p")) == ["p/+/readings", "p/+/events"]
    assert list(found["chirpstack"].topics("p")) == ["application/+/device/+/event/up"]


def test_iocvn_events_topic_carries_camera_events() -> None:
    body = [{"ts": "2026-11-30T09:00:00+07:00", "kind": "crowd", "confidence": 0.8,
             "snapshot": "cam/1.jpg", "attributes": {"count": 120},
             "extra": "dropped"}]  # fmt: skip
    parsed = mqtt.parse("iocvn/CAM-01/events", json.dumps(body).encode(), "iocvn", NOW)
    assert parsed == Parsed(events=({"device": "CAM-01", "ts": "2026-11-30T09:00:00+07:00",
                                     "kind": "crowd", "confidence": 0.8, "snapshot": "cam/1.jpg",
                                     "attributes": {"count": 120}},), device="CAM-01")  # fmt: skip
    assert mqtt.parse("iocvn/CAM-01/events", b"[]", "iocvn", NOW).reason == "no_values"
    assert mqtt.parse("iocvn/CAM-01/other", b"{}", "iocvn", NOW).reason == "unknown_topic"


def test_chirpstack_uplink_is_one_reading_of_its_decoded_object() -> None:
    parsed = mqtt.parse(UPLINK_TOPIC, json.dumps(uplink()).encode(), "iocvn", NOW)
    assert parsed == Parsed(({"device": "a84041000181c61b", "values": {"precipitation": 1.2},
                              "ts": "2026-11-30T02:55:00.123456789+00:00"},),
                            device="a84041000181c61b")  # fmt: skip
    tagged = uplink(object={"temperature": 21.5, "leak": True}, time=None)
    tagged["deviceInfo"]["tags"] = {"iocvn_device": "MUA-BACSON"}
    got = ChirpStackV4().parse(UPLINK_TOPIC, json.dumps(tagged).encode(), context())
    assert got.items == ({"device": "MUA-BACSON", "ts": NOW.isoformat(),
                          "values": {"temperature": 21.5, "leak": 1.0}},)  # fmt: skip


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\x0a\x24protobuf", "malformed_json"),
        (b"[]", "item_not_object"),
        (json.dumps(uplink(deviceInfo=None)).encode(), "no_device_info"),
        (json.dumps(uplink(deviceInfo={"deviceName": "x"})).encode(), "no_device_info"),
        (json.dumps(uplink(object=None)).encode(), "no_decoded_object"),
        (json.dumps(uplink(object={})).encode(), "no_decoded_object"),
        (json.dumps(uplink(object=[1, 2])).encode(), "no_decoded_object"),
        (b" " * (300 * 1024), "payload_too_large"),
    ],
)
def test_unreadable_uplinks_say_why(payload: bytes, reason: str) -> None:
    assert mqtt.parse(UPLINK_TOPIC, payload, "iocvn", NOW).reason == reason


def test_chirpstack_readings_go_through_the_usual_checks(org: Session) -> None:
    gauge, _ = device(org, "a84041000181c61b", "rain_gauge")
    body = uplink(object={"precipitation": 1.2, "battery": 3.6, "status": "ok"})
    parsed = mqtt.parse(UPLINK_TOPIC, json.dumps(body).encode(), "iocvn", NOW)
    report = ingest(org, parsed.items, channel="mqtt", now=NOW)
    assert report.accepted == 1
    assert [(r.quantity, r.reason) for r in report.rejections] == [
        ("battery", "unknown_quantity"), ("status", "unknown_quantity")]  # fmt: skip
    stored = org.execute(select(Reading)).scalar_one()
    assert (stored.device_id, stored.quantity, stored.value) == (gauge.id, "precipitation", 1.2)
    assert stored.ts == datetime(2026, 11, 30, 2, 55, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "topic_filter",
    ["iocvn/+/readings", "/json/+/+/attrs", "application/+/device/+/event/up", "a/#", "#", "+",
     "a/+", "+/+", "a/b.c"],
)  # fmt: skip
def test_topic_filters_match_as_mqtt_says(topic_filter: str) -> None:
    pattern = mqtt._pattern(topic_filter)
    topics = ["iocvn/KC-01/readings", "iocvn//readings", "/json/k/d/attrs", "a", "a/b", "a/b/c",
              "a/bxc", "a/b.c", "", "/", "b", "iocvn/a/b/readings", "a/\nb",
              "application/x/device/y/event/up", "application/x/device/y/event/join"]  # fmt: skip
    for topic in topics:
        assert bool(pattern.match(topic)) == paho_matches(topic_filter, topic), topic


# --- plugins ---------------------------------------------------------------------------------


class AcmeLine:
    """A vendor's gateway: ``acme/<device>/up`` with ``quantity=value;…`` lines (text)."""

    name = "acme"

    def topics(self, prefix: str) -> Sequence[str]:
        return ["acme/+/up"]

    def parse(self, topic: str, payload: bytes, context: Context) -> Parsed:
        code = topic.split("/")[1]
        try:
            pairs = [p.split("=") for p in payload.decode().strip().split(";")]
            values = {k: float(v) for k, v in pairs}
        except ValueError:
            return Parsed(reason="not_acme_text", device=code)
        return Parsed(({"device": code, "ts": context.now, "values": values},), device=code)


class AcmePlugin:
    """A plugin offering the ACME adapter (and, replacing the built-in, a ``chirpstack``)."""

    def __init__(self, *adapters: DeviceAdapter) -> None:
        self.adapters = adapters

    @hookimpl
    def iocvn_device_adapters(self, settings: Settings) -> Sequence[DeviceAdapter]:
        """The adapters given."""
        return self.adapters


class BrokenHook:
    """A plugin whose hook fails (a missing setting, a bug)."""

    @hookimpl
    def iocvn_device_adapters(self, settings: Settings) -> Sequence[DeviceAdapter]:
        """Fail."""
        raise KeyError("ACME_GATEWAY_URL")


class NoTopics(AcmeLine):
    """An adapter that cannot say its topics."""

    name = "no-topics"

    def topics(self, prefix: str) -> Sequence[str]:
        raise ValueError("ACME_TOPIC")


class Crashing(AcmeLine):
    """An adapter whose parse raises (against the contract)."""

    name = "crashing"

    def topics(self, prefix: str) -> Sequence[str]:
        return ["crash/#"]

    def parse(self, topic: str, payload: bytes, context: Context) -> Parsed:
        raise RuntimeError("boom")


@pytest.fixture
def registered() -> Iterator[list[object]]:
    """Plugins registered on the manager for one test (appended by the test)."""
    added: list[object] = []
    yield added
    for plugin in added:
        plugins.plugin_manager().unregister(plugin)


def _register(added: list[object], plugin: object, name: str) -> None:
    plugins.plugin_manager().register(plugin, name=name)
    added.append(plugin)


def test_a_plugin_adapter_reads_its_topic_and_its_data_is_stored(
    org: Session, registered: list[object]
) -> None:
    gauge, _ = device(org, "ACME-01", "weather")
    _register(registered, AcmePlugin(AcmeLine()), "test-acme")
    adapters = plugins.device_adapters(get_settings())
    assert adapters[0].name == "acme"  # plugins first
    assert "acme/+/up" in mqtt.topics("iocvn", "", adapters)
    parsed = mqtt.parse("acme/ACME-01/up", b"temperature=21.5;relativeHumidity=0.8", "iocvn",
                        NOW, adapters)  # fmt: skip
    assert ingest(org, parsed.items, now=NOW).accepted == 2
    assert mqtt.parse("acme/ACME-01/up", b"nonsense", "iocvn", NOW, adapters).reason == (
        "not_acme_text"
    )
    assert mqtt.parse("acme/ACME-01/up", b"temperature=1", "iocvn", NOW).reason == "unknown_topic"
    org.refresh(gauge)
    assert gauge.last_seen_at == NOW


def test_a_plugin_replaces_the_builtin_of_its_name(registered: list[object]) -> None:
    class OwnChirpStack(AcmeLine):
        name = "chirpstack"

    own = OwnChirpStack()
    _register(registered, AcmePlugin(own), "test-own-chirpstack")
    found = [a for a in plugins.device_adapters(get_settings()) if a.name == "chirpstack"]
    assert found == [own]


def test_broken_plugins_are_left_out_and_the_rest_works(
    registered: list[object], caplog: pytest.LogCaptureFixture
) -> None:
    _register(registered, BrokenHook(), "test-broken")
    _register(registered, AcmePlugin(Crashing(), NoTopics()), "test-crashing")
    with caplog.at_level(logging.ERROR, logger="iocvn.sensors"):
        adapters = plugins.device_adapters(get_settings())
        subscriptions = mqtt.topics("iocvn", "", adapters)
    assert {"iocvn", "fiware", "chirpstack", "crashing", "no-topics"} == {a.name for a in adapters}
    assert "plugin failed" in caplog.text
    assert subscriptions[0] == "crash/#" and len(subscriptions) == 5
    assert mqtt.parse("crash/x", b"{}", "iocvn", NOW, adapters).reason == "adapter_failed"
    assert mqtt.parse(UPLINK_TOPIC, json.dumps(uplink()).encode(), "iocvn", NOW,
                      adapters).items  # fmt: skip


def test_a_plugin_that_fails_to_import_is_logged_and_skipped(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> object:
        raise ImportError("No module named 'iocvn_vendor_x'")

    entries = [SimpleNamespace(name="vendor-x", load=broken),
               SimpleNamespace(name="acme", load=lambda: AcmePlugin(AcmeLine()))]  # fmt: skip
    monkeypatch.setattr(core_plugins, "entry_points", lambda group: entries)
    plugins.plugin_manager.cache_clear()
    try:
        with caplog.at_level(logging.ERROR):
            names = {a.name for a in plugins.device_adapters(get_settings())}
        assert names == {"iocvn", "fiware", "chirpstack", "acme"}
        assert "plugin failed to load" in caplog.text
    finally:
        plugins.plugin_manager.cache_clear()


# --- over HTTP: POST /api/v1/sensors/ingest/{adapter} --------------------------------------------


@pytest.fixture
def integration(org: Session) -> dict[str, str]:
    made = bearer(org, "tich-hop", "integration", "20")
    org.commit()
    return made


def test_a_vendor_payload_over_http(
    client: TestClient, org: Session, integration: dict[str, str]
) -> None:
    _, key = device(org, "a84041000181c61b", "rain_gauge")
    device(org, "MUA-02", "rain_gauge")
    now = utcnow()
    body = uplink(time=(now - timedelta(minutes=1)).isoformat())
    answer = client.post("/api/v1/sensors/ingest/chirpstack", json=body,
                         headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    out = answer.json()
    assert (out["adapter"], out["readings"]["accepted"], out["events"]["items"]) == (
        "chirpstack", 1, 0)  # fmt: skip
    other = uplink()
    other["deviceInfo"]["tags"] = {"iocvn_device": "MUA-02"}
    wrong = client.post("/api/v1/sensors/ingest/chirpstack", json=other,
                        headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert (wrong.status_code, wrong.json()["error"]) == (422, "readings_rejected")
    assert wrong.json()["details"]["readings"]["rejections"][0]["reason"] == "wrong_key"
    unread = client.post("/api/v1/sensors/ingest/chirpstack", content=b"{oops",
                         headers=integration | {"Content-Type": "application/json"})  # fmt: skip
    assert (unread.status_code, unread.json()["error"]) == (422, "payload_unreadable")
    assert "malformed_json" in unread.json()["message"]
    unknown = client.post("/api/v1/sensors/ingest/nope", json={}, headers=integration)
    assert (unknown.status_code, unknown.json()["error"]) == (404, "device_adapter_unknown")
    assert "chirpstack" in unknown.json()["message"]
    assert client.post("/api/v1/sensors/ingest/chirpstack", json=body).status_code == 401


def test_camera_events_through_the_iocvn_adapter_over_http(
    client: TestClient, org: Session, integration: dict[str, str]
) -> None:
    device(org, "CAM-01", "camera")
    seen = {"ts": utcnow().isoformat(), "kind": "smoke", "confidence": 0.7,
            "snapshot": "https://vms.example.gov.vn/s/1.jpg"}  # fmt: skip
    answer = client.post("/api/v1/sensors/ingest/iocvn", params={"topic": "iocvn/CAM-01/events"},
                         json=[seen, seen | {"kind": "ufo"}], headers=integration)  # fmt: skip
    assert answer.status_code == 207, answer.text
    assert answer.json()["events"]["accepted"] == 1
    assert answer.json()["events"]["rejections"][0]["reason"] == "bad_event_kind"
    assert org.execute(select(CameraEvent.kind)).scalar_one() == "smoke"
    assert ingest_events(org, [], now=NOW).items == 0
