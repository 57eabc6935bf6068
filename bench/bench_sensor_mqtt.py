"""Sustained MQTT ingestion: readings published to the real broker (127.0.0.1:1883, or
``BENCH_MQTT_URL``) at a fixed rate, one reading per message (or ``BENCH_MQTT_BATCH`` per
message), QoS 1, consumed by ``iocvn sensors mqtt`` in its own process and stored.

The publisher is a lean one (``leanmqtt``: packets built beforehand, written to the socket
every 2 ms), so the load generator takes little of the two cores the system under test has.

Reports the rate offered, the rate stored (readings / time from the first publish until the
last reading is in the database), and how long after the last publish the last reading was
stored (the backlog), and the consumers' CPU per message over that time (``/proc``: user +
system of their processes). Environment: ``BENCH_MQTT_RATE`` (readings/s, default 10 000),
``BENCH_MQTT_SECONDS`` (default 20), ``BENCH_MQTT_BATCH`` (readings per message, default 1),
``BENCH_PG`` (PostgreSQL instead of SQLite), ``BENCH_MQTT_DEVICES`` (default 500),
``BENCH_MQTT_CONSUMERS`` (consumer processes sharing the subscription, default 1),
``BENCH_MQTT_URL`` (a broker; default: a Mosquitto of the bench's own, configured as
docs/sensors.md advises for production — ``leanmqtt.broker``).
"""

from __future__ import annotations

import json
import os
import secrets
import time
from datetime import UTC, datetime, timedelta

import leanmqtt
from common import fresh_database, report
from sqlalchemy import create_engine, func, select

RATE = float(os.environ.get("BENCH_MQTT_RATE", "10000"))
SECONDS = float(os.environ.get("BENCH_MQTT_SECONDS", "20"))
BATCH = int(os.environ.get("BENCH_MQTT_BATCH", "1"))
DEVICES = int(os.environ.get("BENCH_MQTT_DEVICES", "500"))
CONSUMERS = int(os.environ.get("BENCH_MQTT_CONSUMERS", "1"))


def _count(url: str) -> int:
    from iocvn.sensors.models import Reading

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(Reading)).scalar_one())
    finally:
        engine.dispose()


def _packets(publisher: leanmqtt.Publisher, prefix: str, messages: int) -> list[bytes]:
    """The stream's PUBLISH packets, built before the clock starts (JSON and timestamps
    cost the load generator more than the broker)."""
    start_ts = datetime.now(UTC) - timedelta(hours=2)
    packets = []
    for m in range(messages):
        items = [
            {"ts": (start_ts + timedelta(milliseconds=m * BATCH + j)).isoformat(),
             "values": {"currentLevel": (m + j) % 500 / 100}}
            for j in range(BATCH)
        ]  # fmt: skip
        body = json.dumps(items[0] if BATCH == 1 else items).encode()
        packets.append(publisher.packet(f"{prefix}/BENCH-{m % DEVICES:04d}/readings", body))
    return packets


def main() -> None:
    with fresh_database() as url, leanmqtt.broker() as broker:
        from iocvn.core.context import Actor
        from iocvn.db import transaction
        from iocvn.sensors import registry

        with transaction() as session:
            for i in range(DEVICES):
                spec = registry.DeviceSpec(
                    code=f"BENCH-{i:04d}", kind="water_level", name=f"Bench {i}",
                    lon=106.76, lat=21.85, org_unit="20", interval_s=60,
                )  # fmt: skip
                registry.register(session, Actor("bench"), spec, None)
        tag = secrets.token_hex(4)
        prefix = f"bench-{tag}"
        consumers = leanmqtt.consumers(url, broker, prefix, CONSUMERS)
        publisher = leanmqtt.publisher(broker, f"pub-{tag}")
        try:
            probe_ts = (datetime.now(UTC) - timedelta(hours=3)).isoformat()
            probe = json.dumps({"ts": probe_ts, "values": {"currentLevel": 0}}).encode()
            deadline = time.monotonic() + 60
            while _count(url) == 0 and time.monotonic() < deadline:  # consumer subscribed
                publisher.publish(f"{prefix}/BENCH-0000/readings", probe)
                time.sleep(0.5)
            base = _count(url)
            total = int(RATE * SECONDS) // BATCH * BATCH
            packets = _packets(publisher, prefix, total // BATCH)
            cpu_before = leanmqtt.cpu_seconds(consumers)
            started = time.monotonic()
            sent = 0
            while sent < len(packets):  # every 2 ms, the messages due by then
                due = min(len(packets), int((time.monotonic() - started) * RATE / BATCH) + 1)
                if due > sent:
                    publisher.send(b"".join(packets[sent:due]))
                    sent = due
                else:
                    time.sleep(0.002)
            published = time.monotonic()
            deadline = published + 300
            while _count(url) < base + total and time.monotonic() < deadline:
                time.sleep(0.1)
            done = time.monotonic()
            cpu = leanmqtt.cpu_seconds(consumers) - cpu_before
            stored = _count(url) - base
        finally:
            publisher.close()
            for consumer in consumers:
                consumer.terminate()
            for consumer in consumers:
                consumer.wait(30)
        report(
            f"mqtt ingestion, {BATCH} reading(s) per message, {CONSUMERS} consumer(s), "
            f"offered {RATE:g}/s for {SECONDS:g} s",
            {
                "offered_per_s": RATE,
                "published_per_s": round(total / (published - started)),
                "stored_per_s": round(stored / (done - started)),
                "stored": stored,
                "sent": total,
                "backlog_s": round(done - published, 2),
                "consumer_cores": round(cpu / (done - started), 2),
                "consumer_us_per_message": round(cpu / (total // BATCH) * 1e6, 1),
            },
        )


if __name__ == "__main__":
    main()
