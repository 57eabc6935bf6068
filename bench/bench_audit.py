"""Audit log: cost of one append in its own transaction, and verify throughput."""

from __future__ import annotations

import time

from common import fresh_database, measure, report

ENTRIES = 20_000


def main() -> None:
    with fresh_database():
        from iocvn.audit import service as audit
        from iocvn.core.context import Actor
        from iocvn.db import transaction

        actor = Actor("bench", "20", "req", "127.0.0.1")

        def append() -> None:
            with transaction() as s:
                audit.record(
                    s,
                    actor,
                    "bench.append",
                    target_type="user",
                    target_id="x",
                    before={"trạng_thái": "active"},
                    after={"trạng_thái": "locked"},
                )

        report("audit append (own transaction)", measure(append, repeat=300))
        with transaction() as s:
            for i in range(ENTRIES):
                audit.record(s, actor, "bench.bulk", target_id=str(i), after={"i": i})
        times = []
        for _ in range(3):
            with transaction() as s:
                start = time.perf_counter()
                result = audit.verify(s)
                times.append(time.perf_counter() - start)
            assert result.ok
        best = sorted(times)[1]
        report(
            f"audit verify ({result.checked} entries)",
            {"median_ms": round(best * 1000, 1), "n": 3},
            entries_per_s=round(result.checked / best),
        )


if __name__ == "__main__":
    main()
