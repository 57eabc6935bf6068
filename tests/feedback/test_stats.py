"""Feedback statistics (issue #4): hand-computed figures for a small set of cases made through
the real services, every rate's numerator and denominator, scope, the three groupings, CSV,
a property test against a plain-Python oracle, and the daily feed of the ``PAKN.*``
indicators."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hyp_settings
from hypothesis import strategies as st
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from iocvn.audit.models import AuditEntry
from iocvn.auth.scope import OrgScope
from iocvn.cli import app as iocvn_cli
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.core.timeutil import local_midnight
from iocvn.feedback import stats, workflow
from iocvn.feedback.models import OPEN_STATUSES, OUTCOMES, STATUSES, Feedback
from iocvn.feedback.stats import COUNT_FIELDS, Row
from iocvn.indicators import analytics, catalogue, feeds
from iocvn.indicators import values as indicator_values
from iocvn.indicators.models import DataValue
from tests.factories.auth import bearer
from tests.factories.feedback import TAM_THANH, province, report

OCTOBER = (date(2026, 10, 1), date(2026, 11, 1))
NOW = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # "now" for overdue counts
PROVINCE = OrgScope("province", "20", "20")
OP = Actor("dieuhanh", "20")
LIGHTS = "Đèn đường cả dãy phố tắt từ tối qua, rất tối và nguy hiểm."
CLINIC = "Trạm y tế không có người trực vào buổi chiều thứ bảy."


def at(month: int, day: int, hour: int = 2, minute: int = 0) -> datetime:
    """A UTC instant of 2026 (09:00 local at hour 2)."""
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass
class World:
    """The cases by letter (see :func:`world`)."""

    cases: dict[str, Feedback]


@pytest.fixture
def world(session: Session) -> World:
    """Lạng Sơn and twelve cases, ten of them received in October 2026 (local days):

    ====  =========  ============  ================  ==========================================
    case  commune    unit          category          what happened
    ====  =========  ============  ================  ==========================================
    K     05977      05977         giao_thong        received 30/09 23:30 local: not October
    A     05977      05977         giao_thong        received 01/10 00:30 local; resolved on
                                                     time; reporter confirms fixed, rates 5
    B     05977      05977         giao_thong        resolved late; closed unanswered (fixed)
    C     05977      05977         giao_thong        resolved on time; reporter says not fixed
                                                     (rates 2): reopened, overdue since
    D     05986      05986         dien_chieu_sang   resolved on time, awaiting the reporter
    E     05986      05986         dien_chieu_sang   rejected
    F     05986      05986         dien_chieu_sang   not our remit
    G     05977      20.SYT        y_te              transferred to a body outside the system
    H     05977      05977         giao_thong        merged into C (duplicate)
    I     05977      05977         giao_thong        received 20/10, never accepted: overdue
    M     —          20.SXD        giao_thong        no commune (address not found); resolved
                                                     on time, awaiting the reporter
    J     05977      05977         giao_thong        received 02/11: not October
    ====  =========  ============  ================  ==========================================
    """
    province(session)
    settings = get_settings()
    made = {
        "K": report(session, now=at(9, 30, 16, 30)),
        "A": report(session, now=at(9, 30, 17, 30)),
        "B": report(session, now=at(10, 2)),
        "C": report(session, now=at(10, 5)),
        "D": report(session, LIGHTS, category="dien_chieu_sang", lat=TAM_THANH[0],
                    lon=TAM_THANH[1], now=at(10, 6)),
        "E": report(session, LIGHTS, category="dien_chieu_sang", lat=TAM_THANH[0],
                    lon=TAM_THANH[1], now=at(10, 7)),
        "F": report(session, LIGHTS, category="dien_chieu_sang", lat=TAM_THANH[0],
                    lon=TAM_THANH[1], now=at(10, 7, 4)),
        "G": report(session, CLINIC, category="y_te", now=at(10, 8)),
        "H": report(session, now=at(10, 8, 5)),
        "I": report(session, now=at(10, 20)),
        "M": report(session, address="Thôn Bản Xà, không rõ xã nào", lat=None, lon=None,
                    now=at(10, 6, 5), channel="hotline"),  # a call: staff may take no commune
        "J": report(session, now=at(11, 2)),
    }  # fmt: skip
    c = {k: v.case for k, v in made.items()}
    assert c["M"].area_code is None and c["G"].org_code == "20.SYT"

    def accept(case: Feedback, when: datetime, org: str | None = None) -> None:
        workflow.accept(session, settings, OP, case, org_code=org, now=when)

    def on_time(case: Feedback) -> datetime:
        assert case.deadline_at is not None
        when = case.deadline_at - timedelta(hours=1)
        workflow.resolve(session, settings, OP, PROVINCE, case, answer="Đã xử lý", now=when)
        return when

    accept(c["A"], at(10, 1))
    done = on_time(c["A"])
    workflow.confirm(session, settings, c["A"], secret=made["A"].secret, fixed=True, rating=5,
                     now=done + timedelta(hours=2))  # fmt: skip
    accept(c["B"], at(10, 2, 3))
    assert c["B"].deadline_at is not None
    late = c["B"].deadline_at + timedelta(days=1)
    workflow.resolve(session, settings, OP, PROVINCE, c["B"], answer="Đã vá", now=late)
    workflow.close(session, OP, c["B"], now=late + timedelta(hours=1))
    accept(c["C"], at(10, 5, 3))
    done = on_time(c["C"])
    workflow.confirm(session, settings, c["C"], secret=made["C"].secret, fixed=False, rating=2,
                     now=done + timedelta(hours=1))  # fmt: skip
    accept(c["D"], at(10, 6, 3))
    on_time(c["D"])
    workflow.reject(session, settings, OP, c["E"], reason="Không đủ thông tin", now=at(10, 7, 3))
    workflow.reject(session, settings, OP, c["F"], reason="Lưới điện do điện lực quản lý",
                    not_our_remit=True, remit_body="Công ty Điện lực Lạng Sơn",
                    now=at(10, 7, 5))  # fmt: skip
    workflow.transfer(session, settings, OP, PROVINCE, c["G"], outside_body="Bộ Y tế",
                      reason="Thuộc thẩm quyền của Bộ", now=at(10, 8, 3))  # fmt: skip
    workflow.merge(session, settings, OP, c["H"], c["C"], now=at(10, 8, 6))
    accept(c["M"], at(10, 6, 6), org="20.SXD")
    on_time(c["M"])
    for case in c.values():
        assert case.resolved_at is None or case.resolved_at < local_midnight(OCTOBER[1])
    session.commit()
    return World(c)


def counts(row: Row) -> dict[str, Any]:
    """The row's counts and derived figures, rates rounded to 2 decimals."""
    out: dict[str, Any] = {name: getattr(row, name) for name in COUNT_FIELDS}
    out["late"] = row.late
    for rate in (*stats.RATES, "satisfaction"):
        value = getattr(row, rate)
        out[rate] = None if value is None else round(value, 2)
    return out


