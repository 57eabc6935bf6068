"""Upward sharing (R5): the exchange document of data values, its ``since`` and deletions rule,
CSV, the round trip through an import, bad documents and the API with bearer tokens."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from iocvn.app import MOUNTS
from iocvn.auth.deps import Principal
from iocvn.core.errors import Invalid
from iocvn.core.timeutil import utcnow
from iocvn.indicators import api_exchange, exchange, values
from iocvn.indicators.models import DataValue
from tests.factories.auth import bearer
from tests.factories.indicators import caller, count_values, current, item, seed

API = "/api/v1"
CODES = ["YT.KHAM", "KT.THU_NS", "GT.TAI_NAN"]


@pytest.fixture
def world(session: Session) -> Session:
    """Units and indicators, committed."""
    seed(session)
    return session


@pytest.fixture
def operator(world: Session) -> Principal:
    """A province operator (may approve every indicator)."""
    return caller(world, "operator", "20")


def post(session: Session, who: Principal, *rows: dict[str, Any]) -> None:
    """Post rows and commit."""
    values.post_values(session, who, list(rows), source="api")
    session.commit()


def fill(session: Session, who: Principal) -> None:
    """Approved values in and around 2026Q3, and one value waiting for approval."""
    post(
        session,
        who,
        item("YT.KHAM", "06187", "202608", 12, status="approved"),
        item("YT.KHAM", "05977", "202609", 30, status="approved", comment="Đã rà soát, đủ"),
        item("YT.KHAM", "05977", "202607", 10, status="approved"),
        item("YT.KHAM", "05977", "202606", 99, status="approved"),  # Q2
        item("YT.KHAM", "05977", "202610", 98, status="approved"),  # Q4
        item("YT.KHAM", "06187", "202607", 5, status="submitted"),  # not approved
        item("KT.THU_NS", "20", "202607", 1500.5, status="approved"),
        item("GT.TAI_NAN", "05977", "2026W27", 3, status="approved"),  # Thursday 02/07
        item("GT.TAI_NAN", "05977", "2026W40", 4, status="approved"),  # Thursday 01/10
        item("GD.HOC_SINH", "05977", "2026Q3", 700, status="approved"),  # not asked for
    )


def keys(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["indicator"], r["org_unit"], r["period"]) for r in rows]


def approved_now(session: Session) -> set[tuple[str, str, str, float, str]]:
    session.expire_all()
    stmt = select(DataValue).where(DataValue.is_current, DataValue.status == "approved")
    return {
        (v.indicator_code, v.org_code, v.period, v.value, v.comment)
        for v in session.execute(stmt).scalars()
    }


# --- export -----------------------------------------------------------------------------


def test_export_content_order_and_period_filter(world: Session, operator: Principal) -> None:
    fill(world, operator)
    doc = exchange.export_values(world, CODES, "2026Q3")
    assert doc["format"] == "iocvn.datavalues" and doc["version"] == 1
    assert doc["province"] == "20" and doc["period"] == "2026Q3" and doc["since"] is None
    assert doc["generated_at"].endswith("Z")
    assert doc["indicators"] == ["GT.TAI_NAN", "KT.THU_NS", "YT.KHAM"]
    assert keys(doc["values"]) == [
        ("GT.TAI_NAN", "05977", "2026W27"),
        ("KT.THU_NS", "20", "202607"),
        ("YT.KHAM", "05977", "202607"),
        ("YT.KHAM", "05977", "202609"),
        ("YT.KHAM", "06187", "202608"),
    ]
    first = doc["values"][3]
    assert first["value"] == 30 and first["comment"] == "Đã rà soát, đủ"
    assert first["version"] == 1 and first["approved_at"].endswith("Z")
    assert set(first) == {
        "indicator",
        "org_unit",
        "period",
        "value",
        "comment",
        "approved_at",
        "version",
    }
    assert doc["deletions"] == []
    one = exchange.export_values(world, ["YT.KHAM"], "202607", org_code="05977")
    assert keys(one["values"]) == [("YT.KHAM", "05977", "202607")]
    year = exchange.export_values(world, ["YT.KHAM"], "2026")
    assert len(year["values"]) == 5


def test_export_scope_of_a_commune_officer(world: Session, operator: Principal) -> None:
    fill(world, operator)
    officer = caller(world, "commune_officer", "06187")
    doc = exchange.export_values(world, CODES, "2026Q3", scope=officer.scope)
    assert keys(doc["values"]) == [("YT.KHAM", "06187", "202608")]


def test_export_refuses_unknown_indicators_and_periods(world: Session) -> None:
    with pytest.raises(Invalid) as caught:
        exchange.export_values(world, ["YT.KHAM", "NOPE"], "2026Q3")
    assert caught.value.code == "exchange_indicators"
    assert caught.value.details == {"unknown": ["NOPE"]}
    with pytest.raises(Invalid) as caught:
        exchange.export_values(world, [], "2026Q3")
    with pytest.raises(Invalid) as caught:
        exchange.export_values(world, ["YT.KHAM"], "2026Q5")
    assert caught.value.code == "invalid_period"


def test_since_and_deletions(world: Session, operator: Principal) -> None:
    fill(world, operator)
    since = utcnow()
    post(
        world,
        operator,
        # changed and approved: sent again
        item("YT.KHAM", "05977", "202607", 11, status="approved"),
        # changed, waiting for approval: no longer approved, so a deletion
        item("YT.KHAM", "06187", "202608", 13, status="submitted"),
        # a first approval after ``since``
        item("YT.KHAM", "06187", "202607", 5, status="approved"),
    )
    doc = exchange.export_values(world, ["YT.KHAM"], "2026Q3", since=since)
    assert doc["since"] is not None
    assert [(*k, v["value"]) for k, v in zip(keys(doc["values"]), doc["values"], strict=True)] == [
        ("YT.KHAM", "05977", "202607", 11),
        ("YT.KHAM", "06187", "202607", 5),
    ]
    assert doc["values"][0]["version"] == 2
    assert keys(doc["deletions"]) == [("YT.KHAM", "06187", "202608")]
    assert doc["deletions"][0]["removed_at"].endswith("Z")
    # A full export carries the deletion too; a later ``since`` carries nothing.
    full = exchange.export_values(world, ["YT.KHAM"], "2026Q3")
    assert keys(full["deletions"]) == [("YT.KHAM", "06187", "202608")]
    assert len(full["values"]) == 3
    later = exchange.export_values(world, ["YT.KHAM"], "2026Q3", since=utcnow())
    assert later["values"] == [] and later["deletions"] == []
    # Approving the new version ends the deletion.
    post(world, operator, item("YT.KHAM", "06187", "202608", 13, status="approved"))
    again = exchange.export_values(world, ["YT.KHAM"], "2026Q3", since=since)
    assert again["deletions"] == []
    assert ("YT.KHAM", "06187", "202608") in keys(again["values"])


def test_a_key_without_current_row_is_always_deleted(world: Session, operator: Principal) -> None:
    fill(world, operator)
    row = current(world, "YT.KHAM", "05977", "202609")
    assert row is not None
    row.is_current = False
    world.commit()
    doc = exchange.export_values(world, ["YT.KHAM"], "2026Q3", since=utcnow())
    assert doc["deletions"] == [
        {"indicator": "YT.KHAM", "org_unit": "05977", "period": "202609", "removed_at": None}
    ]


def test_csv(world: Session, operator: Principal) -> None:
    fill(world, operator)
    text = exchange.export_csv(exchange.export_values(world, ["YT.KHAM"], "2026Q3"))
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["indicator", "org_unit", "period", "value", "comment"]
    assert rows[1:] == [
        ["YT.KHAM", "05977", "202607", "10.0", ""],
        ["YT.KHAM", "05977", "202609", "30.0", "Đã rà soát, đủ"],
        ["YT.KHAM", "06187", "202608", "12.0", ""],
    ]


# --- import -----------------------------------------------------------------------------


def test_round_trip(world: Session, operator: Principal) -> None:
    fill(world, operator)
    post(world, operator, item("KT.THU_NS", "20", "202607", 0.1 + 0.2, status="approved"))
    doc = exchange.export_values(world, CODES, "2026Q3")
    wanted = {k for k in approved_now(world) if k[0] in CODES and k[2] not in ("202606", "202610")}
    wanted.discard(("GT.TAI_NAN", "05977", "2026W40", 4.0, ""))
    assert len(wanted) == len(doc["values"]) == 5
    world.execute(delete(DataValue))
    world.commit()
    report = exchange.import_document(world, operator, doc)
    world.commit()
    assert (report.created, report.updated, report.unchanged, report.deleted) == (5, 0, 0, 0)
    assert approved_now(world) == wanted
    back = exchange.export_values(world, CODES, "2026Q3")
    strip = {"approved_at", "version"}
    assert [{k: v for k, v in r.items() if k not in strip} for r in back["values"]] == [
        {k: v for k, v in r.items() if k not in strip} for r in doc["values"]
    ]
    # Applying the same document again changes nothing.
    again = exchange.import_document(world, operator, doc)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 5)


def test_import_applies_deletions_idempotently(world: Session, operator: Principal) -> None:
    fill(world, operator)
    since = utcnow()
    doc = {
        "format": "iocvn.datavalues",
        "version": 1,
        "values": [],
        "deletions": [
            {"indicator": "YT.KHAM", "org_unit": "05977", "period": "202609"},
            {"indicator": "YT.KHAM", "org_unit": "06187", "period": "202609"},  # absent
        ],
    }
    report = exchange.import_document(world, operator, doc)
    world.commit()
    assert (report.deleted, report.deletions_unchanged) == (1, 1)
    row = current(world, "YT.KHAM", "05977", "202609")
    assert row is not None and row.status == "rejected" and row.version == 2
    assert row.value == 30 and row.comment == exchange.WITHDRAWN
    assert len(values.history(world, "YT.KHAM", "05977", "202609")) == 2
    again = exchange.import_document(world, operator, doc)
    assert (again.deleted, again.deletions_unchanged) == (0, 2)
    out = exchange.export_values(world, ["YT.KHAM"], "2026Q3", since=since)
    assert keys(out["deletions"]) == [("YT.KHAM", "05977", "202609")]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"format": "dhis2"}, "format"),
        ({"version": 2}, "version"),
        ({"version": "1"}, "version"),
        ({"values": {"a": 1}}, "values"),
    ],
)
def test_bad_documents(
    world: Session, operator: Principal, change: dict[str, Any], field: str
) -> None:
    doc = {"format": "iocvn.datavalues", "version": 1, "values": [], "deletions": []} | change
    with pytest.raises(Invalid) as caught:
        exchange.import_document(world, operator, doc)
    assert caught.value.code == "invalid_exchange" and caught.value.status == 422
    assert [e["field"] for e in caught.value.details["errors"]] == [field]


def test_bad_rows_save_nothing(world: Session, operator: Principal) -> None:
    fill(world, operator)
    before = count_values(world)
    doc: dict[str, Any] = {
        "format": "iocvn.datavalues",
        "version": 1,
        "values": [
            item("YT.KHAM", "05977", "202611", 1),
            item("NOPE", "05977", "202611", 1),
        ],
        "deletions": [{"indicator": "YT.KHAM", "org_unit": "05977", "period": "202609"}],
    }
    with pytest.raises(Invalid) as caught:
        exchange.import_document(world, operator, doc)
    assert caught.value.code == "invalid_values"
    assert [(e["index"], e["field"], e["error"]) for e in caught.value.details["errors"]] == [
        (1, "indicator", "unknown_indicator")
    ]
    world.rollback()
    assert count_values(world) == before
    doc["values"] = doc["values"][:1]
    doc["deletions"] = [{"indicator": "YT.KHAM", "org_unit": "99999", "period": "202609"}]
    with pytest.raises(Invalid) as caught:
        exchange.import_document(world, operator, doc)
    assert caught.value.code == "invalid_exchange"
    assert [(e["field"], e["error"]) for e in caught.value.details["errors"]] == [
        ("deletions.org_unit", "unknown_org_unit")
    ]
    world.rollback()
    assert count_values(world) == before


def test_import_status_follows_the_caller(world: Session, operator: Principal) -> None:
    officer = caller(world, "commune_officer", "05977")
    doc = {
        "format": "iocvn.datavalues",
        "version": 1,
        "values": [item("YT.KHAM", "05977", "202607", 8)],
    }
    with pytest.raises(Invalid) as caught:
        exchange.import_document(world, officer, doc, status="approved")
    assert caught.value.details["errors"][0]["error"] == "approve_not_allowed"
    world.rollback()
    exchange.import_document(world, officer, doc, status="submitted")
    world.commit()
    row = current(world, "YT.KHAM", "05977", "202607")
    assert row is not None and row.status == "submitted" and row.source == "exchange"


# --- API --------------------------------------------------------------------------------


@pytest.fixture
def exchange_client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the app, serving the exchange routes even before ``MOUNTS`` lists them."""
    if not any(m.router is api_exchange.router for m in MOUNTS):
        app.include_router(api_exchange.router, prefix=API)
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def auth(session: Session, role: str, org: str) -> dict[str, str]:
    header = bearer(session, f"{role}.{org}".lower() + ".x", role, org)
    session.commit()
    return header


