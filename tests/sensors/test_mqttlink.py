"""The consumer's connection against a scripted broker (a socket the test speaks MQTT on):
acknowledgements only after commit and in one write, a database error keeping the batch,
the broker's DISCONNECT and topic aliases answered by reconnecting, keepalive pings, a
refused connection retried."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from iocvn.db import session_factory
from iocvn.sensors import mqtt, mqttlink
from iocvn.sensors import mqttwire as wire
from iocvn.sensors.models import Reading
from tests.factories.sensors import device
from tests.sensors.test_mqttwire import publish

T0 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
CONNACK = b"\x20\x03\x00\x00\x00"  # no session kept, success, no properties
SUBACK = b"\x90\x04\x00\x01\x00\x01"  # packet 1, one filter granted at QoS 1


class Broker:
    """A listening socket; the test accepts the consumer's connections and speaks for the
    broker, packet by packet."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(10)
        self.url = f"mqtt://127.0.0.1:{self.server.getsockname()[1]}"

    def accept(self) -> socket.socket:
        conn, _ = self.server.accept()
        conn.settimeout(10)
        return conn


def read_packet(conn: socket.socket) -> tuple[int, bytes]:
    """One packet the consumer sent: (first byte, body)."""
    head = _exactly(conn, 2)
    length, shift, byte = head[1] & 0x7F, 7, head[1]
    while byte & 0x80:
        byte = _exactly(conn, 1)[0]
        length |= (byte & 0x7F) << shift
        shift += 7
    return head[0], _exactly(conn, length)


def _exactly(conn: socket.socket, n: int) -> bytes:
    data = b""
    while len(data) < n:
        chunk = conn.recv(n - len(data))
        if not chunk:
            raise ConnectionError("the consumer closed the connection")
        data += chunk
    return data


def handshake(conn: socket.socket, connack: bytes = CONNACK) -> bytes:
    """Answer CONNECT and SUBSCRIBE; the CONNECT's body."""
    first, connect = read_packet(conn)
    assert first == 0x10
    conn.sendall(connack)
    first, subscribe = read_packet(conn)
    assert first == 0x82
    assert subscribe[:3] == b"\x00\x01\x00"  # packet 1, no properties
    conn.sendall(SUBACK)
    return connect


def reading(mid: int, minute: int, qos: int = 1) -> bytes:
    body = f'{{"ts": "2026-11-30T02:{minute:02d}:00Z", "values": {{"currentLevel": {minute}}}}}'
    return publish("t/KC-LINK-01/readings", body.encode(), qos=qos, mid=mid)


def _count(db: Engine) -> int:
    with Session(db) as session:
        return int(session.scalar(select(func.count()).select_from(Reading)) or 0)


class Flaky:
    """A session factory whose first ``failures`` sessions fail to connect."""

    def __init__(self, db: Engine, failures: int) -> None:
        self.sessions, self.failures, self.calls = session_factory(db), failures, 0

    def __call__(self) -> Session:
        self.calls += 1
        if self.calls <= self.failures:
            raise OperationalError("connect", {}, Exception("the database is restarting"))
        return self.sessions()


@contextmanager
def consumer(db: Engine | Flaky, broker: Broker) -> Iterator[mqtt.Consumer]:
    sessions: Any = db if isinstance(db, Flaky) else session_factory(db)
    running = mqtt.Consumer(sessions, broker.url, "c-link", prefix="t", group="",
                            clock=lambda: T0).start()  # fmt: skip
    try:
        yield running
    finally:
        running.stop(5)


def test_acknowledged_after_commit_in_one_write(org: Session, db: Engine) -> None:
    device(org, "KC-LINK-01")
    broker = Broker()
    flaky = Flaky(db, failures=1)
    with consumer(flaky, broker) as running:
        conn = broker.accept()
        connect = handshake(conn)
        assert connect[6:8] == b"\x05\x00"  # MQTT 5; no user, no password, clean start off
        assert running.connected.wait(5)
        conn.sendall(reading(1, 1) + reading(2, 2) + reading(0, 3, qos=0) + reading(3, 4))
        conn.settimeout(0.3)  # the first transaction fails: nothing acknowledged yet
        with pytest.raises(TimeoutError):
            conn.recv(100)
        conn.settimeout(10)
        acks = conn.recv(100)  # stored after the retry (0,5 s): every PUBACK in one write
        assert acks == wire.pubacks([1, 2, 3])
        assert _count(db) == 4
        assert flaky.calls == 2
        deadline = time.monotonic() + 5
        while running.backlog and time.monotonic() < deadline:  # counted after the write
            time.sleep(0.01)
        assert running.backlog == 0


def test_the_brokers_disconnect_and_a_topic_alias_lead_to_a_new_connection(
    org: Session, db: Engine
) -> None:
    device(org, "KC-LINK-01")
    broker = Broker()
    with consumer(db, broker) as running:
        first = broker.accept()
        handshake(first)
        first.sendall(b"\xe0\x02\x8e\x00")  # DISCONNECT: session taken over
        second = broker.accept()  # reconnected at once
        handshake(second, connack=b"\x20\x03\x01\x00\x00")  # the session was kept
        # A topic alias was not allowed: the consumer says so and connects again.
        second.sendall(publish("", b"{}", mid=4, properties=b"\x03\x23\x00\x01"))
        first_byte, body = read_packet(second)
        assert (first_byte, body[:1]) == (0xE0, b"\x94")
        third = broker.accept()
        handshake(third)
        third.sendall(reading(5, 1))
        assert read_packet(third) == (0x40, b"\x00\x05")
        assert running.connected.is_set()
    assert _count(db) == 1
    assert read_packet(third) == (0xE0, b"")  # stop(): a normal DISCONNECT


def test_a_refused_connection_is_tried_again_with_back_off(db: Engine) -> None:
    broker = Broker()
    with consumer(db, broker) as running:
        conn = broker.accept()
        read_packet(conn)
        conn.sendall(b"\x20\x03\x00\x86\x00")  # bad user name or password
        refused = time.monotonic()
        again = broker.accept()
        assert time.monotonic() - refused >= 0.9  # one second, then two, … up to 30
        handshake(again)
        assert running.connected.wait(5)


def test_keepalive_pings_and_a_silent_broker_is_dropped() -> None:
    broker = Broker()
    conn: socket.socket | None = None

    def answer() -> None:
        nonlocal conn
        conn = broker.accept()
        read_packet(conn)
        conn.sendall(CONNACK)

    thread = threading.Thread(target=answer)
    thread.start()
    link = mqttlink.Link.open(mqttlink.Broker.from_url(broker.url), "c", [], keepalive=1,
                              session_expiry=0, receive_maximum=10)  # fmt: skip
    thread.join()
    assert conn is not None
    assert link.receive(0.7) == []
    assert read_packet(conn) == (0xC0, b"")  # PINGREQ after half the keepalive
    conn.sendall(b"\xd0\x00")
    assert link.receive(0.7) == []
    assert read_packet(conn) == (0xC0, b"")  # and again; this one unanswered
    with pytest.raises(mqttlink.Dropped, match="no PINGRESP"):
        link.receive(2)
    link.close()


def test_broker_urls() -> None:
    assert mqtt.Broker.from_url("mqtts://u:p@broker.local") == mqtt.Broker(
        "broker.local", 8883, "u", "p", tls=True
    )
    assert str(mqtt.Broker.from_url("mqtt://h")) == "mqtt://h:1883"