def by_key(result: stats.Stats) -> dict[str | None, Row]:
    return {r.key: r for r in result.rows}


def october(session: Session, group: str, scope: OrgScope | None = PROVINCE) -> stats.Stats:
    return stats.statistics(session, group, *OCTOBER, scope, now=NOW)


# --- hand-computed figures ---------------------------------------------------------------


def test_province_total_and_every_rate(session: Session, world: World) -> None:
    total = october(session, "unit").total
    assert counts(total) == {
        "received": 10,  # A B C D E F G H I M (K is 30/09 local, J is November)
        "resolved": 4,  # A B D M — C was reopened, so it is not resolved any more
        "on_time": 3,  # A D M
        "resolved_late": 1,  # B
        "open": 2,  # C (reopened) and I (never accepted)
        "overdue": 2,  # both past their deadline on 30/11
        "late": 3,  # B + C + I
        "reopened": 1,  # C
        "ever_resolved": 5,  # A B D M + C
        "fixed_reported": 4,  # outcome fixed (B D M) or fixed_confirmed (A)
        "fixed_confirmed": 1,  # A
        "rejected": 1,  # E
        "not_our_remit": 1,  # F
        "transferred": 1,  # G
        "duplicates": 1,  # H
        "ratings": 2,  # A: 5, C: 2
        "satisfaction_sum": 7,
        "on_time_pct": 75.0,  # 3 / 4
        "reopen_rate": 20.0,  # 1 / 5
        "verified_fix_rate": 25.0,  # 1 / 4
        "satisfaction": 3.5,  # (5 + 2) / 2
    }
    # Every case received ends in exactly one of these: "closed" is never "fixed".
    parts = ("open", "resolved", "rejected", "not_our_remit", "transferred", "duplicates")
    assert sum(getattr(total, p) for p in parts) == total.received


