"""MQTT ingestion against the real Mosquitto on 127.0.0.1:1883: both topic conventions, bad
messages counted and acknowledged, and no acknowledged reading lost when the consumer is
killed with SIGKILL in the middle of a QoS 1 stream, nor when its connection to the broker
is cut or the broker is unreachable for a while."""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta

import paho.mqtt.client as paho
import pytest
from hypothesis import given
from hypothesis import strategies as st
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from iocvn.db import session_factory
from iocvn.sensors import mqtt
from iocvn.sensors.ingest import REJECTIONS
from iocvn.sensors.models import Reading
from iocvn.sensors.models_events import CameraEvent
from tests.factories.sensors import NOW, device

BROKER = os.environ.get("IOCVN_TEST_MQTT_URL", "mqtt://127.0.0.1:1883")
T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)


# --- reading a message (pure) ------------------------------------------------------------


def test_iocvn_topic_with_one_reading_or_an_array() -> None:
    one = mqtt.parse("iocvn/KC-01/readings", b'{"ts": "2026-11-30T09:00:00+07:00",'
                     b' "values": {"currentLevel": 2.5}}', "iocvn", NOW)  # fmt: skip
    assert one == mqtt.Parsed(({"device": "KC-01", "ts": "2026-11-30T09:00:00+07:00",
                                "values": {"currentLevel": 2.5}},), device="KC-01")  # fmt: skip
    many = mqtt.parse("iocvn/KC-01/readings", json.dumps([
        {"ts": "2026-11-30T02:00:00Z", "values": {"currentLevel": 1}},
        {"ts": "2026-11-30T02:05:00Z", "values": {"currentLevel": 2}},
    ]).encode(), "iocvn", NOW)  # fmt: skip
    assert [i["ts"] for i in many.items] == ["2026-11-30T02:00:00Z", "2026-11-30T02:05:00Z"]


def test_fiware_topic_carries_the_key_and_flat_attributes() -> None:
    parsed = mqtt.parse("/json/KEY123/KC-01/attrs", b'{"currentLevel": 3.1}', "iocvn", NOW)
    assert parsed.items == ({"device": "KC-01", "ts": NOW.isoformat(),
                             "values": {"currentLevel": 3.1}, "key": "KEY123"},)  # fmt: skip
    timed = mqtt.parse("/json/K/KC-01/attrs", b'[{"currentLevel": 1, "TimeInstant": '
                       b'"2026-11-30T01:00:00Z"}]', "iocvn", NOW)  # fmt: skip
    assert timed.items[0]["ts"] == "2026-11-30T01:00:00Z"
    assert timed.items[0]["values"] == {"currentLevel": 1}


@pytest.mark.parametrize(
    ("topic", "payload", "reason"),
    [
        ("iocvn/KC-01/readings", b"{not json", "malformed_json"),
        ("iocvn/KC-01/readings", b"\xff\xfe", "malformed_json"),
        ("iocvn/KC-01/readings", b"[]", "no_values"),
        ("iocvn/KC-01/readings", b"[1, 2]", "item_not_object"),
        ("iocvn/KC-01/readings", b"x" * (mqtt.MAX_PAYLOAD + 1), "payload_too_large"),
        ("iocvn/KC-01/readings", json.dumps([{}] * (mqtt.MAX_ITEMS + 1)).encode(),
         "too_many_items"),
        ("other/KC-01/readings", b"{}", "unknown_topic"),
        ("iocvn//readings", b"{}", "unknown_topic"),
        ("/json//KC-01/attrs", b"{}", "unknown_topic"),
    ],
)  # fmt: skip
def test_unreadable_messages_say_why(topic: str, payload: bytes, reason: str) -> None:
    assert mqtt.parse(topic, payload, "iocvn", NOW).reason == reason


@given(st.text(max_size=40), st.binary(max_size=200))
def test_parse_never_raises(topic: str, payload: bytes) -> None:
    parsed = mqtt.parse(topic, payload, "iocvn", NOW)
    assert bool(parsed.reason) != bool(parsed.items or parsed.events)


