"""Alert latency under load: how long from publishing a reading past a threshold to its
alert being ``firing`` in the database, while a background stream of ordinary readings
flows through the same broker and consumer.

A group rule (``kind="water_level"``, ``currentLevel > 5``, ``for_s`` 0) watches every
device. The background stream publishes level 1,0 (below the threshold) for the devices
``BENCH-0000``… at ``BENCH_ALERT_RATE`` readings/s, one per MQTT message, QoS 1; every
``BENCH_ALERT_PROBE_S`` seconds a probe publishes level 9,0 for a device the stream never
touches and notes the time. A watcher polls the database every 20 ms for firing alerts and
notes when each probe's alert first shows. Latency = first seen − published (so it includes
up to 20 ms of polling). ``iocvn sensors mqtt`` runs in its own process, evaluating the
rules on ingestion as ``iocvn serve`` does.

Environment: ``BENCH_ALERT_RATE`` (default 10 000), ``BENCH_ALERT_SECONDS`` (default 20),
``BENCH_ALERT_PROBE_S`` (default 0,2), ``BENCH_PG`` (PostgreSQL instead of SQLite),
``BENCH_ALERT_CONSUMERS`` (consumer processes sharing the subscription, default 1),
``BENCH_MQTT_URL`` (default: the bench's own Mosquitto, ``leanmqtt.broker``),
``BENCH_ALERT_BATCH`` (readings per stream message, default 1: a message of B readings is
an array for one device, each reading a microsecond apart). The publisher is ``leanmqtt``
(cheap), the stream's messages sent every 2 ms.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta

import leanmqtt
from common import fresh_database, report
from sqlalchemy import create_engine, func, select

RATE = float(os.environ.get("BENCH_ALERT_RATE", "10000"))
SECONDS = float(os.environ.get("BENCH_ALERT_SECONDS", "20"))
PROBE_S = float(os.environ.get("BENCH_ALERT_PROBE_S", "0.2"))
STREAM_DEVICES = 400
CONSUMERS = int(os.environ.get("BENCH_ALERT_CONSUMERS", "1"))
BATCH = max(1, int(os.environ.get("BENCH_ALERT_BATCH", "1")))


def _setup(probes: int) -> None:
    from iocvn.alerts import rules
    from iocvn.core.context import Actor
    from iocvn.db import transaction
    from iocvn.sensors import registry

    actor = Actor("bench")
    with transaction() as session:
        for i in range(STREAM_DEVICES + probes):
            spec = registry.DeviceSpec(
                code=f"BENCH-{i:04d}", kind="water_level", name=f"Bench {i}",
                lon=106.76, lat=21.85, org_unit="20", interval_s=60,
            )  # fmt: skip
            registry.register(session, actor, spec, None)
        rule = rules.RuleSpec(
            name="Bench: mực nước vượt 5 m", selector=['kind="water_level"'],
            quantity="currentLevel", op=">", value=5.0, for_s=0, severity="warning",
        )  # fmt: skip
        rules.create_rule(session, actor, rule, None)


class Watcher(threading.Thread):
    """Polls the database for firing alerts; notes when each device's first showed."""

    def __init__(self, url: str) -> None:
        super().__init__(daemon=True)
        self.engine = create_engine(url)
        self.seen: dict[str, float] = {}
        self.stop = threading.Event()

    def run(self) -> None:
        from iocvn.alerts.models_rules import AlertInstance

        query = select(AlertInstance.device).where(AlertInstance.state == "firing")
        while not self.stop.wait(0.02):
            with self.engine.connect() as conn:
                devices = conn.execute(query).scalars().all()
            now = time.monotonic()
            for device in devices:
                if device is not None:
                    self.seen.setdefault(device, now)


def _count(url: str) -> int:
    from iocvn.sensors.models import Reading

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Reading)).scalar_one())
    finally:
        engine.dispose()


def _reading(level: float) -> bytes:
    now = datetime.now(UTC).isoformat()
    return json.dumps({"ts": now, "values": {"currentLevel": level}}).encode()


def main() -> None:
    probes = int(SECONDS / PROBE_S) + 2
    with fresh_database() as url, leanmqtt.broker() as broker:
        _setup(probes)
        tag = secrets.token_hex(4)
        prefix = f"bench-{tag}"
        consumers = leanmqtt.consumers(url, broker, prefix, CONSUMERS)
        publisher = leanmqtt.publisher(broker, f"pub-{tag}")
        watcher = Watcher(url)
        published: dict[str, float] = {}
        try:
            deadline = time.monotonic() + 60
            while _count(url) == 0 and time.monotonic() < deadline:  # consumer subscribed
                publisher.publish(f"{prefix}/BENCH-0000/readings", _reading(1.0))
                time.sleep(0.5)
            watcher.start()
            base = _count(url)
            total = int(RATE * SECONDS) // BATCH * BATCH  # readings
            started, first = time.monotonic(), datetime.now(UTC)
            sent, probe = 0, 0
            while sent < total:  # every 2 ms, the messages due by then (and a probe, if due)
                now = time.monotonic()
                due = min(total, (int((now - started) * RATE) // BATCH + 1) * BATCH)
                if due <= sent:
                    time.sleep(0.002)
                    continue
                burst = []
                if now >= started + (probe + 1) * PROBE_S and probe < probes:
                    device = f"BENCH-{STREAM_DEVICES + probe:04d}"
                    burst.append(publisher.packet(f"{prefix}/{device}/readings", _reading(9.0)))
                    published[device] = now
                    probe += 1
                stamp = datetime.now(UTC).isoformat()
                for j in range(sent // BATCH, due // BATCH):  # one message per BATCH readings
                    topic = f"{prefix}/BENCH-{j % STREAM_DEVICES:04d}/readings"
                    if BATCH == 1:
                        body = json.dumps(
                            {"ts": stamp, "values": {"currentLevel": 1.0 + j % 7 / 100}}
                        )
                    else:
                        body = json.dumps([
                            {"ts": (first + timedelta(microseconds=m)).isoformat(),
                             "values": {"currentLevel": 1.0 + m % 7 / 100}}
                            for m in range(j * BATCH, (j + 1) * BATCH)
                        ])  # fmt: skip
                    burst.append(publisher.packet(topic, body.encode()))
                publisher.send(b"".join(burst))
                sent = due
            done_publishing = time.monotonic()
            deadline = done_publishing + 120
            expected = base + total + len(published)
            while time.monotonic() < deadline and (
                _count(url) < expected or len(watcher.seen) < len(published)
            ):
                time.sleep(0.1)
            stored = _count(url) - base
            drained = time.monotonic()
        finally:
            watcher.stop.set()
            publisher.close()
            for consumer in consumers:
                consumer.terminate()
            for consumer in consumers:
                consumer.wait(30)
        latencies = sorted(
            (watcher.seen[d] - t) * 1000 for d, t in published.items() if d in watcher.seen
        )
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else -1
        report(
            f"alert latency, publish → firing, stream {RATE:g} readings/s in messages of "
            f"{BATCH}, {CONSUMERS} consumer(s)",
            {
                "median_ms": round(statistics.median(latencies), 1) if latencies else -1,
                "p99_ms": round(p99, 1),
                "max_ms": round(latencies[-1], 1) if latencies else -1,
                "n": len(latencies),
            },
            probes=len(published),
            missed=len(published) - len(latencies),
            published_per_s=round(total / (done_publishing - started)),
            stored_per_s=round(stored / (drained - started)),
        )


if __name__ == "__main__":
    main()