def test_group_by_unit(session: Session, world: World) -> None:
    rows = by_key(october(session, "unit"))
    assert {k: r.received for k, r in rows.items()} == {
        "05977": 5, "05986": 3, "20.SYT": 1, "20.SXD": 1,
    }  # fmt: skip
    dong_kinh = counts(rows["05977"])  # A B C H I
    assert (dong_kinh["resolved"], dong_kinh["on_time"], dong_kinh["on_time_pct"]) == (2, 1, 50.0)
    assert (dong_kinh["late"], dong_kinh["overdue"], dong_kinh["open"]) == (3, 2, 2)
    assert (dong_kinh["reopened"], dong_kinh["ever_resolved"]) == (1, 3)
    assert dong_kinh["reopen_rate"] == 33.33
    assert (dong_kinh["fixed_confirmed"], dong_kinh["fixed_reported"]) == (1, 2)
    assert dong_kinh["verified_fix_rate"] == 50.0
    assert (dong_kinh["duplicates"], dong_kinh["ratings"], dong_kinh["satisfaction"]) == (1, 2, 3.5)
    tam_thanh = counts(rows["05986"])  # D E F
    assert (tam_thanh["resolved"], tam_thanh["on_time_pct"], tam_thanh["late"]) == (1, 100.0, 0)
    assert (tam_thanh["rejected"], tam_thanh["not_our_remit"]) == (1, 1)
    assert tam_thanh["reopen_rate"] == 0.0 and tam_thanh["verified_fix_rate"] == 0.0
    assert tam_thanh["satisfaction"] is None and tam_thanh["ratings"] == 0
    clinic = counts(rows["20.SYT"])  # G: transferred, nothing resolved → no rates
    assert clinic["transferred"] == 1
    assert clinic["on_time_pct"] is clinic["reopen_rate"] is clinic["verified_fix_rate"] is None
    assert rows["05977"].name == "Phường Đông Kinh"
    assert rows["20.SYT"].name == "Sở Y tế"


def test_group_by_commune_and_category(session: Session, world: World) -> None:
    communes = by_key(october(session, "commune"))
    assert {k: r.received for k, r in communes.items()} == {"05977": 6, "05986": 3, None: 1}
    assert communes[None].name == "Chưa xác định xã, phường"
    assert communes["05977"].transferred == 1  # G is in Đông Kinh, handled by the clinic's Sở
    assert communes[None].on_time_pct == 100.0  # M
    categories = by_key(october(session, "category"))
    assert {k: r.received for k, r in categories.items()} == {
        "giao_thong": 6, "dien_chieu_sang": 3, "y_te": 1,
    }  # fmt: skip
    assert categories["giao_thong"].resolved == 3  # A B M (top-level field of giao_thong.o_ga)
    assert categories["giao_thong"].name.startswith("Giao thông")
    english = stats.statistics(session, "category", *OCTOBER, PROVINCE, now=NOW, lang="en")
    assert by_key(english)["giao_thong"].name != categories["giao_thong"].name
    assert english.total.name == "Total"


