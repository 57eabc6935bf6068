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
``BENCH_MQTT_URL``.
"""

from __future__ import annotations

import json
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime

from common import fresh_database, report
from sqlalchemy import create_engine, func, select

RATE = float(os.environ.get("BENCH_ALERT_RATE", "10000"))
SECONDS = float(os.environ.get("BENCH_ALERT_SECONDS", "20"))
PROBE_S = float(os.environ.get("BENCH_ALERT_PROBE_S", "0.2"))
STREAM_DEVICES = 400
BROKER = os.environ.get("BENCH_MQTT_URL", "mqtt://127.0.0.1:1883")


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


def main() -> None:
    import paho.mqtt.client as paho
    from paho.mqtt.enums import CallbackAPIVersion

    probes = int(SECONDS / PROBE_S) + 2
    with fresh_database() as url:
        _setup(probes)
        tag = secrets.token_hex(4)
        prefix = f"bench-{tag}"
        env = {**os.environ, "IOCVN_DATABASE_URL": url, "IOCVN_MQTT_URL": BROKER,
               "IOCVN_MQTT_CLIENT_ID": f"bench-{tag}", "IOCVN_MQTT_TOPIC_PREFIX": prefix,
               "IOCVN_MQTT_GROUP": "", "IOCVN_LOG_LEVEL": "WARNING"}  # fmt: skip
        consumer = subprocess.Popen(
            [sys.executable, "-m", "iocvn.cli", "sensors", "mqtt"], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        publisher = paho.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-pub-{tag}")
        publisher.max_inflight_messages_set(1000)
        publisher.max_queued_messages_set(0)
        publisher.connect("127.0.0.1", 1883)
        publisher.loop_start()
        watcher = Watcher(url)
        published: dict[str, float] = {}
        try:
            deadline = time.monotonic() + 60
            while _count(url) == 0 and time.monotonic() < deadline:  # consumer subscribed
                body = json.dumps({"ts": datetime.now(UTC).isoformat(),
                                   "values": {"currentLevel": 1.0}})  # fmt: skip
                publisher.publish(f"{prefix}/BENCH-0000/readings", body, qos=1)
                time.sleep(0.5)
            watcher.start()
            base = _count(url)
            total = int(RATE * SECONDS)
            started = time.monotonic()
            next_probe, probe = started + PROBE_S, 0
            for m in range(total):
                now = time.monotonic()
                delay = started + m / RATE - now
                if delay > 0.002:
                    time.sleep(delay)
                if now >= next_probe and probe < probes:
                    device = f"BENCH-{STREAM_DEVICES + probe:04d}"
                    body = json.dumps({"ts": datetime.now(UTC).isoformat(),
                                       "values": {"currentLevel": 9.0}})  # fmt: skip
                    published[device] = time.monotonic()
                    publisher.publish(f"{prefix}/{device}/readings", body, qos=1)
                    next_probe, probe = next_probe + PROBE_S, probe + 1
                body = json.dumps({"ts": datetime.now(UTC).isoformat(),
                                   "values": {"currentLevel": 1.0}})  # fmt: skip
                publisher.publish(f"{prefix}/BENCH-{m % STREAM_DEVICES:04d}/readings", body, qos=1)
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
            publisher.disconnect()
            publisher.loop_stop()
            consumer.terminate()
            consumer.wait(30)
        latencies = sorted(
            (watcher.seen[d] - t) * 1000 for d, t in published.items() if d in watcher.seen
        )
        p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else -1
        report(
            f"alert latency, publish → firing, stream {RATE:g} readings/s",
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