def test_api_pull_json_csv_and_scope(
    exchange_client: TestClient, world: Session, operator: Principal
) -> None:
    fill(world, operator)
    params = {"indicator": ["YT.KHAM", "KT.THU_NS"], "period": "2026Q3"}
    url = f"{API}/exchange/values"
    assert exchange_client.get(url, params=params).status_code == 401
    system = auth(world, "integration", "20")
    r = exchange_client.get(url, params=params, headers=system)
    assert r.status_code == 200, r.text
    assert r.json() == exchange.export_values(world, ["YT.KHAM", "KT.THU_NS"], "2026Q3") | {
        "generated_at": r.json()["generated_at"]
    }
    r = exchange_client.get(url, params=params | {"format": "csv"}, headers=system)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert r.text.splitlines()[0] == "indicator,org_unit,period,value,comment"
    assert len(r.text.splitlines()) == 5
    since = (utcnow() + timedelta(seconds=1)).isoformat()
    r = exchange_client.get(url, params=params | {"since": since}, headers=system)
    assert r.json()["values"] == []
    officer = auth(world, "commune_officer", "06187")
    r = exchange_client.get(url, params=params, headers=officer)
    assert keys(r.json()["values"]) == [("YT.KHAM", "06187", "202608")]
    r = exchange_client.get(url, params={"indicator": "NOPE", "period": "2026Q3"}, headers=system)
    assert r.status_code == 422 and r.json()["error"] == "exchange_indicators"


