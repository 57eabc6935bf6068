"""MQTT ingestion (R22): readings and camera events published to the broker in
``IOCVN_MQTT_URL``, stored by the same :func:`iocvn.sensors.ingest.ingest` and
:func:`iocvn.sensors.events.ingest_events` as HTTP, acknowledged only once committed.

What a topic carries is read by a device adapter (:mod:`.adapters`), chosen by the topic
filters it declares; QoS 1. Built in (:mod:`.formats`, :mod:`.chirpstack`):

- ``<prefix>/<device>/readings`` with ``{"ts": ISO-8601, "values": {quantity: number}}`` or
  an array of such, and ``<prefix>/<device>/events`` with camera events. Who may publish is
  the broker's business (its users and ACLs).
- FIWARE IoT Agent JSON: ``/json/<apikey>/<device>/attrs`` with flat attributes
  ``{"currentLevel": 2.3, "TimeInstant"?: ISO-8601}`` or an array of such (no
  ``TimeInstant``: the time of reception). The device's API key is checked per message.
- ChirpStack v4 uplinks on ``application/+/device/+/event/up``.

Installed adapter plugins add their topics; a plugin's topic filter is tried before the
built-in ones.

**An acknowledged reading is never lost.** The consumer keeps a persistent session (MQTT 5, a
stable client id, ``clean_start=False``, a session expiry of a week) and acknowledges each
message only after the transaction that stored it — or rejected its content — has committed.
If the process dies or the connection drops first, the broker still holds the message and
delivers it again when the consumer reconnects (at once, then with back-off up to 30 s); a
reading stored twice is a duplicate and ignored. Messages are taken in batches (up to
``batch_max`` or ``batch_wait_s``): one transaction and one statement per batch, and the
batch's PUBACKs in one write after the commit. Several consumers (server processes) share
the stream through a shared subscription (``$share/<group>/…``), each message going to one.

One thread per consumer reads the socket, stores and acknowledges: no hand-over between
threads per message, and while a transaction runs the broker's messages wait in the socket,
so the next read takes them all (:mod:`.mqttlink`, :mod:`.mqttwire`; why not paho-mqtt:
decision 0010).

A message that cannot be read (not JSON, wrong shape, too large, an unknown topic) is
rejected, counted (``iocvn_sensor_rejections_total{channel="mqtt"}``), logged with its topic
and reason, and acknowledged: sending it again would not make it readable. A database error
is not the message's fault: the batch is kept, retried with back-off, and acknowledged only
once stored.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session, sessionmaker

from iocvn.config import get_settings
from iocvn.core.http import begin_writing
from iocvn.core.timeutil import utcnow
from iocvn.sensors import events, ingest, plugins
from iocvn.sensors.adapters import Context, DeviceAdapter, Parsed
from iocvn.sensors.formats import MAX_ITEMS as MAX_ITEMS  # re-exported: the limits of a message
from iocvn.sensors.formats import MAX_PAYLOAD as MAX_PAYLOAD
from iocvn.sensors.mqttlink import Broker as Broker  # re-exported: where to connect
from iocvn.sensors.mqttlink import Link
from iocvn.sensors.mqttwire import Publish as Message  # a received message (mid acks it)
from iocvn.sensors.mqttwire import WireError, pubacks

log = logging.getLogger("iocvn.sensors.mqtt")

SESSION_EXPIRY_S: Final = 7 * 24 * 3600  # the broker keeps our session a week offline
RECEIVE_MAXIMUM: Final = 5000  # unacknowledged messages the broker may send us at once
KEEPALIVE_S: Final = 30
RETRY_MAX_S: Final = 30  # the longest wait between two connection (or storing) attempts


def _pattern(topic_filter: str) -> re.Pattern[str]:
    """A regular expression matching the topics an MQTT topic filter matches."""
    levels = []
    for level in topic_filter.split("/"):
        levels.append("[^/]*" if level == "+" else ".*" if level == "#" else re.escape(level))
    compiled = "/".join(levels)
    if compiled.endswith("/.*"):  # "a/#" also matches "a"
        compiled = compiled[:-3] + "(?:/.*)?"
    return re.compile(compiled + r"\Z", re.DOTALL)


def _filters(adapter: DeviceAdapter, prefix: str) -> list[str]:
    """An adapter's topic filters (none, logged, when it fails to say)."""
    try:
        return [str(t) for t in adapter.topics(prefix)]
    except Exception:  # a plugin's bug: its topics are left out, the others still read
        log.exception("device adapter failed", extra={"adapter": getattr(adapter, "name", "?")})
        return []


