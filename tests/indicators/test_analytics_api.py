"""Analytics on the database: the service (periods in progress, targets, breakdown, dashboard,
queries) and ``GET /api/v1/analytics`` (contract, scope, errors). Runs on SQLite and PostgreSQL.

The world: province 20 with communes 05977 and 06187 (created 01/07/2025, with back series)
and 05980, merged away on 01/07/2025. Retail sales (a flow, ``sum``/``sum``) per month:
05977 100 in 2025 and 110 in 2026, 06187 50 and 60, 05980 20 until June 2025; 2026 is
reported through October.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, event, update
from sqlalchemy.orm import Session

from iocvn.core.errors import Invalid, NotFound
from iocvn.indicators import analytics
from iocvn.indicators.analytics import values_query
from iocvn.indicators.models import DataValue
from tests.factories.auth import bearer
from tests.indicators.conftest import APPROVED_AT, Builder

LATE = datetime(2026, 11, 10, 9, 30, tzinfo=UTC)
TODAY = date(2026, 11, 22)


def _months(year: int, last: int) -> list[str]:
    return [f"{year}{m:02d}" for m in range(1, last + 1)]


@pytest.fixture
def world(build: Builder, session: Session) -> Builder:
    """Retail sales, public-service dossiers and a province-level growth rate."""
    build.unit("05980", valid_from=date(2000, 1, 1), valid_to=date(2025, 6, 30))
    build.indicator("TM.RETAIL", unit="tỷ đồng", decimals=1)
    build.indicator("DVC.ONTIME", unit="hồ sơ")
    build.indicator("DVC.TOTAL", unit="hồ sơ")
    build.indicator(
        "DVC.ONTIME_RATE", unit="%", space_agg="none", time_agg="last",
        formula="100 * DVC.ONTIME / DVC.TOTAL",
    )  # fmt: skip
    build.indicator(
        "KTXH.GRDP_GROWTH", unit="%", frequency="quarterly", space_agg="none", time_agg="last"
    )
    build.indicator("DS.POP", unit="người", frequency="yearly", time_agg="last")
    for month in _months(2025, 12):
        build.value("TM.RETAIL", "05977", month, 100)
        build.value("TM.RETAIL", "06187", month, 50)
    for month in _months(2025, 6):
        build.value("TM.RETAIL", "05980", month, 20)
    for month in _months(2026, 10):
        build.value("TM.RETAIL", "05977", month, 110)
        stamp = LATE if month == "202610" else APPROVED_AT
        build.value("TM.RETAIL", "06187", month, 60, approved_at=stamp)
    # Never counted: a value waiting for approval, and a corrected (no longer current) one.
    build.value("TM.RETAIL", "05977", "202611", 9999, status="submitted")
    build.value("TM.RETAIL", "05977", "202501", 1, current=False)
    build.target("TM.RETAIL", "20", 2026, 2190)
    build.target("TM.RETAIL", "05977", 2026, 1200)
    build.target("TM.RETAIL", "20", 2025, 2000)
    build.target("TM.RETAIL", "20", 2025, 500, period="2025Q1")
    build.series("DVC.ONTIME", "05977", {"202501": 90})
    build.series("DVC.ONTIME", "06187", {"202501": 10})
    build.series("DVC.TOTAL", "05977", {"202501": 100})
    build.series("DVC.TOTAL", "06187", {"202501": 50})
    build.series("KTXH.GRDP_GROWTH", "20", {"2025Q1": 7.1, "2025Q2": 7.45, "2024Q2": 6.9})
    session.commit()
    return build


# --- the service ---------------------------------------------------------------------------


def test_a_finished_year_with_its_target_and_the_merged_commune(world: Builder) -> None:
    result = analytics.analyse(world.session, "TM.RETAIL", "20", "2025", today=TODAY)
    # 12 × 100 + 12 × 50 + 6 × 20 (05980 until its merger on 01/07/2025).
    assert result.value == 1920
    assert result.through is None
    assert (result.target, result.expected, result.status) == (2000, 2000, "on_track")
    assert result.achieved_pct == pytest.approx(96)
    assert result.previous_year_value is None
    assert result.change_pct is None
    assert result.last_updated == APPROVED_AT
    assert (result.unit, result.decimals) == ("tỷ đồng", 1)


def test_a_year_in_progress_is_cut_where_data_ends(world: Builder) -> None:
    result = analytics.analyse(world.session, "TM.RETAIL", "20", "2026", today=TODAY)
    # October is the last month with data on 22/11/2026; the submitted November is ignored.
    assert result.through == date(2026, 10, 31)
    assert result.value == 1700  # 10 × (110 + 60)
    assert result.previous_year_value == 1620  # January–October 2025: 1000 + 500 + 6 × 20
    assert result.change_pct == pytest.approx(100 * 80 / 1620)
    # Cumulative: 304 of 365 days of the target 2190 are due (1824); 1700 is 124 short,
    # more than 5 % (91.2) and less than 10 % (182.4) of it.
    assert result.expected == pytest.approx(1824)
    assert result.status == "at_risk"
    assert result.achieved_pct == pytest.approx(100 * 1700 / 2190)
    assert result.last_updated == LATE


def test_last_updated_is_the_latest_approval_of_the_values_used(world: Builder) -> None:
    latest = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)
    world.session.execute(
        update(DataValue)
        .where(DataValue.org_code == "05980", DataValue.period == "202503")
        .values(approved_at=latest)
    )
    world.session.commit()
    session = world.session
    assert analytics.analyse(session, "TM.RETAIL", "20", "2025", today=TODAY).last_updated == latest
    # 2026 compares with that value (cùng kỳ) but is not computed from it.
    assert analytics.analyse(session, "TM.RETAIL", "20", "2026", today=TODAY).last_updated == LATE
    assert analytics.analyse(session, "TM.RETAIL", "05977", "2025", today=TODAY).last_updated == (
        APPROVED_AT
    )


def test_year_to_date_of_a_month(world: Builder) -> None:
    result = analytics.analyse(world.session, "TM.RETAIL", "20", "202603", ytd=True, today=TODAY)
    assert (result.period, result.through) == ("202603", date(2026, 3, 31))
    assert result.value == 510  # 3 × (110 + 60)
    assert result.previous_year_value == 510  # 3 × (100 + 50 + 20)
    assert result.change_pct == 0
    assert result.expected == pytest.approx(540)  # 2190 × 90 / 365
    assert result.status == "at_risk"


def test_a_periods_own_target_comes_before_the_years_share(world: Builder) -> None:
    q1 = analytics.analyse(world.session, "TM.RETAIL", "20", "2025Q1", today=TODAY)
    assert (q1.value, q1.target, q1.expected, q1.status) == (510, 500, 500, "met")
    q2 = analytics.analyse(world.session, "TM.RETAIL", "20", "2025Q2", today=TODAY)
    assert q2.target == 2000
    assert q2.expected == pytest.approx(2000 * 91 / 365)
    assert q2.status == "met"


def test_breakdown_gives_one_row_per_child_unit(world: Builder) -> None:
    result = analytics.analyse(
        world.session, "TM.RETAIL", "20", "2025", breakdown="children", today=TODAY
    )
    assert result.rows is not None
    rows = {r.org_unit: r.value for r in result.rows}
    assert rows == {"05977": 1200, "06187": 600, "05980": 120}  # no agency reports it
    assert sum(v for v in rows.values() if v is not None) == result.value
    current = analytics.analyse(
        world.session, "TM.RETAIL", "20", "2026", breakdown="children", today=TODAY
    )
    assert current.rows is not None
    by_code = {r.org_unit: r for r in current.rows}
    assert set(by_code) == {"05977", "06187"}  # 05980 had ended before 2026
    assert (by_code["05977"].value, by_code["05977"].previous_year_value) == (1100, 1000)
    assert by_code["05977"].change_pct == pytest.approx(10)
    assert by_code["05977"].status == "met"  # 1100 ≥ 1200 × 304 / 365
    assert by_code["06187"].target is None and by_code["06187"].status is None


def test_ratio_indicator_on_the_database(world: Builder) -> None:
    result = analytics.analyse(world.session, "DVC.ONTIME_RATE", "20", "2025Q1", today=TODAY)
    assert result.value == pytest.approx(100 * 100 / 150)  # not (90 + 20) / 2


def test_province_level_indicator_and_same_quarter_last_year(world: Builder) -> None:
    result = analytics.analyse(world.session, "KTXH.GRDP_GROWTH", "20", "2025Q2", today=TODAY)
    assert (result.value, result.previous_year_value) == (7.45, 6.9)
    assert result.change_pct == pytest.approx(100 * 0.55 / 6.9)


def test_trace_explains_the_value(world: Builder) -> None:
    result = analytics.analyse(world.session, "TM.RETAIL", "20", "2025", trace=True, today=TODAY)
    assert result.trace is not None
    assert result.trace["source"] == "children"
    parts = {p["org_unit"]: p for p in result.trace["parts"]}
    assert parts["05980"]["value"] == 120
    assert len(parts["05980"]["trace"]["values"]) == 6


def test_value_counts_as_soon_as_it_is_approved(world: Builder) -> None:
    before = analytics.analyse(world.session, "TM.RETAIL", "06187", "202611", today=TODAY)
    assert before.value is None
    world.value("TM.RETAIL", "06187", "202611", 70)
    world.session.commit()
    after = analytics.analyse(world.session, "TM.RETAIL", "06187", "202611", today=TODAY)
    assert after.value == 70


def test_bad_requests(world: Builder) -> None:
    with pytest.raises(NotFound) as unknown:
        analytics.analyse(world.session, "NO.SUCH", "20", "2025")
    assert unknown.value.code == "indicator_not_found"
    with pytest.raises(NotFound) as org:
        analytics.analyse(world.session, "TM.RETAIL", "99999", "2025")
    assert org.value.code == "org_unit_not_found"
    with pytest.raises(Invalid) as period:
        analytics.analyse(world.session, "TM.RETAIL", "20", "2025Q5")
    assert period.value.code == "invalid_period"
    with pytest.raises(Invalid) as fine:
        analytics.analyse(world.session, "DS.POP", "20", "202501")
    assert fine.value.code == "period_finer_than_frequency"


@contextmanager
def counted(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def test_dashboard_runs_the_same_queries_for_two_or_six_cards(world: Builder, db: Engine) -> None:
    session = world.session
    few = ["TM.RETAIL", "DS.POP"]
    many = [*few, "DVC.ONTIME", "DVC.TOTAL", "DVC.ONTIME_RATE", "KTXH.GRDP_GROWTH"]
    session.expire_all()
    with counted(db) as first:
        analytics.dashboard(session, "20", "2025Q1", few, today=TODAY)
    session.expire_all()
    with counted(db) as second:
        cards = analytics.dashboard(session, "20", "2025Q1", many, today=TODAY)
    assert len(second) == len(first) <= 8
    assert sum("data_values" in sql for sql in second) == 1
    by_code = {c.indicator: c for c in cards}
    assert [c.indicator for c in cards] == many
    assert by_code["TM.RETAIL"].value == 510
    assert by_code["DS.POP"].value is None
    assert by_code["DS.POP"].note == "period_finer_than_frequency"
    assert by_code["DVC.ONTIME_RATE"].value == pytest.approx(200 / 3)


def test_the_values_query_can_use_the_analytics_index(world: Builder, db: Engine) -> None:
    """The query repeats the partial index's predicate so the database may use it (on
    PostgreSQL the other indexes are dropped inside a rolled-back transaction to see it)."""
    stmt = values_query(
        ["TM.RETAIL"], ["20", "05977"], [(date(2026, 1, 1), date(2026, 12, 31), True)]
    )
    compiled = stmt.compile(dialect=db.dialect, compile_kwargs={"render_postcompile": True})
    with db.connect() as conn:
        if db.dialect.name == "sqlite":
            params = tuple(compiled.params[k] for k in compiled.positiontup or [])
            rows = conn.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), params).all()
            plan = " ".join(str(r[-1]) for r in rows)
        else:
            with conn.begin() as trans:
                conn.exec_driver_sql("DROP INDEX uq_data_values_current")
                conn.exec_driver_sql("DROP INDEX ix_data_values_org_period")
                conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                rows = conn.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).all()
                plan = " ".join(r[0] for r in rows)
                trans.rollback()
    assert "ix_data_values_analytics" in plan, plan


# --- the API -------------------------------------------------------------------------------


def _headers(session: Session, role: str = "leader", org: str = "20") -> dict[str, str]:
    name = f"{role}-{org}".replace("_", "-").replace(".", "-").lower()
    headers = bearer(session, name, role, org)
    session.commit()
    return headers


def test_api_contract(api: TestClient, world: Builder) -> None:
    headers = _headers(world.session)
    response = api.get(
        "/api/v1/analytics",
        params={"indicator": "TM.RETAIL", "org_unit": "20", "period": "2025"},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["value"] == 1920
    assert body["target"] == 2000
    assert body["status"] == "on_track"
    assert body["previous_year_value"] is None
    assert body["achieved_pct"] == pytest.approx(96)
    assert body["last_updated"].startswith("2026-01-05T08:00")
    assert (body["unit"], body["decimals"], body["period"]) == ("tỷ đồng", 1, "2025")
    assert "rows" not in body and "trace" not in body


def test_api_breakdown_and_trace(api: TestClient, world: Builder) -> None:
    headers = _headers(world.session)
    body = api.get(
        "/api/v1/analytics",
        params={
            "indicator": "TM.RETAIL", "org_unit": "20", "period": "2025Q1",
            "breakdown": "children", "trace": "true",
        },
        headers=headers,
    ).json()  # fmt: skip
    assert body["value"] == 510
    assert {r["org_unit"]: r["value"] for r in body["rows"]} == {
        "05977": 300, "06187": 150, "05980": 60,
    }  # fmt: skip
    assert body["rows"][0]["org_name"]
    assert body["trace"]["space_agg"] == "sum"
    assert {p["org_unit"] for p in body["trace"]["parts"]} == {"05977", "06187", "05980"}


def test_api_year_to_date(api: TestClient, world: Builder) -> None:
    body = api.get(
        "/api/v1/analytics",
        params={"indicator": "TM.RETAIL", "org_unit": "20", "period": "202502", "ytd": "true"},
        headers=_headers(world.session),
    ).json()
    assert (body["value"], body["through"]) == (340, "2025-02-28")


def test_commune_officer_sees_its_own_row_and_not_other_communes(
    api: TestClient, world: Builder
) -> None:
    headers = _headers(world.session, "commune_officer", "05977")
    params = {"indicator": "TM.RETAIL", "org_unit": "20", "period": "2025"}
    province = api.get(
        "/api/v1/analytics", params=params | {"breakdown": "children"}, headers=headers
    )
    assert province.status_code == 200
    assert province.json()["value"] == 1920  # the province's published total
    assert [r["org_unit"] for r in province.json()["rows"]] == ["05977"]
    own = api.get("/api/v1/analytics", params=params | {"org_unit": "05977"}, headers=headers)
    assert own.json()["value"] == 1200
    other = api.get("/api/v1/analytics", params=params | {"org_unit": "06187"}, headers=headers)
    assert other.status_code == 404
    assert other.json()["error"] == "org_unit_not_found"


def test_agency_officer_sees_every_commune(api: TestClient, world: Builder) -> None:
    headers = _headers(world.session, "agency_officer", "20.SYT")
    body = api.get(
        "/api/v1/analytics",
        params={"indicator": "TM.RETAIL", "org_unit": "20", "period": "2025",
                "breakdown": "children"},
        headers=headers,
    ).json()  # fmt: skip
    assert len(body["rows"]) == 3


@pytest.mark.parametrize(
    ("params", "status", "error"),
    [
        ({"indicator": "NO.SUCH", "org_unit": "20", "period": "2025"}, 404,
         "indicator_not_found"),
        ({"indicator": "TM.RETAIL", "org_unit": "99999", "period": "2025"}, 404,
         "org_unit_not_found"),
        ({"indicator": "TM.RETAIL", "org_unit": "20", "period": "2025Q5"}, 422,
         "invalid_period"),
        ({"indicator": "DS.POP", "org_unit": "20", "period": "202501"}, 422,
         "period_finer_than_frequency"),
    ],
)  # fmt: skip
def test_api_errors(
    api: TestClient, world: Builder, params: dict[str, str], status: int, error: str
) -> None:
    headers = _headers(world.session)
    vi = api.get("/api/v1/analytics", params=params, headers=headers)
    assert vi.status_code == status, vi.text
    assert vi.json()["error"] == error
    en = api.get("/api/v1/analytics", params=params, headers=headers | {"Accept-Language": "en"})
    assert en.json()["message"] != vi.json()["message"]
    assert not en.json()["message"].startswith("error.")


def test_api_rejects_unknown_breakdown_and_anonymous(api: TestClient, world: Builder) -> None:
    params = {"indicator": "TM.RETAIL", "org_unit": "20", "period": "2025"}
    assert api.get("/api/v1/analytics", params=params).status_code == 401
    wrong = api.get(
        "/api/v1/analytics",
        params=params | {"breakdown": "parents"},
        headers=_headers(world.session),
    )
    assert wrong.status_code == 422


def test_api_dashboard(api: TestClient, world: Builder) -> None:
    response = api.get(
        "/api/v1/analytics/dashboard",
        params=[("org_unit", "20"), ("period", "2025Q1"), ("indicator", "TM.RETAIL"),
                ("indicator", "DS.POP"), ("indicator", "DVC.ONTIME_RATE")],
        headers=_headers(world.session),
    )  # fmt: skip
    assert response.status_code == 200, response.text
    cards = response.json()
    assert [c["indicator"] for c in cards] == ["TM.RETAIL", "DS.POP", "DVC.ONTIME_RATE"]
    assert (cards[0]["value"], cards[0]["target"], cards[0]["status"]) == (510, 500, "met")
    assert cards[1]["note"] == "period_finer_than_frequency"


# --- groups of units ------------------------------------------------------------------------


def test_a_group_of_units_is_aggregated_like_a_parent(world: Builder) -> None:
    group = analytics.analyse(
        world.session, "TM.RETAIL", "05977,06187", "2025", breakdown="children", today=TODAY
    )
    assert group.value == 1800  # 12 × 100 + 12 × 50; 05980 is not a member
    assert group.org_unit == "05977,06187"
    assert group.org_name.startswith("Nhóm 2 đơn vị")
    assert group.target is None  # a group has no plan of its own
    assert group.rows is not None
    assert {r.org_unit: r.value for r in group.rows} == {"05977": 1200, "06187": 600}
    # A ratio over a group is the ratio of the group's sums, not an average of ratios.
    ratio = analytics.analyse(world.session, "DVC.ONTIME_RATE", "05977,06187", "2025Q1")
    assert ratio.value == pytest.approx(100 * 100 / 150)
    # The merged commune's history counts for the months it existed.
    with_merged = analytics.analyse(world.session, "TM.RETAIL", "05977, 05980", "2025")
    assert with_merged.value == 1200 + 6 * 20


@pytest.mark.parametrize(
    ("org_unit", "error"),
    [
        ("05977,05977", "invalid_group"),
        ("20,05977", "invalid_group"),  # 05977 lies inside 20: counted twice
        ("05977,99999", "org_unit_not_found"),
        ("05977,", "org_unit_not_found"),
    ],
)
def test_bad_groups(world: Builder, org_unit: str, error: str) -> None:
    with pytest.raises((Invalid, NotFound)) as raised:
        analytics.analyse(world.session, "TM.RETAIL", org_unit, "2025")
    assert raised.value.code == error


def test_api_group_and_scope(api: TestClient, world: Builder) -> None:
    params = {"indicator": "TM.RETAIL", "org_unit": "05977,06187", "period": "2025"}
    leader = _headers(world.session)
    body = api.get("/api/v1/analytics", params=params, headers=leader).json()
    assert body["value"] == 1800
    # A commune officer may not ask for a group holding another commune.
    commune = _headers(world.session, "commune_officer", "05977")
    refused = api.get("/api/v1/analytics", params=params, headers=commune)
    assert refused.status_code == 404
    assert refused.json()["error"] == "org_unit_not_found"
    bad = api.get(
        "/api/v1/analytics",
        params=params | {"org_unit": "05977,05977"},
        headers=leader,
    )
    assert bad.status_code == 422
    assert bad.json()["error"] == "invalid_group"