def test_rows_come_most_received_first_and_sum_to_the_total(session: Session, world: World) -> None:
    for group in stats.GROUPS:
        result = october(session, group)
        received = [r.received for r in result.rows]
        assert received == sorted(received, reverse=True)
        for name in COUNT_FIELDS:
            assert sum(getattr(r, name) for r in result.rows) == getattr(result.total, name)


def test_local_days_bound_the_range(session: Session, world: World) -> None:
    # 30/09 local holds K only (A came 30 minutes after local midnight).
    sept = stats.statistics(session, "unit", date(2026, 9, 30), date(2026, 10, 1), PROVINCE)
    assert sept.total.received == 1
    first = stats.statistics(session, "unit", date(2026, 10, 1), date(2026, 10, 2), PROVINCE)
    assert first.total.received == 1 and first.total.fixed_confirmed == 1  # A
    whole = stats.statistics(session, "unit", date(2026, 9, 1), date(2026, 12, 1), PROVINCE)
    assert whole.total.received == 12


def test_overdue_depends_on_now(session: Session, world: World) -> None:
    before = stats.statistics(session, "unit", *OCTOBER, PROVINCE, now=at(10, 20, 3))
    assert before.total.overdue == 1  # C only: I was received minutes ago
    assert before.total.late == 2  # B resolved late + C


def test_a_commune_officer_sees_only_its_cases(session: Session, world: World) -> None:
    tam_thanh = october(session, "unit", OrgScope("commune", "05986", "20"))
    assert tam_thanh.total.received == 3 and set(by_key(tam_thanh)) == {"05986"}
    # Đông Kinh also sees the clinic's case located in it (the handling scope).
    dong_kinh = october(session, "unit", OrgScope("commune", "05977", "20"))
    assert {k: r.received for k, r in by_key(dong_kinh).items()} == {"05977": 5, "20.SYT": 1}
    clinic = october(session, "commune", OrgScope("agency", "20.SYT", "20"))
    assert clinic.total.received == 1 and clinic.total.transferred == 1


def test_unknown_group_and_bad_ranges_are_refused(session: Session) -> None:
    with pytest.raises(Invalid) as bad:
        stats.statistics(session, "district", *OCTOBER, None)
    assert bad.value.code == "invalid_stats_group" and bad.value.status == 422
    for start, end in ((date(2026, 10, 2), date(2026, 10, 1)), (date(2026, 10, 1),) * 2,
                       (date(2000, 1, 1), date(2026, 1, 1))):  # fmt: skip
        with pytest.raises(Invalid) as wrong:
            stats.statistics(session, "unit", start, end, None)
        assert wrong.value.code == "invalid_stats_range"


# --- API, CSV, page ----------------------------------------------------------------------


@pytest.fixture
def heads(session: Session, world: World) -> dict[str, dict[str, str]]:
    found = {
        "operator": bearer(session, "dieuhanh2", "operator", "20"),
        "leader": bearer(session, "lanhdao", "leader", "20"),
        "commune": bearer(session, "tamthanh", "commune_officer", "05986"),
        "viewer": bearer(session, "xem", "viewer", "20"),
    }
    session.commit()
    return found


URL = "/api/v1/feedback/stats"
OCT = {"from": "2026-10-01", "to": "2026-11-01"}


