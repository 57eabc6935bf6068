"""Completeness and timeliness: expected units respect validity, statuses by deadline,
rates never above 100 %, reminders are audited and published."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.core import events
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.indicators import catalogue, completeness
from iocvn.indicators.models import DataValue
from iocvn.indicators.schemas import IndicatorIn
from iocvn.org.models import OrgUnit
from tests.factories.auth import PASSWORD, add_units, add_user, bearer
from tests.factories.web import csrf_of, login

ACTOR = Actor("dieuhanh", "20")


@pytest.fixture
def world(session: Session) -> Session:
    """Two wards formed on 01/07/2025, one old ward merged away then, a monthly indicator."""
    add_units(session)
    session.add(
        OrgUnit(
            code="05980",
            name="Phường Vĩnh Trại (cũ)",
            level="commune",
            parent_code="20",
            province_code="20",
            valid_from=date(2000, 1, 1),
            valid_to=date(2025, 6, 30),
            search_key="phuong vinh trai",
        )
    )
    catalogue.create_indicator(
        session,
        ACTOR,
        IndicatorIn.model_validate(
            {
                "code": "DVC.TOTAL",
                "name": {"vi": "Tổng số hồ sơ"},
                "unit": "hồ sơ",
                "frequency": "monthly",
                "space_agg": "sum",
                "time_agg": "sum",
            }
        ),
    )
    completeness.add_schedule(session, ACTOR, "DVC.TOTAL", level="commune", deadline_days=20)
    return session


def value(session: Session, org: str, period: str, status: str, submitted: datetime) -> None:
    session.add(
        DataValue(
            indicator_code="DVC.TOTAL",
            org_code=org,
            period=period,
            period_start=date(int(period[:4]), int(period[4:]), 1),
            period_end=date(int(period[:4]), int(period[4:]), 28),
            value=10,
            status=status,
            submitted_at=submitted,
        )
    )
    session.flush()


def test_merged_commune_is_expected_before_and_not_after(world: Session) -> None:
    june = completeness.expectations(world, "202506", today=date(2025, 8, 1))
    july = completeness.expectations(world, "202507", today=date(2025, 9, 1))
    assert sorted(e.org_code for e in june) == ["05980"]  # the new wards start 01/07/2025
    assert sorted(e.org_code for e in july) == ["05977", "06187"]


def test_statuses_follow_the_deadline(world: Session) -> None:
    value(world, "05977", "202609", "approved", datetime(2026, 10, 5, 3, tzinfo=UTC))
    value(world, "06187", "202609", "submitted", datetime(2026, 10, 25, 3, tzinfo=UTC))
    rows = {
        e.org_code: e for e in completeness.expectations(world, "202609", today=date(2026, 10, 10))
    }
    assert rows["05977"].status == "approved" and rows["05977"].on_time
    assert rows["06187"].status == "submitted"  # sent later than the 20/10 deadline
    assert rows["06187"].deadline == date(2026, 10, 20)
    before_end = completeness.expectations(world, "202610", today=date(2026, 10, 31))
    assert {e.status for e in before_end} == {"not_due"}
    due = completeness.expectations(world, "202610", today=date(2026, 11, 20))
    late = completeness.expectations(world, "202610", today=date(2026, 11, 21))
    assert {e.status for e in due} == {"due"} and {e.status for e in late} == {"late"}


def test_ranking_never_exceeds_one_hundred_percent(world: Session) -> None:
    value(world, "05977", "202609", "approved", datetime(2026, 10, 5, tzinfo=UTC))
    value(world, "06187", "202609", "submitted", datetime(2026, 10, 25, tzinfo=UTC))
    # a value from a unit that is not expected (merged away) must not lift any rate
    value(world, "05980", "202609", "approved", datetime(2026, 10, 1, tzinfo=UTC))
    year = completeness.expectations(world, "2026", today=date(2026, 11, 22))
    ranked = completeness.ranking(year)
    assert [r.org_code for r in ranked] == ["05977", "06187"]
    assert all(0 <= r.on_time_rate <= 100 and 0 <= r.submitted_rate <= 100 for r in ranked)
    best = ranked[0]
    assert (best.expected, best.submitted, best.on_time, best.late) == (10, 1, 1, 9)


def test_reminder_is_audited_and_published(world: Session) -> None:
    got: list[events.Event] = []
    events.subscribe(completeness.REMINDER_EVENT, got.append)
    try:
        late = [
            e
            for e in completeness.expectations(world, "202610", today=date(2026, 12, 1))
            if e.status == "late"
        ]
        assert completeness.remind(world, ACTOR, late) == 0  # no account has an e-mail
    finally:
        events.unsubscribe(completeness.REMINDER_EVENT, got.append)
    assert got[0].payload["units"] == ["05977", "06187"]
    entry = world.execute(
        select(AuditEntry).where(AuditEntry.action == "indicators.remind")
    ).scalar_one()
    assert entry.after == {"units": ["05977", "06187"], "items": 2, "queued": 0}


def test_schedule_needs_a_unit_or_a_level(world: Session) -> None:
    with pytest.raises(Invalid):
        completeness.add_schedule(world, ACTOR, "DVC.TOTAL")
    with pytest.raises(Invalid):
        completeness.add_schedule(world, ACTOR, "DVC.TOTAL", org_code="20", level="commune")


def test_api(client: TestClient, world: Session) -> None:
    operator = bearer(world, "dieuhanh", "operator", "20")
    officer = bearer(world, "canbo", "commune_officer", "05977")
    world.commit()
    added = client.post(
        "/api/v1/schedules",
        headers=operator,
        json={"indicator": "DVC.TOTAL", "org_unit": "20", "deadline_days": 10},
    )
    assert added.status_code == 201 and added.json()["deadline_days"] == 10
    assert (
        client.post(
            "/api/v1/schedules",
            headers=officer,
            json={"indicator": "DVC.TOTAL", "level": "commune"},
        ).status_code
        == 403
    )
    mine = client.get("/api/v1/completeness?period=202509", headers=officer).json()
    assert {r["org_unit"] for r in mine} == {"05977"}
    everyone = client.get("/api/v1/completeness?period=202509&status=late", headers=operator)
    assert {r["org_unit"] for r in everyone.json()} == {"05977", "06187", "20"}
    ranked = client.get("/api/v1/completeness/ranking?period=2025", headers=operator).json()
    assert all(r["on_time_rate"] <= 100 for r in ranked)
    expected = {r["org_unit"]: r["expected"] for r in ranked}
    assert expected == {"05977": 6, "06187": 6, "05980": 6, "20": 6}  # old ward: Jan–Jun
    reminded = client.post("/api/v1/completeness/remind?period=202509", headers=operator).json()
    assert reminded == {"units": ["05977", "06187", "20"], "queued": 0}
    bad = client.get("/api/v1/completeness?period=2025-09", headers=operator)
    assert bad.status_code == 422 and bad.json()["error"] == "invalid_period"


def test_page_and_reminder(client: TestClient, world: Session) -> None:
    add_user(world, "dieuhanh", "operator", "20")
    world.commit()
    login(client, "dieuhanh", PASSWORD)
    page = client.get("/indicators/completeness?period=202509")
    assert page.status_code == 200 and page.text.count('<tr data-org="') == 2
    sent = client.post(
        "/indicators/completeness/remind",
        data={"csrf_token": csrf_of(page.text), "period": "202509"},
        follow_redirects=True,
    )
    assert "Đã ghi nhận nhắc nhở 2 đơn vị" in sent.text