@dataclass(frozen=True)
class Routes:
    """Which adapter reads a topic: the adapters' topic filters in order (plugins first),
    compiled once."""

    table: tuple[tuple[re.Pattern[str], DeviceAdapter], ...]
    prefix: str

    @classmethod
    def of(cls, adapters: Sequence[DeviceAdapter], prefix: str) -> Routes:
        """The routes of ``adapters`` for iocvn's topic ``prefix``."""
        table = [(_pattern(f), a) for a in adapters for f in _filters(a, prefix)]
        return cls(tuple(table), prefix)

    def read(self, topic: str, payload: bytes, now: datetime) -> Parsed:
        """The readings and events of one message, read by the adapter of its topic."""
        found = next((a for pattern, a in self.table if pattern.match(topic)), None)
        if found is None:
            return Parsed(reason="unknown_topic")
        try:
            return found.parse(topic, payload, Context(self.prefix, now))
        except Exception:  # a plugin's bug: the message is counted, the stream goes on
            log.exception("device adapter failed", extra={"adapter": found.name})
            return Parsed(reason="adapter_failed")


def parse(
    topic: str,
    payload: bytes,
    prefix: str,
    now: datetime,
    adapters: Sequence[DeviceAdapter] | None = None,
) -> Parsed:
    """The readings and events of one message, read by the adapter of its topic (pure with
    the built-in adapters, the default; ``now`` stamps readings without time)."""
    adapters = plugins.builtin() if adapters is None else adapters
    return Routes.of(adapters, prefix).read(topic, payload, now)


def topics(prefix: str, group: str, adapters: Sequence[DeviceAdapter] | None = None) -> list[str]:
    """The subscriptions of the adapters (the built-in ones by default): shared by ``group``
    (each message to one consumer) unless empty."""
    plain: list[str] = []
    for adapter in plugins.builtin() if adapters is None else adapters:
        plain += [t for t in _filters(adapter, prefix) if t not in plain]
    return [f"$share/{group}/{t}" for t in plain] if group else plain