def test_api_json(client: TestClient, heads: dict[str, dict[str, str]]) -> None:
    got = client.get(URL, params=OCT | {"group": "commune"}, headers=heads["leader"])
    assert got.status_code == 200, got.text
    body = got.json()
    assert (body["group"], body["from"], body["to"]) == ("commune", "2026-10-01", "2026-11-01")
    total = body["total"]
    assert (total["received"], total["resolved"], total["on_time"]) == (10, 4, 3)
    assert (total["on_time_pct"], total["reopen_rate"], total["verified_fix_rate"]) == (
        75.0, 20.0, 25.0)  # fmt: skip
    assert total["late"] == total["resolved_late"] + total["overdue"]
    assert {r["key"]: r["received"] for r in body["rows"]} == {"05977": 6, "05986": 3, None: 1}
    mine = client.get(URL, params=OCT, headers=heads["commune"]).json()
    assert mine["total"]["received"] == 3


def test_api_refusals(client: TestClient, heads: dict[str, dict[str, str]]) -> None:
    assert client.get(URL, params=OCT, headers=heads["viewer"]).status_code == 403
    anonymous = client.get(URL, params=OCT)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthenticated"
    bad = client.get(URL, params=OCT | {"group": "district"}, headers=heads["operator"])
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_stats_group"
    backwards = client.get(URL, params={"from": "2026-11-01", "to": "2026-10-01"},
                           headers=heads["operator"])  # fmt: skip
    assert backwards.status_code == 422 and backwards.json()["error"] == "invalid_stats_range"
    assert client.get(URL, params={"from": "01/13/2026"},
                      headers=heads["operator"]).status_code == 422  # fmt: skip
    # /feedback/stats is not taken for a case code by /feedback/{key}
    assert client.get(URL, headers=heads["operator"]).json()["group"] == "unit"


def test_csv_export(client: TestClient, heads: dict[str, dict[str, str]]) -> None:
    got = client.get(URL, params=OCT | {"group": "unit", "format": "csv"},
                     headers=heads["operator"])  # fmt: skip
    assert got.status_code == 200, got.text
    assert got.headers["content-type"].startswith("text/csv")
    assert got.headers["content-disposition"].startswith("attachment;")
    assert ".csv" in got.headers["content-disposition"]
    assert got.content.startswith(b"\xef\xbb\xbf")  # BOM: Excel reads UTF-8
    rows = list(csv.reader(io.StringIO(got.content.decode("utf-8-sig"))))
    header, *groups, total = rows
    assert header[:5] == ["Mã", "Tên", "Tiếp nhận", "Đã xử lý", "Xử lý đúng hạn"]
    assert "Tỷ lệ đúng hạn (%)" in header and "Tỷ lệ được xác nhận (%)" in header
    assert len(groups) == 4 and all(len(r) == len(header) for r in rows)
    shaped = dict(zip(header, total, strict=True))
    assert (shaped["Tên"], shaped["Tiếp nhận"], shaped["Tỷ lệ đúng hạn (%)"]) == (
        "Tổng cộng", "10", "75.0")  # fmt: skip
    assert shaped["Tỷ lệ mở lại (%)"] == "20.0" and shaped["Mức hài lòng bình quân (1–5)"] == "3.5"
    clinic = next(r for r in groups if r[0] == "20.SYT")
    assert dict(zip(header, clinic, strict=True))["Tỷ lệ đúng hạn (%)"] == ""  # no denominator
    english = client.get(URL, params=OCT | {"format": "csv"},
                         headers=heads["operator"] | {"Accept-Language": "en"})  # fmt: skip
    assert english.content.decode("utf-8-sig").startswith("Code,Name,Received")