def test_shared_subscriptions_unless_no_group() -> None:
    plain = ["p/+/readings", "p/+/events", "/json/+/+/attrs", "application/+/device/+/event/up"]
    assert mqtt.topics("p", "g") == [f"$share/g/{t}" for t in plain]
    assert mqtt.topics("p", "") == plain


def test_broker_url() -> None:
    assert mqtt.Broker.from_url("mqtt://u:p@broker.local:8883") == mqtt.Broker(
        "broker.local", 8883, "u", "p"
    )
    with pytest.raises(ValueError, match="mqtt://host"):
        mqtt.Broker.from_url("http://x")


# --- against Mosquitto --------------------------------------------------------------------


def _reachable() -> bool:
    client = paho.Client(CallbackAPIVersion.VERSION2)
    try:
        broker = mqtt.Broker.from_url(BROKER)
        client.connect(broker.host, broker.port, 5)
        client.disconnect()
    except OSError:
        return False
    return True


needs_broker = pytest.mark.skipif(not _reachable(), reason="no MQTT broker on " + BROKER)


@pytest.fixture
def names() -> dict[str, str]:
    """Topic prefix, consumer id and group of this test alone (runs do not collide)."""
    tag = secrets.token_hex(4)
    return {"prefix": f"iocvn-test-{tag}", "client": f"iocvn-test-{tag}", "group": f"g{tag}"}


@pytest.fixture
def publisher() -> Iterator[paho.Client]:
    client = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{secrets.token_hex(4)}")
    client.max_inflight_messages_set(200)
    broker = mqtt.Broker.from_url(BROKER)
    client.connect(broker.host, broker.port)
    client.loop_start()
    yield client
    client.disconnect()
    client.loop_stop()


def _count(db: Engine) -> int:
    with Session(db) as session:
        return int(session.scalar(select(func.count()).select_from(Reading)) or 0)


def _paced(total: int, rate: float, start: datetime) -> Iterator[tuple[int, str]]:
    """``total`` readings one second apart from ``start``, each due at ``i / rate`` s."""
    began = time.monotonic()
    for i in range(total):
        time.sleep(max(0.0, began + i / rate - time.monotonic()))
        body = {"ts": (start + timedelta(seconds=i)).isoformat(),
                "values": {"currentLevel": i / 100}}  # fmt: skip
        yield i, json.dumps(body)


def _wait(condition: Callable[[], bool], timeout: float = 30) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


