"""Citizen feedback with 100 000 cases (issue #4, Performance: "the triage inbox and statistics
with 100,000 cases in < 300 ms"): the statistics per unit, category and commune, and the
first page of the staff list (``cases.list_cases``), on SQLite and (``BENCH_PG``) PostgreSQL.

Cases are bulk-inserted rows, not made through intake: one year of reports spread over the
real communes of Lạng Sơn and the default categories, with a realistic mix of states (most
resolved or closed, some open and overdue, rejected, transferred, merged, reopened, rated).
``BENCH_CASES`` sets the size, ``BENCH_REPEAT`` the number of timed calls.
"""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, date, datetime, timedelta
from typing import Any

from common import PG_ADMIN, fresh_database, measure, report

CASES = int(os.environ.get("BENCH_CASES", "100000"))
REPEAT = int(os.environ.get("BENCH_REPEAT", "30"))
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)
FIRST = NOW - timedelta(days=365)
AGENCIES = ("20.SXD", "20.SYT", "20.SGDDT", "20.STNMT", "20.SCT")
# every column a row sets (the same keys in every row: one executemany, no ORM work)
BLANK: dict[str, Any] = dict.fromkeys(
    ("resolved_at", "resolved_on_time", "satisfaction", "fixed_confirmed", "closed_at", "lat",
     "lon")
) | {"channel": "web", "address": "", "located_by": "point", "escalation": "unit",
     "priority": "normal", "outcome_reason": "", "remit_body": "", "public_answer": "",
     "anonymous": False, "source_key": "", "updated_at": NOW}  # fmt: skip
# state → (weight, status, outcome)
STATES = {
    "received": (3, "received", None),
    "assigned": (3, "assigned", None),
    "in_progress": (4, "in_progress", None),
    "resolved": (8, "resolved", "fixed"),
    "closed_fixed": (40, "closed", "fixed"),
    "confirmed": (25, "closed", "fixed_confirmed"),
    "rejected": (6, "rejected", "rejected"),
    "not_our_remit": (4, "rejected", "not_our_remit"),
    "transferred": (2, "closed", "transferred"),
    "duplicate": (5, "closed", "duplicate"),
}


def case_rows(communes: list[str], agencies: list[str], categories: list[str]) -> list[dict]:
    """``CASES`` rows of ``feedback`` with consistent fields for their state."""
    rnd = random.Random(4)
    places = random.Random(5)  # four in five reports have a point (Lạng Sơn's box)
    names = list(STATES)
    weights = [STATES[n][0] for n in names]
    rows: list[dict[str, Any]] = []
    for i in range(CASES):
        received = FIRST + timedelta(seconds=rnd.randrange(365 * 86400))
        state = rnd.choices(names, weights)[0]
        _, status, outcome = STATES[state]
        area = rnd.choice(communes) if rnd.random() < 0.97 else None
        org = rnd.choice(agencies) if rnd.random() < 0.3 or area is None else area
        deadline = received + timedelta(days=rnd.randint(1, 10))
        row: dict[str, Any] = BLANK | {
            "id": f"{i:026d}", "code": f"PA-26-B{i:06d}", "secret_hash": "0" * 64,
            "description": "Phản ánh thử cho đo hiệu năng", "category_code": rnd.choice(categories),
            "category_confirmed": state != "received", "area_code": area, "org_code": org,
            "status": status, "outcome": outcome, "received_at": received,
            "stage": "accept" if state == "received" else "resolve",
            "stage_started_at": received, "deadline_at": None, "reopen_count": 0,
        }  # fmt: skip
        if places.random() < 0.8:
            row["lat"] = places.uniform(21.3, 22.5)
            row["lon"] = places.uniform(106.0, 107.4)
        if status in ("received", "assigned", "in_progress"):
            row["deadline_at"] = deadline
            row["reopen_count"] = 1 if rnd.random() < 0.1 else 0
        if outcome in ("fixed", "fixed_confirmed"):
            resolved = received + timedelta(hours=rnd.randint(2, 300))
            row |= {"resolved_at": resolved, "resolved_on_time": resolved <= deadline,
                    "reopen_count": 1 if rnd.random() < 0.05 else 0}  # fmt: skip
            if outcome == "fixed_confirmed" or rnd.random() < 0.2:
                row["satisfaction"] = rnd.randint(1, 5)
                row["fixed_confirmed"] = outcome == "fixed_confirmed"
            if status == "closed":
                row["closed_at"] = resolved + timedelta(days=7)
        elif status in ("closed", "rejected"):
            row["closed_at"] = received + timedelta(hours=rnd.randint(1, 48))
        rows.append(row)
    return rows


