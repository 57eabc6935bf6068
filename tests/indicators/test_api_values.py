"""The data supply API (/api/v1): the Interfaces contract of ``POST /data-values`` and
``POST /targets``, row errors, permissions and scope, the workflow, period locks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.app import MOUNTS
from iocvn.indicators import api_values
from tests.factories.auth import bearer
from tests.factories.indicators import count_targets, count_values, current, item, seed

API = "/api/v1"


@pytest.fixture
def values_client(app: FastAPI) -> Iterator[TestClient]:
    """A client of the app, serving the data supply routes even before ``MOUNTS`` lists them."""
    if not any(m.router is api_values.router for m in MOUNTS):
        app.include_router(api_values.router, prefix=API)
    with TestClient(app, base_url="http://testserver") as c:
        yield c


@pytest.fixture
def world(session: Session) -> Session:
    """Units and indicators, committed."""
    seed(session)
    return session


def auth(session: Session, role: str, org: str, username: str | None = None) -> dict[str, str]:
    """The Authorization header of a new account, committed so the app sees it."""
    header = bearer(session, username or f"{role}.{org}".lower(), role, org)
    session.commit()
    return header


def failure(response: Any) -> tuple[int, str]:
    return response.status_code, response.json()["error"]


def row_errors(response: Any) -> list[tuple[int, str, str]]:
    assert response.status_code == 422, response.text
    assert response.json()["error"] == "invalid_values"
    return [(e["index"], e["field"], e["error"]) for e in response.json()["details"]["errors"]]


# --- POST /data-values ------------------------------------------------------------------


def test_post_values_contract_and_idempotency(values_client: TestClient, world: Session) -> None:
    headers = auth(world, "integration", "20")
    body = {
        "values": [
            {"indicator": "YT.KHAM", "org_unit": "05977", "period": "202607", "value": 1250},
            {
                "indicator": "KT.THU_NS",
                "org_unit": "20",
                "period": "202607",
                "value": 35120.5,
                "comment": "Kho bạc",
            },
        ]
    }
    first = values_client.post(f"{API}/data-values", json=body, headers=headers)
    assert first.status_code == 200, first.text
    assert first.json() == {
        "created": 2,
        "updated": 0,
        "unchanged": 0,
        "errors": [],
        "warnings": [],
    }
    again = values_client.post(f"{API}/data-values", json=body, headers=headers)
    assert again.json() == {
        "created": 0,
        "updated": 0,
        "unchanged": 2,
        "errors": [],
        "warnings": [],
    }
    body["values"][0]["value"] = 1300
    third = values_client.post(f"{API}/data-values", json=body, headers=headers)
    assert third.json() == {
        "created": 0,
        "updated": 1,
        "unchanged": 1,
        "errors": [],
        "warnings": [],
    }
    row = current(world, "KT.THU_NS", "20", "202607")
    assert row is not None and (row.value, row.comment, row.source) == (35120.5, "Kho bạc", "api")


def test_row_errors_are_422_and_nothing_is_saved(values_client: TestClient, world: Session) -> None:
    headers = auth(world, "operator", "20") | {"Accept-Language": "en"}
    values = [
        item("YT.KHAM", "05977", "202607", 1),
        item("YT.KHAM", "05977", "2026Q3", 1),
        item("YT.KHAM", "05977", "202608", "nhiều"),
        item("DVC.RATE", "05977", "202607", 90),
        item("YT.KHAM", "05977", "202609", True),
        {"indicator": "YT.KHAM", "org_unit": "05977", "period": "202610"},
    ]
    response = values_client.post(f"{API}/data-values", json={"values": values}, headers=headers)
    assert row_errors(response) == [
        (1, "period", "period_type_mismatch"),
        (2, "value", "not_a_number"),
        (3, "indicator", "computed_indicator"),
        (4, "value", "not_a_number"),
        (5, "value", "required"),
    ]
    assert response.json()["message"] == "5 rows are not valid; nothing was saved."
    first = response.json()["details"]["errors"][0]
    assert set(first) == {"index", "field", "error", "message"}
    assert "frequency" in first["message"]
    assert count_values(world) == 0


def test_partial_mode_over_http(values_client: TestClient, world: Session) -> None:
    headers = auth(world, "operator", "20")
    values = [item("YT.KHAM", "05977", "202607", 1), item("YT.KHAM", "05977", "202607", 2)]
    response = values_client.post(
        f"{API}/data-values?mode=partial", json={"values": values}, headers=headers
    )
    assert response.status_code == 200
    assert response.json()["created"] == 1
    assert [e["error"] for e in response.json()["errors"]] == ["duplicate_row"]


def test_commune_officer_cannot_post_for_another_commune(
    values_client: TestClient, world: Session
) -> None:
    headers = auth(world, "commune_officer", "05977")
    values = [item("YT.KHAM", "05977", "202607", 1), item("YT.KHAM", "06187", "202607", 1)]
    response = values_client.post(f"{API}/data-values", json={"values": values}, headers=headers)
    assert row_errors(response) == [(1, "org_unit", "out_of_scope")]
    assert count_values(world) == 0


@pytest.mark.parametrize(
    ("role", "org", "expected"),
    [
        ("agency_officer", "20.SYT", 200),  # the owner agency
        ("operator", "20", 200),
        ("data_steward", "20", 200),
        ("agency_officer", "20.SGDDT", 422),  # another agency: out of scope
        ("commune_officer", "05977", 422),  # approve_not_allowed
        ("integration", "20", 422),
    ],
)
def test_who_may_post_approved_values(
    values_client: TestClient, world: Session, role: str, org: str, expected: int
) -> None:
    value = item("YT.KHAM", "05977", "202607", 5, status="approved")
    response = values_client.post(
        f"{API}/data-values", json={"values": [value]}, headers=auth(world, role, org)
    )
    assert response.status_code == expected, response.text
    stored = current(world, "YT.KHAM", "05977", "202607")
    assert (stored is not None and stored.status == "approved") == (expected == 200)


@pytest.mark.parametrize(("role", "org"), [("viewer", "20"), ("leader", "20"), ("admin", "20")])
def test_roles_without_data_entry_get_403(
    values_client: TestClient, world: Session, role: str, org: str
) -> None:
    value = item("YT.KHAM", "05977", "202607", 5)
    response = values_client.post(
        f"{API}/data-values", json={"values": [value]}, headers=auth(world, role, org)
    )
    assert failure(response) == (403, "forbidden")
    assert count_values(world) == 0


def test_anonymous_and_malformed_requests(values_client: TestClient, world: Session) -> None:
    anonymous = values_client.post(f"{API}/data-values", json={"values": []})
    assert failure(anonymous) == (401, "unauthenticated")
    headers = auth(world, "operator", "20")
    extra = values_client.post(
        f"{API}/data-values", json={"values": [], "more": 1}, headers=headers
    )
    assert failure(extra) == (422, "validation_error")


# --- reading ----------------------------------------------------------------------------


def test_reading_is_limited_to_the_callers_area(values_client: TestClient, world: Session) -> None:
    operator = auth(world, "operator", "20")
    values = [item("YT.KHAM", "05977", "202607", 1), item("YT.KHAM", "06187", "202607", 2)]
    values_client.post(f"{API}/data-values", json={"values": values}, headers=operator)
    values_client.post(
        f"{API}/data-values",
        json={"values": [item("YT.KHAM", "05977", "202607", 3)]},
        headers=operator,
    )
    everything = values_client.get(f"{API}/data-values", headers=operator).json()
    assert [(v["org_unit"], v["value"], v["version"]) for v in everything] == [
        ("05977", 3, 2),
        ("06187", 2, 1),
    ]
    commune = auth(world, "viewer", "05977")
    mine = values_client.get(f"{API}/data-values", params={"indicator": "YT.KHAM"}, headers=commune)
    assert [v["org_unit"] for v in mine.json()] == ["05977"]
    key = {"indicator": "YT.KHAM", "org_unit": "05977", "period": "202607"}
    history = values_client.get(f"{API}/data-values/history", params=key, headers=commune).json()
    assert [(v["version"], v["value"], v["is_current"]) for v in history] == [
        (1, 1, False),
        (2, 3, True),
    ]
    other = key | {"org_unit": "06187"}
    assert (
        values_client.get(f"{API}/data-values/history", params=other, headers=commune).json() == []
    )
    submitted = values_client.get(
        f"{API}/data-values", params={"status": "approved"}, headers=operator
    )
    assert submitted.json() == []


# --- workflow ---------------------------------------------------------------------------


def test_enter_submit_approve_reject_over_http(values_client: TestClient, world: Session) -> None:
    commune = auth(world, "commune_officer", "05977")
    owner = auth(world, "agency_officer", "20.SYT")
    other_agency = auth(world, "agency_officer", "20.SGDDT")
    drafts = [item("YT.KHAM", "05977", p, 10, status="draft") for p in ("202607", "202608")]
    values_client.post(f"{API}/data-values", json={"values": drafts}, headers=commune)
    ids = [v["id"] for v in values_client.get(f"{API}/data-values", headers=commune).json()]
    submitted = values_client.post(f"{API}/data-values/submit", json={"ids": ids}, headers=commune)
    assert submitted.json() == {"changed": 2, "ids": ids}
    refused = values_client.post(
        f"{API}/data-values/approve", json={"ids": ids[:1]}, headers=other_agency
    )
    assert failure(refused) == (422, "invalid_workflow")
    assert refused.json()["details"]["errors"][0]["error"] == "out_of_scope"
    by_commune = values_client.post(
        f"{API}/data-values/approve", json={"ids": ids}, headers=commune
    )
    assert failure(by_commune) == (403, "forbidden")
    approved = values_client.post(
        f"{API}/data-values/approve", json={"ids": ids[:1]}, headers=owner
    )
    assert approved.json() == {"changed": 1, "ids": ids[:1]}
    rejected = values_client.post(
        f"{API}/data-values/reject",
        json={"ids": ids[1:], "comment": "Thiếu số liệu"},
        headers=owner,
    )
    assert rejected.json()["changed"] == 1
    rows = values_client.get(f"{API}/data-values", headers=commune).json()
    assert [(r["period"], r["status"], r["comment"]) for r in rows] == [
        ("202607", "approved", ""),
        ("202608", "rejected", "Thiếu số liệu"),
    ]
    empty = values_client.post(f"{API}/data-values/approve", json={}, headers=owner)
    assert failure(empty) == (422, "nothing_selected")


# --- targets ----------------------------------------------------------------------------


def test_targets_contract(values_client: TestClient, world: Session) -> None:
    headers = auth(world, "data_steward", "20")
    body = {
        "targets": [
            {"indicator": "YT.BHYT", "org_unit": "20", "year": 2026, "value": 95.5},
            {"indicator": "YT.BHYT", "org_unit": "05977", "year": 2026, "value": 97},
        ]
    }
    response = values_client.post(f"{API}/targets", json=body, headers=headers)
    assert response.json() == {"created": 2, "updated": 0, "unchanged": 0}
    again = values_client.post(f"{API}/targets", json=body, headers=headers)
    assert again.json() == {"created": 0, "updated": 0, "unchanged": 2}
    listed = values_client.get(
        f"{API}/targets", params={"indicator": "YT.BHYT", "year": 2026}, headers=headers
    ).json()
    assert [(t["org_unit"], t["period"], t["value"]) for t in listed] == [
        ("05977", "", 97),
        ("20", "", 95.5),
    ]
    bad = {"targets": [{"indicator": "YT.BHYT", "org_unit": "20", "year": 1990, "value": 1}]}
    refused = values_client.post(f"{API}/targets", json=bad, headers=headers)
    assert failure(refused) == (422, "invalid_targets")
    assert refused.json()["details"]["errors"][0]["field"] == "year"
    viewer = values_client.post(f"{API}/targets", json=body, headers=auth(world, "viewer", "20"))
    assert failure(viewer) == (403, "forbidden")
    assert count_targets(world) == 2


# --- period locks -----------------------------------------------------------------------


def test_period_locks_over_http(values_client: TestClient, world: Session) -> None:
    steward = auth(world, "data_steward", "20")
    created = values_client.post(
        f"{API}/period-locks", json={"period": "2026Q1", "indicator": "YT.KHAM"}, headers=steward
    )
    assert created.status_code == 201, created.text
    assert created.json()["period"] == "2026Q1" and created.json()["indicator"] == "YT.KHAM"
    listed = values_client.get(f"{API}/period-locks", headers=auth(world, "viewer", "20")).json()
    assert [(lk["period"], lk["indicator"], lk["locked_by"]) for lk in listed] == [
        ("2026Q1", "YT.KHAM", "data_steward.20")
    ]
    locked = values_client.post(
        f"{API}/data-values",
        json={"values": [item("YT.KHAM", "05977", "202603", 1)]},
        headers=steward,
    )
    assert row_errors(locked) == [(0, "period", "period_locked")]
    deleted = values_client.delete(
        f"{API}/period-locks/2026Q1", params={"indicator": "YT.KHAM"}, headers=steward
    )
    assert deleted.status_code == 204
    missing = values_client.delete(f"{API}/period-locks/2026Q1", headers=steward)
    assert failure(missing) == (404, "period_lock_not_found")
    bad = values_client.delete(f"{API}/period-locks/2026Q9", headers=steward)
    assert failure(bad) == (422, "invalid_period")
    officer = values_client.post(
        f"{API}/period-locks",
        json={"period": "2026"},
        headers=auth(world, "agency_officer", "20.SYT"),
    )
    assert failure(officer) == (403, "forbidden")