def test_page(client: TestClient, heads: dict[str, dict[str, str]]) -> None:
    page = client.get("/feedback/stats", params=OCT | {"group": "commune"},
                      headers=heads["operator"] | {"Accept": "text/html"})  # fmt: skip
    assert page.status_code == 200, page.text
    html = page.text
    assert "Thống kê phản ánh, kiến nghị" in html
    assert "Chưa xác định xã, phường" in html and "Tổng cộng" in html
    assert "75,0 %" in html and "3/4" in html  # on time: 3 of 4 resolved, Vietnamese format
    assert "20,0 %" in html and "1/5" in html  # reopened: 1 of 5 ever resolved
    assert "Tỷ lệ được xác nhận = số phản ánh người dân xác nhận đã khắc phục" in html
    assert "“Đã đóng” không có nghĩa là “đã khắc phục”" in html
    assert "/api/v1/feedback/stats?group=commune&amp;from=2026-10-01&amp;to=2026-11-01" in html
    assert 'href="/feedback/stats"' in html  # the navigation entry
    client.cookies.set("iocvn_lang", "en")  # pages follow the language switch's cookie
    english = client.get("/feedback/stats", params=OCT, headers=heads["operator"])
    client.cookies.clear()
    assert "Verified-fix rate" in english.text and "Commune" in english.text
    assert client.get("/feedback/stats", headers=heads["viewer"]).status_code == 403
    bad = client.get("/feedback/stats", params={"from": "hôm qua"}, headers=heads["operator"])
    assert bad.status_code == 422


# --- property: against a plain-Python oracle ---------------------------------------------

UNITS = ("05977", "05986", "20.SYT", None)
AREAS = ("05977", "05986", None)
CATEGORIES = ("giao_thong.o_ga", "giao_thong", "y_te", "dien_chieu_sang.den_duong", None)
SCOPES = (PROVINCE, OrgScope("commune", "05977", "20"), OrgScope("agency", "20.SYT", "20"))
START = local_midnight(OCTOBER[0])
maybe_time = st.none() | st.integers(-72, 24 * 45).map(lambda h: START + timedelta(hours=h))
case_rows = st.fixed_dictionaries(
    {
        "received_at": st.integers(-48, 24 * 33).map(lambda h: START + timedelta(hours=h)),
        "org_code": st.sampled_from(UNITS),
        "area_code": st.sampled_from(AREAS),
        "category_code": st.sampled_from(CATEGORIES),
        "status": st.sampled_from(STATUSES),
        "outcome": st.sampled_from((*OUTCOMES, None)),
        "resolved_at": maybe_time,
        "resolved_on_time": st.sampled_from((None, True, False)),
        "deadline_at": maybe_time,
        "reopen_count": st.integers(0, 2),
        "satisfaction": st.none() | st.integers(1, 5),
    }
)


def oracle(rows: list[dict[str, Any]], scope: OrgScope, key: str, now: datetime) -> dict:
    """The definitions, written again over plain dicts."""
    out: dict[Any, dict[str, int]] = {}
    end = local_midnight(OCTOBER[1])
    for r in rows:
        if not START <= r["received_at"] < end:
            continue
        if scope.level == "agency" and r["org_code"] != scope.org_code:
            continue
        if scope.level == "commune" and scope.org_code not in (r["org_code"], r["area_code"]):
            continue
        k = r[key]
        if key == "category_code" and k is not None:
            k = k.partition(".")[0]
        c = out.setdefault(k, dict.fromkeys(COUNT_FIELDS, 0))
        resolved = r["resolved_at"] is not None or r["outcome"] in ("fixed", "fixed_confirmed")
        is_open = r["status"] in OPEN_STATUSES
        c["received"] += 1
        c["resolved"] += resolved
        c["on_time"] += resolved and r["resolved_on_time"] is True
        c["resolved_late"] += resolved and r["resolved_on_time"] is False
        c["open"] += is_open
        c["overdue"] += is_open and r["deadline_at"] is not None and r["deadline_at"] < now
        c["reopened"] += r["reopen_count"] > 0
        c["ever_resolved"] += resolved or r["reopen_count"] > 0
        c["fixed_reported"] += r["outcome"] in ("fixed", "fixed_confirmed")
        c["fixed_confirmed"] += r["outcome"] == "fixed_confirmed"
        c["rejected"] += r["outcome"] == "rejected"
        c["not_our_remit"] += r["outcome"] == "not_our_remit"
        c["transferred"] += r["outcome"] == "transferred"
        c["duplicates"] += r["outcome"] == "duplicate"
        c["ratings"] += r["satisfaction"] is not None
        c["satisfaction_sum"] += r["satisfaction"] or 0
    return out


