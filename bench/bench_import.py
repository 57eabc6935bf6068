"""CSV import of indicator values: check, bulk write and commit in one transaction
(issue #3: 1 million values in < 60 s). ``BENCH_IMPORT_ROWS`` sets the size (default ~100k)."""

from __future__ import annotations

import os
import time

from common import fresh_database, report


def main() -> None:
    rows_wanted = int(os.environ.get("BENCH_IMPORT_ROWS", "100000"))
    with fresh_database():
        from sqlalchemy import select

        from iocvn.core import periods
        from iocvn.core.context import Actor
        from iocvn.db import transaction
        from iocvn.indicators import catalogue, importer
        from iocvn.indicators.cli import principal_for
        from iocvn.indicators.schemas import IndicatorIn
        from iocvn.org.models import OrgUnit

        with transaction() as s:
            for i in range(20):
                catalogue.create_indicator(
                    s,
                    Actor("bench"),
                    IndicatorIn.model_validate(
                        {
                            "code": f"BENCH.I{i:02d}",
                            "name": {"vi": f"Chỉ số {i}"},
                            "unit": "x",
                            "frequency": "monthly",
                            "space_agg": "sum",
                            "time_agg": "sum",
                        }
                    ),
                )
            communes = list(
                s.execute(select(OrgUnit.code).where(OrgUnit.level == "commune")).scalars()
            )
        months_needed = max(1, rows_wanted // (20 * len(communes)))
        months = [periods.parse("202507").shift(k).code for k in range(months_needed)]
        lines = ["indicator,org_unit,period,value"]
        for i in range(20):
            for c in communes:
                for m in months:
                    lines.append(f"BENCH.I{i:02d},{c},{m},{(i * 31 + int(m)) % 1000}.5")
        data = ("\n".join(lines) + "\n").encode()
        rows = len(lines) - 1

        def run(name: str, payload: bytes) -> None:
            start = time.perf_counter()
            with transaction() as s:
                importer.import_values(s, principal_for(s, None), payload, "bench.csv")
            seconds = time.perf_counter() - start
            report(
                name,
                {"median_ms": round(seconds * 1000), "n": 1},
                rows=rows,
                rows_per_s=round(rows / seconds),
            )

        run(f"import CSV, {rows} new values", data)
        run(f"import CSV, {rows} values unchanged", data)
        run(f"import CSV, {rows} values changed", data.replace(b".5\n", b".75\n"))


if __name__ == "__main__":
    main()
