"""Analytics on a large table of values (issue #3, Performance): one indicator for the province
× year with its target and last year's value, the same with one row per commune, and a
dashboard of 60 cards — all computed on demand from ``data_values``.

Size: ``BENCH_ROWS`` values (default the demo size: 60 indicators × 65 communes × 36 months
≈ 140k). ``BENCH_ROWS=10000000`` uses 500 indicators × 130 units (the 65 real communes of
Lạng Sơn and 65 synthetic ones), ~154 months. Override with ``BENCH_INDICATORS`` and
``BENCH_UNITS``. Values are loaded with COPY on PostgreSQL (secondary indexes rebuilt after)
and executemany on SQLite; the load time is reported too.

Indicators mix the rules: flows (sum/sum), stocks (sum/average, sum/last), weighted
averages, ratio formulas and carried-forward averages, so the timings include formulas and
weights. Data end with last month; the finished year before is the one measured.
"""

from __future__ import annotations

import io
import math
import os
import random
import time
from datetime import UTC, date, datetime

from common import PG_ADMIN, fresh_database, measure, report
from sqlalchemy import Engine

ROWS = int(os.environ.get("BENCH_ROWS", str(60 * 65 * 36)))
BIG = ROWS > 1_000_000
INDICATORS = int(os.environ.get("BENCH_INDICATORS", "500" if BIG else "60"))
UNITS = int(os.environ.get("BENCH_UNITS", "130" if BIG else "65"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
STAMP = datetime(2026, 1, 1, tzinfo=UTC)
COLUMNS = (
    "indicator_code", "org_code", "period", "period_start", "period_end", "value", "comment",
    "status", "version", "is_current", "source", "created_by", "created_at", "submitted_at",
    "approved_by", "approved_at",
)  # fmt: skip
SECONDARY = ("uq_data_values_current", "ix_data_values_analytics", "ix_data_values_org_period")


def definitions() -> list[dict[str, object]]:
    """Synthetic indicators ``BENCH.I001``… cycling through ten aggregation set-ups."""
    out: list[dict[str, object]] = []
    for i in range(1, INDICATORS + 1):
        kind = i % 10
        row: dict[str, object] = {
            "code": f"BENCH.I{i:03d}", "name_vi": f"Chỉ số thử {i}", "name_en": f"Bench {i}",
            "unit": "đơn vị", "frequency": "monthly", "space_agg": "sum", "time_agg": "sum",
            "missing": "skip", "carry_forward_max": 0, "weight": None, "formula": None,
            "direction": "higher_better", "decimals": 1, "group": "sector", "sector": "bench",
            "value_type": "number", "source": "manual", "legal_basis": "", "description": "",
            "tags": [], "version": 1, "active": True,
        }  # fmt: skip
        if kind == 5:
            row["time_agg"] = "average"  # a stock averaged over the year
        elif kind == 6:
            row["time_agg"] = "last"
        elif kind == 7 and i > 6:
            row |= {"space_agg": "weighted_average", "time_agg": "last"}
            row["weight"] = f"BENCH.I{i - 1:03d}"
        elif kind == 8 and i > 2:
            row |= {"space_agg": "none", "time_agg": "last", "source": "computed"}
            row["formula"] = f"100 * BENCH.I{i - 2:03d} / BENCH.I{i - 1:03d}"
        elif kind == 9:
            row |= {"space_agg": "average", "time_agg": "average"}
            row |= {"missing": "carry_forward", "carry_forward_max": 2}
        out.append(row)
    return out


def months_back(last: date, count: int) -> list[tuple[str, date, date]]:
    """``count`` months ending with ``last``'s month: (code, first day, last day)."""
    from iocvn.core import periods

    end = periods.for_date(last, "monthly")
    return [(p.code, p.start, p.end) for p in (end.shift(-k) for k in range(count - 1, -1, -1))]


def load(url: str) -> dict[str, object]:
    """Units, indicators, targets and ``ROWS`` values; returns what was loaded and how fast."""
    from sqlalchemy import insert, select, text

    from iocvn.core import periods
    from iocvn.core.timeutil import to_local, utcnow
    from iocvn.db import engine_for, transaction
    from iocvn.indicators.models import Indicator, Target
    from iocvn.org.models import OrgUnit

    engine = engine_for(url)
    with transaction(engine) as s:
        communes = list(
            s.execute(select(OrgUnit.code).where(OrgUnit.level == "commune").order_by(OrgUnit.code))
            .scalars()
        )  # fmt: skip
        for n in range(max(0, UNITS - len(communes))):
            code = f"9{n:04d}"
            s.add(OrgUnit(code=code, name=f"Xã thử {n}", level="commune", parent_code="20",
                          province_code="20", valid_from=date(2025, 7, 1)))  # fmt: skip
            communes.append(code)
        communes = communes[:UNITS]
        defs = definitions()
        s.execute(insert(Indicator), defs)
    collected = [d for d in defs if d["formula"] is None]
    count = math.ceil(ROWS / (len(collected) * len(communes)))
    last_month = periods.for_date(to_local(utcnow()).date(), "monthly").previous()
    months = months_back(last_month.start, count)
    rnd = random.Random(20)
    started = time.perf_counter()
    if engine.dialect.name == "postgresql":
        rows = _copy(engine, collected, communes, months, rnd)
    else:
        rows = _executemany(engine, collected, communes, months, rnd)
    loaded = time.perf_counter() - started
    year = last_month.start.year - 1
    with transaction(engine) as s:
        s.execute(
            insert(Target),
            [{"indicator_code": d["code"], "org_code": "20", "year": y, "period": "",
              "value": 1000.0 * len(communes) * 12} for d in defs for y in (year, year + 1)],
        )  # fmt: skip
        if engine.dialect.name == "postgresql":
            s.execute(text("ANALYZE data_values"))
    return {"rows": rows, "load_s": round(loaded, 1), "year": year, "indicators": defs,
            "units": len(communes), "months": len(months)}  # fmt: skip


def _value(rnd: random.Random) -> float:
    return round(1000 * (0.5 + rnd.random()), 1)


Defs = list[dict[str, object]]
Months = list[tuple[str, date, date]]


def _executemany(
    engine: Engine, collected: Defs, communes: list[str], months: Months, rnd: random.Random
) -> int:
    """Plain executemany, one batch per indicator (SQLite)."""
    from sqlalchemy import insert

    from iocvn.indicators.models import DataValue

    total = 0
    with engine.begin() as conn:
        for d in collected:
            batch = [
                {"indicator_code": d["code"], "org_code": org, "period": code,
                 "period_start": start, "period_end": end, "value": _value(rnd), "comment": "",
                 "status": "approved", "version": 1, "is_current": True, "source": "bench",
                 "created_by": "bench", "created_at": STAMP, "submitted_at": STAMP,
                 "approved_by": "bench", "approved_at": STAMP}
                for org in communes for code, start, end in months
            ]  # fmt: skip
            conn.execute(insert(DataValue), batch)
            total += len(batch)
    return total


def _copy(
    engine: Engine, collected: Defs, communes: list[str], months: Months, rnd: random.Random
) -> int:
    """COPY in text format, one block per indicator; secondary indexes are rebuilt after."""
    raw = engine.raw_connection()
    total = 0
    ts = STAMP.isoformat()
    tail = f"\t\tapproved\t1\tt\tbench\tbench\t{ts}\t{ts}\tbench\t{ts}\n"
    try:
        cur = raw.cursor()
        ddl = {name: cur.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                                 (name,)).fetchone()[0] for name in SECONDARY}  # fmt: skip
        for name in SECONDARY:
            cur.execute(f"DROP INDEX {name}")
        with cur.copy(f"COPY data_values ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for d in collected:
                code = d["code"]
                buf = io.StringIO()
                for org in communes:
                    head = f"{code}\t{org}\t"
                    for period, start, end in months:
                        buf.write(f"{head}{period}\t{start}\t{end}\t{_value(rnd)}{tail}")
                copy.write(buf.getvalue())
                total += len(communes) * len(months)
        for sql in ddl.values():
            cur.execute(sql)
        raw.commit()
    finally:
        raw.close()
    return total


def main() -> None:
    with fresh_database() as url:
        from fastapi.testclient import TestClient
        from sqlalchemy.orm import Session

        from iocvn.app import create_app
        from iocvn.auth import credentials
        from iocvn.auth import service as users
        from iocvn.config import get_settings
        from iocvn.core.context import Actor
        from iocvn.db import engine_for, transaction
        from iocvn.indicators import analytics, api_analytics

        info = load(url)
        size = {"rows": info["rows"], "units": info["units"], "months": info["months"]}
        report("load data_values", {"median_ms": info["load_s"] * 1000, "n": 1}, **size)
        engine = engine_for(url)
        year = str(info["year"])
        defs: Defs = info["indicators"]  # type: ignore[assignment]
        codes = [str(d["code"]) for d in defs][:60]

        def one(code: str = "BENCH.I001", **kw: object) -> None:
            with Session(engine) as s:
                result = analytics.analyse(s, code, "20", year, **kw)  # type: ignore[arg-type]
                assert result.value is not None and result.previous_year_value is not None

        def cards() -> None:
            with Session(engine) as s:
                assert len(analytics.dashboard(s, "20", year, codes)) == len(codes)

        def current_year() -> None:
            with Session(engine) as s:
                analytics.analyse(s, "BENCH.I001", "20", str(int(year) + 1))

        n = max(5, REPEAT)
        report("analyse 1 indicator province × year", measure(one, n), **size)
        report("analyse ratio (formula) province × year",
               measure(lambda: one("BENCH.I008"), n), **size)  # fmt: skip
        report("analyse year in progress (cut, cùng kỳ)", measure(current_year, n), **size)
        report("analyse + breakdown=children", measure(lambda: one(breakdown="children"), n),
               **size)  # fmt: skip
        report("dashboard 60 cards province × year", measure(cards, max(5, n // 3)), **size)

        with transaction() as s:
            user = users.create_user(s, Actor("bench"), users.NewUser("bench", "leader", "20"))
            token, _ = credentials.create_token(s, Actor("bench"), user)
        app = create_app(get_settings())
        if not any(getattr(r, "path", "") == "/api/v1/analytics" for r in app.routes):
            app.include_router(api_analytics.router, prefix="/api/v1")
        client = TestClient(app)
        headers = {"Authorization": f"Bearer {token}"}
        url_one = f"/api/v1/analytics?indicator=BENCH.I001&org_unit=20&period={year}"

        def http() -> None:
            assert client.get(url_one, headers=headers).status_code == 200

        report("GET /api/v1/analytics (in process)", measure(http, n), **size)
        if PG_ADMIN:
            with Session(engine) as s:
                plan = (
                    s.connection()
                    .exec_driver_sql(
                        "EXPLAIN SELECT value FROM data_values WHERE indicator_code = 'BENCH.I001' "
                        "AND period_start BETWEEN '2025-01-01' AND '2025-12-31' "
                        "AND is_current AND status = 'approved'"
                    )
                    .scalar()
                )
            report("plan", {"median_ms": 0, "n": 0}, plan=str(plan))


if __name__ == "__main__":
    main()
