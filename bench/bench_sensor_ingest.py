"""Sensor ingestion: readings/s through ``sensors.ingest.ingest`` (checks, bulk insert, rollups,
latest values, event) in one process, in batches of 1 and of 100.

Batches of 1 are measured twice: one transaction per reading (an HTTP request per reading),
and 100 calls per transaction (how a consumer of one-reading MQTT messages commits, then
acknowledges). Each reading is one value of one device; 500 devices send in turn, each at
its next second, so there are no duplicates.
"""

from __future__ import annotations

import time
from datetime import timedelta

from common import fresh_database, report

DEVICES = 500
SINGLES = 2_000
BATCHED = 60_000


def main() -> None:
    with fresh_database():
        from iocvn.core.context import Actor
        from iocvn.core.timeutil import utcnow
        from iocvn.db import transaction
        from iocvn.sensors import registry
        from iocvn.sensors.ingest import ingest

        actor = Actor("bench")
        with transaction() as s:
            for i in range(DEVICES):
                spec = registry.DeviceSpec(f"B-{i:04d}", "water_level", f"Trạm {i}", 106.759,
                                           21.849, "20", interval_s=60)  # fmt: skip
                registry.register(s, actor, spec, None)
        start = utcnow() - timedelta(days=2)
        counter = iter(range(10**9))

        def items(n: int) -> list[dict[str, object]]:
            out = []
            for _ in range(n):
                k = next(counter)
                ts = start + timedelta(seconds=k // DEVICES)
                out.append({"device": f"B-{k % DEVICES:04d}", "ts": ts.isoformat(),
                            "values": {"currentLevel": 250 + (k % 97) / 10}})  # fmt: skip
            return out

        def run(name: str, total: int, per_call: int, calls_per_tx: int) -> None:
            work = [items(per_call) for _ in range(total // per_call)]
            with transaction() as s:  # warm up (directory, statements)
                ingest(s, items(per_call))
            began = time.perf_counter()
            for i in range(0, len(work), calls_per_tx):
                with transaction() as s:
                    for batch in work[i : i + calls_per_tx]:
                        done = ingest(s, batch)
                        assert done.accepted == per_call, done
            elapsed = time.perf_counter() - began
            report(
                name,
                {"median_ms": round(elapsed * 1000 / len(work), 3), "n": len(work)},
                readings_per_s=round(total / elapsed),
            )

        run("sensor ingest: batch 1, 1 per transaction", SINGLES, 1, 1)
        run("sensor ingest: batch 1, 100 per transaction", SINGLES * 5, 1, 100)
        run("sensor ingest: batch 100, 1 per transaction", BATCHED, 100, 1)
        run("sensor ingest: batch 1000, 1 per transaction", BATCHED, 1000, 1)


if __name__ == "__main__":
    main()