def load(url: str) -> dict[str, Any]:
    """The default categories and ``CASES`` cases; returns what was loaded and how fast."""
    from sqlalchemy import insert, select, text

    from iocvn.core.context import Actor
    from iocvn.db import engine_for, transaction
    from iocvn.feedback import catalogue
    from iocvn.feedback.models import Feedback, FeedbackCategory
    from iocvn.org.models import OrgUnit

    engine = engine_for(url)
    with transaction(engine) as s:
        catalogue.seed_categories(s, Actor("bench"))
        communes = list(s.execute(select(OrgUnit.code).where(OrgUnit.level == "commune")).scalars())
        known = set(s.execute(select(OrgUnit.code).where(OrgUnit.level == "agency")).scalars())
        categories = list(s.execute(select(FeedbackCategory.code)).scalars())
    agencies = [a for a in AGENCIES if a in known] or sorted(known)[:5]
    rows = case_rows(communes, agencies, categories)
    table = Feedback.__table__
    started = time.perf_counter()
    with engine.begin() as conn:
        for part in range(0, len(rows), 5000):
            conn.execute(insert(table), rows[part : part + 5000])
    loaded = time.perf_counter() - started
    with engine.begin() as conn:
        conn.execute(text("ANALYZE feedback" if engine.dialect.name == "postgresql" else "ANALYZE"))
    return {"cases": len(rows), "load_s": round(loaded, 1), "communes": len(communes)}


def main() -> None:
    with fresh_database() as url:
        from sqlalchemy.orm import Session

        from iocvn.auth.scope import OrgScope
        from iocvn.db import engine_for
        from iocvn.feedback import cases, pages, stats
        from iocvn.feedback.models import Feedback

        info = load(url)
        size = {"cases": info["cases"]}
        report("feedback: bulk insert of cases", {"median_ms": info["load_s"] * 1000, "n": 1},
               **size)  # fmt: skip
        engine = engine_for(url)
        province = OrgScope("province", "20", "20")
        commune = OrgScope("commune", "05977", "20")
        year = (FIRST.date(), NOW.date() + timedelta(days=1))
        month = (date(2026, 10, 1), date(2026, 11, 1))

        def statistics(group: str, span: tuple[date, date], scope: OrgScope) -> None:
            with Session(engine) as s:
                got = stats.statistics(s, group, *span, scope, now=NOW)
                assert got.total.received > 0

        def inbox(filters: cases.Filters, scope: OrgScope) -> None:
            with Session(engine) as s:
                rows, total = cases.list_cases(s, filters, scope, limit=50)
                assert rows and total >= len(rows)

        for group in stats.GROUPS:
            timed = measure(lambda g=group: statistics(g, year, province), REPEAT)
            report(f"feedback stats group={group}, a year (all cases)", timed, **size)
        report("feedback stats group=unit, one month",
               measure(lambda: statistics("unit", month, province), REPEAT), **size)  # fmt: skip
        report("feedback stats group=commune, a year, commune scope",
               measure(lambda: statistics("commune", year, commune), REPEAT), **size)  # fmt: skip
        report("feedback list_cases page 1, default filters",
               measure(lambda: inbox(cases.Filters(), province), REPEAT), **size)  # fmt: skip
        report("feedback list_cases page 1, status=received (IOC inbox)",
               measure(lambda: inbox(cases.Filters(status="received"), province), REPEAT),
               **size)  # fmt: skip
        report("feedback list_cases page 1, open, commune scope",
               measure(lambda: inbox(cases.Filters(status="open"), commune), REPEAT),
               **size)  # fmt: skip

        def view(name: str) -> None:
            with Session(engine) as s:
                if name == "duplicates":
                    new = cases.case_query(cases.Filters(status="received"), province)
                    assert pages.with_duplicates(s, new.where(Feedback.duplicate_of.is_(None)))
                else:
                    open_ = cases.case_query(cases.Filters(status="open"), province)
                    nearest = open_.where(Feedback.deadline_at >= NOW).order_by(None)
                    pages.due_soon(s, nearest.order_by(Feedback.deadline_at, Feedback.id), NOW)

        report("feedback inbox view=duplicates (200 newest new cases, a suggestion each)",
               measure(lambda: view("duplicates"), REPEAT), **size)  # fmt: skip
        report("feedback inbox view=due_soon (SLA rule over the nearest deadlines)",
               measure(lambda: view("due_soon"), REPEAT), **size)  # fmt: skip
        report("feedback daily_counts one day",
               measure(lambda: _daily(engine, stats), REPEAT), **size)  # fmt: skip
        if PG_ADMIN:
            _plans(engine, cases, province)


def _daily(engine: Any, stats: Any) -> None:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        stats.daily_counts(s, date(2026, 10, 15))


def _plans(engine: Any, cases: Any, scope: Any) -> None:
    """EXPLAIN ANALYZE of the staff list's first page, first lines (PostgreSQL)."""
    from sqlalchemy.dialects import postgresql
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        query = cases.case_query(cases.Filters(), scope).limit(50)
        sql = str(query.compile(dialect=postgresql.dialect(),
                                compile_kwargs={"literal_binds": True}))  # fmt: skip
        plan = s.connection().exec_driver_sql("EXPLAIN ANALYZE " + sql).scalars().all()
        report("plan list_cases page", {"median_ms": 0, "n": 0}, plan=" | ".join(plan[:6]))


if __name__ == "__main__":
    main()