@needs_broker
def test_both_conventions_are_stored_and_bad_ones_counted(
    org: Session, db: Engine, names: dict[str, str], publisher: paho.Client
) -> None:
    _, key = device(org, "KC-MQ-01")
    consumer = mqtt.Consumer(
        session_factory(db), BROKER, names["client"], prefix=names["prefix"],
        group=names["group"], clock=lambda: T0 + timedelta(minutes=30),
    ).start()  # fmt: skip
    malformed_before = REJECTIONS.labels("malformed_json", "mqtt")._value.get()
    wrong_key_before = REJECTIONS.labels("wrong_key", "mqtt")._value.get()
    try:
        assert consumer.connected.wait(10)
        time.sleep(0.3)  # the subscriptions are granted
        prefix = names["prefix"]
        for topic, body in [
            (f"{prefix}/KC-MQ-01/readings",
             {"ts": T0.isoformat(), "values": {"currentLevel": 1.5}}),
            (f"{prefix}/KC-MQ-01/readings",
             [{"ts": (T0 + timedelta(minutes=m)).isoformat(), "values": {"currentLevel": m}}
              for m in (5, 10)]),
            (f"/json/{key}/KC-MQ-01/attrs",
             {"currentLevel": 2.25, "TimeInstant": (T0 + timedelta(minutes=15)).isoformat()}),
            (f"/json/{key}/KC-MQ-01/attrs", {"currentLevel": 2.5}),  # stamped on reception
            ("/json/wrong-key/KC-MQ-01/attrs", {"currentLevel": 99}),
        ]:  # fmt: skip
            publisher.publish(topic, json.dumps(body), qos=1).wait_for_publish(5)
        publisher.publish(f"{prefix}/KC-MQ-01/readings", b"{oops", qos=1).wait_for_publish(5)
        assert _wait(lambda: _count(db) == 5), _count(db)
        assert _wait(lambda: consumer.backlog == 0)
    finally:
        consumer.stop()
    with Session(db) as session:
        rows = session.execute(select(Reading.ts, Reading.value).order_by(Reading.ts)).all()
    minutes = [(ts.replace(tzinfo=UTC) - T0) // timedelta(minutes=1) for ts, _ in rows]
    assert minutes == [0, 5, 10, 15, 30]  # the last one stamped on reception (the clock)
    assert [v for _, v in rows] == [1.5, 5.0, 10.0, 2.25, 2.5]
    assert REJECTIONS.labels("malformed_json", "mqtt")._value.get() == malformed_before + 1
    assert REJECTIONS.labels("wrong_key", "mqtt")._value.get() == wrong_key_before + 1


@needs_broker
def test_camera_events_and_chirpstack_uplinks_are_stored(
    org: Session, db: Engine, names: dict[str, str], publisher: paho.Client
) -> None:
    camera, _ = device(org, "CAM-MQ-01", "camera")
    gauge, _ = device(org, "a84041000181c61b", "rain_gauge")
    consumer = mqtt.Consumer(
        session_factory(db), BROKER, names["client"], prefix=names["prefix"],
        group=names["group"], clock=lambda: T0 + timedelta(minutes=30),
    ).start()  # fmt: skip
    uplink = {"time": (T0 + timedelta(minutes=5)).isoformat(), "object": {"precipitation": 2.4},
              "deviceInfo": {"devEui": "a84041000181c61b", "deviceName": "Đo mưa"},
              "fCnt": 7}  # fmt: skip
    try:
        assert consumer.connected.wait(10)
        time.sleep(0.3)  # the subscriptions are granted
        for topic, body in [
            (f"{names['prefix']}/CAM-MQ-01/events",
             [{"ts": T0.isoformat(), "kind": "congestion", "confidence": 0.9,
               "snapshot": "cam-mq-01/1.jpg"},
              {"ts": T0.isoformat(), "kind": "ufo", "confidence": 0.9, "snapshot": "x.jpg"}]),
            (f"{names['prefix']}/CAM-MQ-01/events",  # the same again: a duplicate
             {"ts": T0.isoformat(), "kind": "congestion", "confidence": 0.9,
              "snapshot": "cam-mq-01/1.jpg"}),
            ("application/3f1c/device/a84041000181c61b/event/up", uplink),
            ("application/3f1c/device/a84041000181c61b/event/join", uplink),  # not subscribed
        ]:  # fmt: skip
            publisher.publish(topic, json.dumps(body), qos=1).wait_for_publish(5)
        assert _wait(lambda: _count(db) == 1 and consumer.events_stored == 1)
        assert _wait(lambda: consumer.backlog == 0)
        time.sleep(0.3)  # (the duplicate's batch, if separate)
    finally:
        consumer.stop()
    with Session(db) as session:
        events = session.execute(select(CameraEvent.device_id, CameraEvent.kind)).all()
        reading = session.execute(select(Reading)).scalar_one()
    assert [tuple(e) for e in events] == [(camera.id, "congestion")]
    assert (reading.device_id, reading.quantity, reading.value) == (gauge.id, "precipitation", 2.4)
    assert reading.ts.replace(tzinfo=UTC) == T0 + timedelta(minutes=5)


@needs_broker
def test_no_acknowledged_reading_is_lost_when_the_consumer_is_killed(
    org: Session, db: Engine, db_url: str, names: dict[str, str], publisher: paho.Client
) -> None:
    device(org, "KC-KILL-01")
    env = {
        **os.environ, "IOCVN_DATABASE_URL": db_url, "IOCVN_MQTT_URL": BROKER,
        "IOCVN_MQTT_CLIENT_ID": names["client"], "IOCVN_MQTT_TOPIC_PREFIX": names["prefix"],
        "IOCVN_MQTT_GROUP": names["group"], "IOCVN_LOG_LEVEL": "WARNING",
    }  # fmt: skip
    command = [sys.executable, "-m", "iocvn.cli", "sensors", "mqtt"]

    def consumer() -> subprocess.Popen[bytes]:
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)

    first = consumer()
    second: subprocess.Popen[bytes] | None = None
    # Paced so that the readings published while no consumer runs (the restart takes a few
    # seconds) stay within what Mosquitto queues for an offline session by default (1000,
    # `max_queued_messages`; docs/sensors.md says how to raise it in production).
    # Killed half-way: 600 readings are published while the second consumer starts (its
    # interpreter and imports take 2–10 s on a busy machine), under that limit.
    total, rate, topic = 1200, 150.0, f"{names['prefix']}/KC-KILL-01/readings"
    start = datetime.now(UTC) - timedelta(hours=1)
    try:
        # Until the consumer has subscribed, the broker keeps nothing for it: probe first.
        probe = json.dumps({"ts": (start - timedelta(minutes=1)).isoformat(),
                            "values": {"currentLevel": -1}})  # fmt: skip
        assert _wait(lambda: publisher.publish(topic, probe, qos=1) and _count(db) > 0, 60)
        sent = []
        for i, body in _paced(total, rate, start):
            sent.append(publisher.publish(topic, body, qos=1))
            if i == total // 2:  # mid-stream: readings received, some not yet stored
                first.send_signal(signal.SIGKILL)
                first.wait(10)
                assert _count(db) < i + 2
                second = consumer()
        for info in sent:
            info.wait_for_publish(10)  # every reading acknowledged by the broker
        assert all(info.is_published() for info in sent)
        assert _wait(lambda: _count(db) == total + 1, 60), (_count(db), total + 1)
    finally:
        for process in (first, second):
            if process is not None and process.poll() is None:
                process.terminate()
                process.wait(15)
    assert _count(db) == total + 1  # nothing lost, nothing twice