class Consumer:
    """Subscribes, stores in batches, acknowledges after commit; ``start()`` / ``stop()``."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        url: str,
        client_id: str,
        *,
        prefix: str = "iocvn",
        group: str = "iocvn",
        batch_max: int = 500,
        batch_wait_s: float = 0.02,
        clock: Callable[[], datetime] = utcnow,
        adapters: Sequence[DeviceAdapter] | None = None,
    ) -> None:
        self.sessions, self.broker, self.prefix = sessions, Broker.from_url(url), prefix
        self.client_id = client_id
        self.batch_max, self.batch_wait_s, self.clock = batch_max, batch_wait_s, clock
        # The built-in adapters and the installed plugins' (default), or those given.
        self.adapters = list(
            plugins.device_adapters(get_settings()) if adapters is None else adapters
        )
        self.subscriptions = topics(prefix, group, self.adapters)
        self.routes = Routes.of(self.adapters, prefix)
        self.stopping = threading.Event()
        self.connected = threading.Event()  # connected and subscribed
        self.stored = 0  # readings stored since start (for tests and logs)
        self.events_stored = 0  # camera events stored since start
        self.backlog = 0  # messages received on this connection and not yet acknowledged
        self.link: Link | None = None
        self.thread = threading.Thread(target=self._run, name="iocvn-mqtt-ingest", daemon=True)

    def start(self) -> Consumer:
        self.thread.start()
        return self

    def stop(self, timeout: float = 10) -> None:
        """Store and acknowledge what was received, then disconnect."""
        self.stopping.set()
        if self.thread.ident is not None:
            self.thread.join(timeout)
        link = self.link
        if self.thread.is_alive() and link is not None:  # stuck (the database?): cut it
            log.warning("mqtt consumer did not stop in time; disconnecting")
            link.abort()

    # the consumer's thread -------------------------------------------------------------

    def _run(self) -> None:
        delay = 0.0  # after a drop, reconnect at once; after a failure, back off
        while not self.stopping.wait(delay):
            try:
                # MQTT 5: the session outlives the connection (SESSION_EXPIRY_S), and the
                # broker may have RECEIVE_MAXIMUM messages unacknowledged with us —
                # acknowledging after commit, a window of 20 (MQTT 3.1.1's usual broker
                # default) would cap the stream at 20 per transaction.
                self.link = Link.open(
                    self.broker, self.client_id, self.subscriptions, keepalive=KEEPALIVE_S,
                    session_expiry=SESSION_EXPIRY_S, receive_maximum=RECEIVE_MAXIMUM,
                )  # fmt: skip
            except (OSError, WireError) as error:
                delay = min(max(delay * 2, 1.0), RETRY_MAX_S)
                log.warning("mqtt connection failed; retrying", extra={
                    "broker": str(self.broker), "reason": str(error), "retry_s": delay,
                })  # fmt: skip
                continue
            delay = 0.0
            self.connected.set()
            log.info("mqtt connected", extra={
                "broker": str(self.broker), "session_present": self.link.session_present,
            })  # fmt: skip
            try:
                self._serve(self.link)
            except Exception as error:
                # What was not acknowledged is the broker's again: it delivers it anew.
                self.connected.clear()
                self.backlog = 0
                self.link.close(error.reason if isinstance(error, WireError) else None)
                if isinstance(error, OSError | WireError):  # the connection, the broker
                    log.warning("mqtt disconnected; reconnecting", extra={"reason": str(error)})
                else:  # our bug: the consumer must outlive it (a second later, afresh)
                    log.exception("mqtt consumer failed; reconnecting")
                    delay = 1.0
                continue
            self.connected.clear()
            self.link.close()
            return

    def _serve(self, link: Link) -> None:
        """Receive, store in batches and acknowledge until stopped (storing what came)."""
        pending = link.early
        self.backlog = len(pending)
        since = time.monotonic()  # when the batch being gathered began
        while True:
            if not pending:
                if self.stopping.is_set():
                    return
                pending = link.receive(0.2)
                self.backlog += len(pending)
                since = time.monotonic()
                continue
            if len(pending) < self.batch_max and not self.stopping.is_set():
                left = since + self.batch_wait_s - time.monotonic()
                more = link.receive(max(0.0, left))
                self.backlog += len(more)
                pending += more
                if more and left > 0:
                    continue  # still gathering
            batch, pending = pending[: self.batch_max], pending[self.batch_max :]
            if not self._flush(link, batch, pending):
                return
            since = time.monotonic()

    def _flush(self, link: Link, batch: list[Message], pending: list[Message]) -> bool:
        """Store ``batch`` (retrying with back-off while the database fails, the connection
        kept alive and what arrives meanwhile added to ``pending``), then acknowledge it in
        one write. False when stopped before it could be stored."""
        delay = 0.5
        while not self._store(batch):  # the database failed: keep the batch, retry
            until = time.monotonic() + delay
            while (left := until - time.monotonic()) > 0:
                if self.stopping.is_set():
                    return False  # not acknowledged: the broker delivers it again
                more = link.receive(min(left, 0.2))
                self.backlog += len(more)
                pending += more
            delay = min(delay * 2, RETRY_MAX_S)
        acks = pubacks([m.mid for m in batch if m.qos])
        if acks:
            link.send(acks)
        self.backlog -= len(batch)
        return True

    def _store(self, batch: Sequence[Message]) -> bool:
        now = self.clock()
        items: list[Any] = []
        found: list[Any] = []  # camera events
        for message in batch:
            parsed = self.routes.read(message.topic, message.payload, now)
            if parsed.reason:
                ingest.REJECTIONS.labels(parsed.reason, "mqtt").inc()
                ingest.READINGS.labels("rejected").inc()
                log.warning("mqtt message rejected", extra={
                    "topic": _safe_topic(message.topic), "reason": parsed.reason,
                })  # fmt: skip
            items.extend(parsed.items)
            found.extend(parsed.events)
        if not (items or found):
            return True
        try:
            with self.sessions() as session:
                begin_writing(session)
                none = ingest.IngestReport()
                report = ingest.ingest(session, items, channel="mqtt", now=now) if items else none
                seen = (
                    events.ingest_events(session, found, channel="mqtt", now=now) if found else none
                )
                session.commit()
        except Exception:
            log.exception("mqtt batch not stored; retrying", extra={"messages": len(batch)})
            return False
        self.stored += report.accepted
        self.events_stored += seen.accepted
        for r in (*report.rejections, *seen.rejections):
            log.warning("mqtt reading rejected", extra={
                "device": r.device, "reason": r.reason, "quantity": r.quantity,
            })  # fmt: skip
        return True


def _safe_topic(topic: str) -> str:
    """The topic for a log line, without a FIWARE API key."""
    parts = topic.split("/")
    if len(parts) == 5 and parts[1] == "json":
        parts[2] = parts[2][:6] + "…"
    return "/".join(parts)[:200]
