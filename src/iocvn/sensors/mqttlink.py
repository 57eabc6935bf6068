"""One connection of the ingestion consumer to the MQTT broker: TCP (or TLS for
``mqtts://``), the MQTT 5 handshake, reading packets in bulk, keepalive pings.

The packets themselves are :mod:`.mqttwire`; what to do with the messages (batches, the
database, acknowledgements after commit) is :class:`iocvn.sensors.mqtt.Consumer`. A
:class:`Link` is used by one thread; it never reconnects by itself — the consumer decides
when, and drops what the broker will deliver again.
"""

from __future__ import annotations

import contextlib
import logging
import selectors
import socket
import ssl
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

from iocvn.sensors import mqttwire as wire

log = logging.getLogger("iocvn.sensors.mqtt")

RECV_SIZE: Final = 256 * 1024  # one read takes every packet waiting, not one message
TIMEOUT_S: Final = 10.0  # connecting, the handshake, a write that does not progress
SUBSCRIBE_ID: Final = 1  # we publish nothing, so no other packet of ours holds an id


class Dropped(ConnectionError):
    """The broker ended the connection (a DISCONNECT, a closed socket, no PINGRESP)."""


class Refused(ConnectionError):
    """The broker refused the connection (CONNACK with a reason code ≥ 0x80)."""


@dataclass(frozen=True)
class Broker:
    """Where to connect, from ``mqtt://user:password@host:port`` (``mqtts://``: over TLS,
    port 8883 by default, the certificate checked against the system's authorities)."""

    host: str
    port: int
    username: str | None = None
    password: str | None = None
    tls: bool = False

    @classmethod
    def from_url(cls, url: str) -> Broker:
        parts = urlsplit(url)
        tls = parts.scheme in ("mqtts", "ssl")
        if not (tls or parts.scheme in ("mqtt", "tcp")) or not parts.hostname:
            raise ValueError(
                f"IOCVN_MQTT_URL must look like mqtt://host:1883 or mqtts://host:8883, not {url!r}"
            )
        port = parts.port or (8883 if tls else 1883)
        return cls(parts.hostname, port, parts.username, parts.password, tls)

    def __str__(self) -> str:
        return f"{'mqtts' if self.tls else 'mqtt'}://{self.host}:{self.port}"