class Proxy:
    """A TCP relay to the broker whose connections the test can cut, and which can refuse
    new ones for a while (the broker gone)."""

    def __init__(self, upstream: mqtt.Broker) -> None:
        self.upstream = upstream
        self.server = socket.create_server(("127.0.0.1", 0))
        self.url = f"mqtt://127.0.0.1:{self.server.getsockname()[1]}"
        self.refusing = threading.Event()
        self.live: list[socket.socket] = []
        self.accepted = 0
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                inside, _ = self.server.accept()
            except OSError:
                return
            if self.refusing.is_set():
                inside.close()
                continue
            self.accepted += 1
            outside = socket.create_connection((self.upstream.host, self.upstream.port))
            self.live += [inside, outside]
            for a, b in ((inside, outside), (outside, inside)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while chunk := source.recv(65536):
                sink.sendall(chunk)
        except OSError:
            pass
        for s in (source, sink):
            s.close()

    def cut(self) -> None:
        """Close every relayed connection, as a network failure would."""
        live, self.live = self.live, []
        for s in live:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def close(self) -> None:
        self.cut()
        self.server.close()


@needs_broker
def test_no_acknowledged_reading_is_lost_when_the_connection_drops(
    org: Session, db: Engine, names: dict[str, str], publisher: paho.Client
) -> None:
    device(org, "KC-DROP-01")
    proxy = Proxy(mqtt.Broker.from_url(BROKER))
    consumer = mqtt.Consumer(session_factory(db), proxy.url, names["client"],
                             prefix=names["prefix"], group=names["group"]).start()  # fmt: skip
    total, rate, topic = 900, 300.0, f"{names['prefix']}/KC-DROP-01/readings"
    start = datetime.now(UTC) - timedelta(hours=1)
    try:
        assert consumer.connected.wait(10)
        time.sleep(0.3)  # the subscriptions are granted
        sent = []
        for i, body in _paced(total, rate, start):
            sent.append(publisher.publish(topic, body, qos=1))
            if i in (200, 400):  # cut mid-stream: reconnected at once
                proxy.cut()
            if i == 600:  # then unreachable for 0,5 s: refused at once, in again after 1 s
                proxy.refusing.set()
                proxy.cut()
            if i == 750:
                proxy.refusing.clear()
        for info in sent:
            info.wait_for_publish(10)
        assert _wait(lambda: _count(db) == total, 60), (_count(db), total)
        assert _wait(lambda: consumer.backlog == 0)
    finally:
        consumer.stop()
        proxy.close()
    assert _count(db) == total  # nothing lost, nothing twice
    assert proxy.accepted == 4  # the first connection and three reconnections