def test_api_push(exchange_client: TestClient, world: Session, operator: Principal) -> None:
    fill(world, operator)
    doc = exchange.export_values(world, ["YT.KHAM"], "2026Q3")
    world.execute(delete(DataValue))
    world.commit()
    url = f"{API}/exchange/values"
    officer = auth(world, "commune_officer", "05977")
    r = exchange_client.post(url, json=doc, headers=officer)
    assert r.status_code == 422 and r.json()["error"] == "invalid_values"
    assert {e["error"] for e in r.json()["details"]["errors"]} == {"out_of_scope"}
    assert count_values(world) == 0
    steward = auth(world, "operator", "20")
    r = exchange_client.post(url, json=doc, headers=steward)
    assert r.status_code == 200, r.text
    assert r.json() == {
        "created": 3,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "deletions_unchanged": 0,
    }
    assert len(approved_now(world)) == 3
    r = exchange_client.post(url, json=doc | {"format": "x"}, headers=steward)
    assert r.status_code == 422 and r.json()["error"] == "invalid_exchange"
    assert r.json()["details"]["errors"][0]["field"] == "format"
    mine = doc | {"values": [v for v in doc["values"] if v["org_unit"] == "05977"]}
    world.execute(delete(DataValue))
    world.commit()
    r = exchange_client.post(url, json=mine, headers=officer)
    assert r.status_code == 200, r.text
    row = current(world, "YT.KHAM", "05977", "202609")
    assert row is not None and row.status == "submitted"
