"""Reporting schedules through the API: listing in the caller's area, deleting within the
caller's reach (audited), and adding within it too."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.indicators import completeness
from iocvn.indicators.models import ReportingSchedule
from tests.factories.auth import bearer
from tests.factories.indicators import ACTOR, seed

Plan = dict[str, str]  # name → schedule id


@pytest.fixture
def plan(session: Session) -> Plan:
    """Units and indicators, and four schedules: every commune, one commune, the province and
    every agency (committed)."""
    seed(session)
    rows = {
        "communes": completeness.add_schedule(session, ACTOR, "YT.KHAM", level="commune"),
        "ky_lua": completeness.add_schedule(session, ACTOR, "YT.KHAM", org_code="06187"),
        "province": completeness.add_schedule(session, ACTOR, "GD.HOC_SINH", org_code="20"),
        "agencies": completeness.add_schedule(
            session, ACTOR, "KT.THU_NS", level="agency", deadline_days=5
        ),
    }
    session.commit()
    return {name: s.id for name, s in rows.items()}


def ids(client: TestClient, headers: dict[str, str], query: str = "") -> set[str]:
    response = client.get(f"/api/v1/schedules{query}", headers=headers)
    assert response.status_code == 200, response.text
    return {row["id"] for row in response.json()}


def stored(session: Session) -> int:
    session.expire_all()
    return int(session.execute(select(func.count()).select_from(ReportingSchedule)).scalar_one())


def test_list_is_filtered_and_scoped(client: TestClient, session: Session, plan: Plan) -> None:
    province = bearer(session, "xem.tinh", "viewer", "20")
    agency = bearer(session, "xem.syt", "viewer", "20.SYT")
    dong_kinh = bearer(session, "xem.dongkinh", "viewer", "05977")
    ky_lua = bearer(session, "xem.kylua", "viewer", "06187")
    session.commit()
    everything = client.get("/api/v1/schedules", headers=province).json()
    assert {r["id"] for r in everything} == set(plan.values())
    agencies = next(r for r in everything if r["id"] == plan["agencies"])
    assert agencies == {
        "id": plan["agencies"],
        "indicator": "KT.THU_NS",
        "org_unit": None,
        "level": "agency",
        "deadline_days": 5,
    }
    assert ids(client, province, "?indicator=YT.KHAM") == {plan["communes"], plan["ky_lua"]}
    assert ids(client, province, "?indicator=KHONG.CO") == set()
    assert ids(client, agency) == set(plan.values())  # an agency reads the whole province
    # a commune sees what concerns it: the schedule of every commune, and its own
    assert ids(client, dong_kinh) == {plan["communes"]}
    assert ids(client, ky_lua) == {plan["communes"], plan["ky_lua"]}


def test_delete_is_audited_and_then_unknown(
    client: TestClient, session: Session, plan: Plan
) -> None:
    operator = bearer(session, "dieuhanh", "operator", "20")
    session.commit()
    gone = client.delete(f"/api/v1/schedules/{plan['ky_lua']}", headers=operator)
    assert gone.status_code == 204 and gone.content == b""
    assert plan["ky_lua"] not in ids(client, operator)
    assert stored(session) == 3
    entry = session.execute(
        select(AuditEntry).where(AuditEntry.action == "schedule.delete")
    ).scalar_one()
    assert (entry.actor, entry.target_type, entry.target_id) == (
        "dieuhanh",
        "schedule",
        plan["ky_lua"],
    )
    assert entry.before == {
        "indicator": "YT.KHAM",
        "org_unit": "06187",
        "level": None,
        "deadline_days": 20,
    }
    again = client.delete(f"/api/v1/schedules/{plan['ky_lua']}", headers=operator)
    assert again.status_code == 404
    body = again.json()
    assert body["error"] == "schedule_not_found"
    assert body["message"] == f"Không có lịch báo cáo {plan['ky_lua']}."
    english = client.delete(
        "/api/v1/schedules/01ZZZZZZZZZZZZZZZZZZZZZZZZ",
        headers=operator | {"Accept-Language": "en"},
    )
    assert english.status_code == 404
    assert english.json()["message"].startswith("There is no reporting schedule")
    assert client.delete("/api/v1/schedules/" + "x" * 40, headers=operator).status_code == 404


def test_who_may_call(client: TestClient, session: Session, plan: Plan) -> None:
    viewer = bearer(session, "xem", "viewer", "20")
    officer = bearer(session, "canbo", "commune_officer", "05977")
    reader_token = bearer(session, "dulieu.doc", "data_steward", "20", read_only=True)
    session.commit()
    url = f"/api/v1/schedules/{plan['communes']}"
    assert client.get("/api/v1/schedules").status_code == 401
    anonymous = client.delete(url)
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthenticated"
    for headers in (viewer, officer):
        refused = client.delete(url, headers=headers)
        assert refused.status_code == 403 and refused.json()["error"] == "forbidden"
    read_only = client.delete(url, headers=reader_token)
    assert read_only.status_code == 403 and read_only.json()["error"] == "token_read_only"
    assert stored(session) == 4


def test_delete_within_the_callers_reach(client: TestClient, session: Session, plan: Plan) -> None:
    commune_operator = bearer(session, "dieuhanh.xa", "operator", "06187")
    other_commune = bearer(session, "dieuhanh.dk", "operator", "05977")
    health = bearer(session, "dulieu.syt", "data_steward", "20.SYT")
    session.commit()
    # another commune's schedule does not exist for this caller
    unseen = client.delete(f"/api/v1/schedules/{plan['ky_lua']}", headers=other_commune)
    assert unseen.status_code == 404
    # every commune's schedule is seen, but only the province removes it
    shared = client.delete(f"/api/v1/schedules/{plan['communes']}", headers=commune_operator)
    assert shared.status_code == 403 and shared.json()["error"] == "schedule_out_of_scope"
    # an agency removes the schedules of its own indicators only
    education = client.delete(f"/api/v1/schedules/{plan['province']}", headers=health)
    assert education.status_code == 403 and education.json()["error"] == "schedule_out_of_scope"
    assert stored(session) == 4
    own = client.delete(f"/api/v1/schedules/{plan['ky_lua']}", headers=commune_operator)
    assert own.status_code == 204
    owned = client.delete(f"/api/v1/schedules/{plan['communes']}", headers=health)
    assert owned.status_code == 204
    assert stored(session) == 2


def test_add_within_the_callers_reach(client: TestClient, session: Session, plan: Plan) -> None:
    commune_operator = bearer(session, "dieuhanh.xa", "operator", "06187")
    operator = bearer(session, "dieuhanh", "operator", "20")
    session.commit()
    every = {"indicator": "YT.BHYT", "level": "commune"}
    refused = client.post("/api/v1/schedules", headers=commune_operator, json=every)
    assert refused.status_code == 403 and refused.json()["error"] == "schedule_out_of_scope"
    mine = client.post(
        "/api/v1/schedules",
        headers=commune_operator,
        json={"indicator": "YT.BHYT", "org_unit": "06187"},
    )
    assert mine.status_code == 201 and mine.json()["org_unit"] == "06187"
    unknown = client.post(
        "/api/v1/schedules", headers=operator, json={"indicator": "YT.BHYT", "org_unit": "99999"}
    )
    assert unknown.status_code == 422 and unknown.json()["error"] == "org_unit_not_found"
    assert mine.json()["id"] in ids(client, operator, "?indicator=YT.BHYT")
    assert stored(session) == 5