@pytest.fixture
def seeded(session: Session) -> Session:
    return province(session)


@hyp_settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(case_rows, max_size=30), scope=st.sampled_from(SCOPES))
def test_statistics_match_the_definitions(
    seeded: Session, rows: list[dict[str, Any]], scope: OrgScope
) -> None:
    session = seeded
    records = [r | {"code": f"PA-26-T{i:06d}", "secret_hash": "x", "channel": "web",
                    "description": "Kiểm thử thống kê"} for i, r in enumerate(rows)]  # fmt: skip
    if records:
        session.execute(insert(Feedback), records)
    try:
        for group, column in (("unit", "org_code"), ("commune", "area_code"),
                              ("category", "category_code")):  # fmt: skip
            result = stats.statistics(session, group, *OCTOBER, scope, now=NOW)
            expected = oracle(rows, scope, column, NOW)
            assert {r.key: {f: getattr(r, f) for f in COUNT_FIELDS} for r in result.rows} == (
                expected
            )
            for name in COUNT_FIELDS:  # the total is the sum of the groups
                assert getattr(result.total, name) == sum(getattr(r, name) for r in result.rows)
            for row in [*result.rows, result.total]:
                for rate in stats.RATES:
                    value = getattr(row, rate)
                    assert value is None or 0 <= value <= 100
                assert row.satisfaction is None or 1 <= row.satisfaction <= 5
                assert row.late == row.resolved_late + row.overdue
    finally:
        session.rollback()


# --- the daily feed of the indicators ----------------------------------------------------


@pytest.fixture
def feeding(world: World, session: Session) -> Iterator[World]:
    """The world with the indicator catalogue and the feed listening."""
    catalogue.seed_catalogue(session, Actor("test"))
    session.commit()
    feeds.subscribe()
    yield world
    feeds.unsubscribe()


def publish_october(session: Session) -> None:
    day = OCTOBER[0]
    while day < OCTOBER[1]:
        assert stats.publish_daily(session, day).delivered == 1
        day += timedelta(days=1)
    session.commit()


def value(session: Session, indicator: str, org: str, period: str = "202610") -> float | None:
    return analytics.analyse(session, indicator, org, period).value


def test_daily_counts_per_commune_and_the_province(session: Session, world: World) -> None:
    assert stats.daily_counts(session, date(2026, 10, 6)) == [
        {"org_unit": "05977", "received": 0, "resolved": 1, "on_time": 1},  # A resolved
        {"org_unit": "05986", "received": 1, "resolved": 0, "on_time": 0},  # D received
        {"org_unit": "20", "received": 2, "resolved": 1, "on_time": 1},  # and M (no commune)
    ]
    # 01/10 local: A received (30/09 17:30 UTC); K belongs to 30/09.
    first = stats.daily_counts(session, date(2026, 10, 1))
    assert first[0] == {"org_unit": "05977", "received": 1, "resolved": 0, "on_time": 0}
    resolved_days = {
        d: stats.daily_counts(session, d)[-1]["resolved"]
        for d in (date(2026, 10, 1) + timedelta(days=k) for k in range(31))
    }
    assert sum(resolved_days.values()) == 4  # A B D M (C's resolution was undone by the reopen)
    assert stats.daily_counts(session, date(2026, 12, 25)) == [
        {"org_unit": "20", "received": 0, "resolved": 0, "on_time": 0}
    ]