class Link:
    """A connected, subscribed MQTT 5 session; ``early`` holds the messages that came before
    the SUBACK (a kept session's unacknowledged ones, delivered again at once)."""

    def __init__(self, sock: socket.socket, keepalive: int) -> None:
        self.sock = sock
        self.keepalive = keepalive
        self.selector = selectors.DefaultSelector()
        self.selector.register(sock, selectors.EVENT_READ)
        self.rest = b""  # the start of a packet whose end has not arrived
        self.last_sent = time.monotonic()
        self.ping_sent = 0.0  # when the unanswered PINGREQ left; 0: none
        self.session_present = False
        self.early: list[wire.Publish] = []

    @classmethod
    def open(
        cls,
        broker: Broker,
        client_id: str,
        subscriptions: Sequence[str],
        *,
        keepalive: int,
        session_expiry: int,
        receive_maximum: int,
    ) -> Link:
        """Connect, keep (or start) our session, subscribe at QoS 1; raises ``OSError``
        (``Refused`` among them) or ``mqttwire.WireError``."""
        sock = socket.create_connection((broker.host, broker.port), TIMEOUT_S)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if broker.tls:
                sock = ssl.create_default_context().wrap_socket(sock, server_hostname=broker.host)
            sock.settimeout(TIMEOUT_S)
            link = cls(sock, keepalive)
            link._handshake(broker, client_id, subscriptions, session_expiry, receive_maximum)
        except BaseException:
            sock.close()
            raise
        return link

    def _handshake(
        self,
        broker: Broker,
        client_id: str,
        subscriptions: Sequence[str],
        session_expiry: int,
        receive_maximum: int,
    ) -> None:
        self.send(wire.connect(
            client_id, keepalive=self.keepalive, session_expiry=session_expiry,
            receive_maximum=receive_maximum, username=broker.username,
            password=broker.password,
        ))  # fmt: skip
        first, body = self._next_packet()
        if first >> 4 != wire.CONNACK:
            raise wire.WireError("the broker's first packet is not CONNACK", wire.PROTOCOL_ERROR)
        connack = wire.decode_connack(body)
        if connack.reason >= 0x80:
            why = str(connack.properties.get(wire.REASON_STRING, ""))
            raise Refused(f"{wire.reason_name(connack.reason)} {why}".strip())
        self.session_present = connack.session_present
        server_keepalive = connack.properties.get(wire.SERVER_KEEP_ALIVE)
        if isinstance(server_keepalive, int):  # the broker's keepalive overrides ours
            self.keepalive = server_keepalive
        if not subscriptions:
            return
        # Subscribed on every connection, kept session or not: a plugin installed since
        # the last run adds topics (retained messages are not replayed: retain handling 1).
        self.send(wire.subscribe(SUBSCRIBE_ID, subscriptions))
        while True:
            first, body = self._next_packet()
            kind = first >> 4
            if kind == wire.PUBLISH:
                self.early.append(wire.decode_publish(first, body))
            elif kind == wire.SUBACK:
                break
            else:
                self._other(kind, body)
        suback = wire.decode_suback(body)
        for topic_filter, code in zip(subscriptions, suback.reasons, strict=False):
            if code >= 0x80:
                log.warning("mqtt subscription refused", extra={
                    "topic": topic_filter, "reason": wire.reason_name(code),
                })  # fmt: skip

    def _next_packet(self) -> tuple[int, bytes]:
        """One packet, waiting for it (the handshake)."""
        while True:
            packets, used = wire.split(self.rest, 1)
            if packets:
                self.rest = self.rest[used:]
                return packets[0]
            chunk = self.sock.recv(RECV_SIZE)
            if not chunk:
                raise Dropped("the broker closed the connection")
            self.rest += chunk

    def receive(self, timeout: float) -> list[wire.Publish]:
        """The messages that arrive within ``timeout`` seconds: those of the first read that
        brings any (every complete packet then waiting), or none. Pings as keepalive wants."""
        deadline = time.monotonic() + timeout
        while True:
            now = time.monotonic()
            wait = max(0.0, min(deadline - now, self._keep_alive(now)))
            pending_tls = isinstance(self.sock, ssl.SSLSocket) and self.sock.pending()
            if not pending_tls and not self.selector.select(wait):
                if time.monotonic() >= deadline:
                    return []
                continue
            chunk = self.sock.recv(RECV_SIZE)
            if not chunk:
                raise Dropped("the broker closed the connection")
            data = self.rest + chunk if self.rest else chunk
            packets, used = wire.split(data)
            self.rest = data[used:]
            found: list[wire.Publish] = []
            for first, body in packets:
                kind = first >> 4
                if kind == wire.PUBLISH:
                    found.append(wire.decode_publish(first, body))
                else:
                    self._other(kind, body)
            if found or time.monotonic() >= deadline:
                return found

    def _other(self, kind: int, body: bytes) -> None:
        """A packet that is not a message: a PINGRESP, the broker's DISCONNECT, or one our
        subset does not have (a protocol error)."""
        if kind == wire.PINGRESP:
            self.ping_sent = 0.0
        elif kind == wire.DISCONNECT:
            code, why = wire.decode_disconnect(body)
            raise Dropped(f"the broker disconnected: {wire.reason_name(code)} {why}".strip())
        elif kind != wire.SUBACK:  # a late SUBACK (a re-subscription) needs nothing
            raise wire.WireError(f"an unexpected packet of type {kind}", wire.PROTOCOL_ERROR)

    def _keep_alive(self, now: float) -> float:
        """Send a PINGREQ when we have been silent half the keepalive; fail when the last
        one went unanswered a whole keepalive. Returns the seconds until the next check."""
        if not self.keepalive:
            return 3600.0
        if self.ping_sent:
            if now - self.ping_sent > self.keepalive:
                raise Dropped(f"no PINGRESP within {self.keepalive} s")
            return self.ping_sent + self.keepalive - now
        due = self.last_sent + self.keepalive / 2
        if now >= due:
            self.send(wire.PINGREQ_PACKET)
            self.ping_sent = now
            return float(self.keepalive)
        return due - now

    def send(self, data: bytes) -> None:
        """Write ``data`` whole (a batch's PUBACKs are one write)."""
        self.sock.sendall(data)
        self.last_sent = time.monotonic()

    def close(self, reason: int | None = 0) -> None:
        """Say DISCONNECT with ``reason`` when given (0: normal, the session kept), then
        close; never raises."""
        if reason is not None:
            with contextlib.suppress(OSError):
                self.sock.sendall(wire.disconnect(reason))
        self.selector.close()
        self.sock.close()

    def abort(self) -> None:
        """Cut the connection under another thread's feet (a stop that timed out)."""
        with contextlib.suppress(OSError):
            self.sock.shutdown(socket.SHUT_RDWR)
