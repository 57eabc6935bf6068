"""Editing the category tree, the routing table and the working calendar by API."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.feedback import routing
from tests.factories.auth import bearer
from tests.factories.feedback import province, report


@pytest.fixture
def heads(session: Session) -> dict[str, dict[str, str]]:
    province(session)
    out = {
        "operator": bearer(session, "dieuhanh", "operator", "20"),
        "commune": bearer(session, "dongkinh", "commune_officer", "05977"),
    }
    session.commit()
    return out


def test_categories_are_listed_and_edited(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session
) -> None:
    tree = client.get("/api/v1/feedback-categories", headers=heads["commune"]).json()
    codes = [c["code"] for c in tree]
    assert codes.index("giao_thong") < codes.index("giao_thong.o_ga")
    new = {"name_vi": "Cầu treo", "parent": "giao_thong", "priority": "urgent", "resolve_days": 2}
    assert client.put("/api/v1/feedback-categories/giao_thong.cau_treo", json=new,
                      headers=heads["commune"]).status_code == 403  # fmt: skip
    made = client.put("/api/v1/feedback-categories/giao_thong.cau_treo", json=new,
                      headers=heads["operator"])  # fmt: skip
    assert made.status_code == 200, made.text
    assert made.json()["parent"] == "giao_thong" and made.json()["priority"] == "urgent"
    # The new category routes like its parent and takes its own time limit at once.
    case = report(session, category="giao_thong.cau_treo").case
    session.commit()
    assert case.priority == "urgent"
    loop = client.put("/api/v1/feedback-categories/giao_thong", json={"parent": "giao_thong.o_ga"},
                      headers=heads["operator"])  # fmt: skip
    assert loop.status_code == 422 and loop.json()["error"] == "invalid_category"
    off = client.put("/api/v1/feedback-categories/giao_thong.cau_treo", json={"active": False},
                     headers=heads["operator"])  # fmt: skip
    assert off.json()["active"] is False


def test_routes_are_set_listed_and_deleted(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session
) -> None:
    rule = {"org_unit": "20.SXD", "category": "giao_thong", "area": "05977"}
    made = client.post("/api/v1/feedback-routes", json=rule, headers=heads["operator"])
    assert made.status_code == 200, made.text
    assert routing.route(session, "giao_thong.o_ga", "05977").org_code == "20.SXD"  # type: ignore[union-attr]
    listed = client.get("/api/v1/feedback-routes", headers=heads["operator"]).json()
    assert any(r["id"] == made.json()["id"] for r in listed)
    bad = client.post("/api/v1/feedback-routes", json=rule | {"org_unit": "99.XX"},
                      headers=heads["operator"])  # fmt: skip
    assert bad.status_code == 422 and bad.json()["error"] == "unknown_handling_unit"
    gone = client.delete(f"/api/v1/feedback-routes/{made.json()['id']}", headers=heads["operator"])
    assert gone.status_code == 204
    assert routing.route(session, "giao_thong.o_ga", "05977").org_code == "05977"  # type: ignore[union-attr]
    assert (
        client.delete("/api/v1/feedback-routes/nope", headers=heads["operator"]).status_code == 404
    )
    assert client.get("/api/v1/feedback-routes", headers=heads["commune"]).status_code == 403


def test_the_calendar_is_replaced_per_year_and_moves_deadlines(
    client: TestClient, heads: dict[str, dict[str, str]], session: Session
) -> None:
    monday = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 09:00 in Hà Nội
    before = report(session, now=monday).case.deadline_at
    session.commit()
    days = [{"day": "2026-12-07", "kind": "holiday", "name": "Nghỉ theo quyết định (thử)"}]
    done = client.put("/api/v1/feedback-calendar/2026", json=days, headers=heads["operator"])
    assert done.status_code == 200, done.text
    after = report(session, now=monday).case.deadline_at
    session.commit()
    assert before is not None and after is not None and after > before
    assert client.get("/api/v1/feedback-calendar", params={"year": 2026},
                      headers=heads["commune"]).json()[0]["kind"] == "holiday"  # fmt: skip
    wrong = client.put("/api/v1/feedback-calendar/2027", json=days, headers=heads["operator"])
    assert wrong.status_code == 422