def test_publishing_feeds_the_on_time_rate(session: Session, feeding: World) -> None:
    publish_october(session)
    assert value(session, "PAKN.ONTIME_RATE", "20") == pytest.approx(75.0)  # A D M of A B D M
    assert value(session, "PAKN.RECEIVED", "20") == 10  # M counts in the province only
    assert value(session, "PAKN.RESOLVED", "20") == 4
    assert value(session, "PAKN.ONTIME_RATE", "05977") == pytest.approx(50.0)  # A of A B
    assert value(session, "PAKN.ONTIME_RATE", "05986") == pytest.approx(100.0)  # D
    assert value(session, "PAKN.RECEIVED", "05977") == 6
    stored = session.execute(
        select(DataValue).where(DataValue.indicator_code == "PAKN.RESOLVED", DataValue.value > 0)
    ).scalars().all()  # fmt: skip
    assert {(v.source, v.status, v.created_by) for v in stored} == {
        ("computed", "approved", "indicator-feeds")
    }
    audited = session.execute(
        select(AuditEntry.actor).where(AuditEntry.action == "data_values.post")
    ).scalars().all()  # fmt: skip
    assert audited and set(audited) == {"indicator-feeds"}


def test_running_a_day_again_replaces_its_values_and_keeps_history(
    session: Session, feeding: World
) -> None:
    day = date(2026, 10, 6)  # D received in Tam Thanh, M without a commune, A resolved
    stats.publish_daily(session, day)
    session.commit()
    rows = session.execute(select(func.count()).select_from(DataValue)).scalar_one()
    stats.publish_daily(session, day)  # the same counts: nothing written
    assert session.execute(select(func.count()).select_from(DataValue)).scalar_one() == rows
    # D is re-dated to the 7th (as if the day had been counted wrongly): the 6th loses it.
    feeding.cases["D"].received_at = at(10, 7)
    session.flush()
    stats.publish_daily(session, day)
    session.commit()
    history = indicator_values.history(session, "PAKN.RECEIVED", "05986", "20261006")
    assert [(v.value, v.is_current) for v in history] == [(1.0, False), (0.0, True)]
    province_now = indicator_values.history(session, "PAKN.RECEIVED", "20", "20261006")
    assert [(v.value, v.is_current) for v in province_now] == [(2.0, False), (1.0, True)]


def test_a_refused_batch_leaves_nothing_half_written(
    session: Session, feeding: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    day = date(2026, 10, 6)
    stats.publish_daily(session, day)
    session.commit()
    feeding.cases["D"].received_at = at(10, 7)
    session.flush()

    def broken(*_: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(indicator_values, "insert_rows", broken)
    assert stats.publish_daily(session, day).delivered == 0  # logged, not raised
    session.commit()
    current = session.execute(
        select(DataValue.org_code, DataValue.value).where(
            DataValue.indicator_code == "PAKN.RECEIVED", DataValue.is_current
        )
    ).all()
    assert sorted(current) == [("05977", 0.0), ("05986", 1.0), ("20", 2.0)]  # as before


def test_cli_publishes_yesterday_or_a_given_day(session: Session, feeding: World) -> None:
    feeds.unsubscribe()  # the command subscribes by itself at start-up
    result = CliRunner().invoke(iocvn_cli, ["feedback", "publish-stats", "--day", "2026-10-06"])
    assert result.exit_code == 0, result.output
    assert "06/10/2026" in result.output
    assert value(session, "PAKN.RECEIVED", "20", "20261006") == 2
    yesterday = CliRunner().invoke(iocvn_cli, ["feedback", "publish-stats"])
    assert yesterday.exit_code == 0, yesterday.output
    bad = CliRunner().invoke(iocvn_cli, ["feedback", "publish-stats", "--day", "hôm qua"])
    assert bad.exit_code == 1 and "invalid_stats_range" in bad.output


def test_cli_fails_when_the_indicators_refuse_the_counts(session: Session, world: World) -> None:
    # No indicator catalogue: the feed refuses the batch (unknown indicators) and logs why.
    result = CliRunner().invoke(iocvn_cli, ["feedback", "publish-stats", "--day", "2026-10-06"])
    assert result.exit_code == 1 and "stats_not_delivered" in result.output
    feeds.unsubscribe()
