"""Indicator reminders become e-mails: one per active account with an address in each late
unit, listing that unit's late reports, delivered through the SMTP notifier."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.auth import service as users
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.indicators import catalogue, completeness
from iocvn.indicators.models import DataValue, ReportingSchedule
from iocvn.indicators.schemas import IndicatorIn
from iocvn.notify import delivery
from iocvn.notify.models import Notification
from tests.factories.auth import ADMIN_ACTOR, bearer
from tests.factories.notify import SmtpSink

ACTOR = Actor("dieuhanh", "20")


def _account(session: Session, username: str, role: str, org: str, email: str | None) -> None:
    users.create_user(
        session, ADMIN_ACTOR, users.NewUser(username, role, org, None, username.title(), email)
    )


@pytest.fixture
def late_ward(units: Session) -> Session:
    """DVC.TOTAL reported monthly by every ward; Kỳ Lừa sent September, Đông Kinh did not."""
    catalogue.create_indicator(
        units,
        ACTOR,
        IndicatorIn.model_validate(
            {
                "code": "DVC.TOTAL",
                "name": {"vi": "Tổng số hồ sơ thủ tục hành chính"},
                "unit": "hồ sơ",
                "frequency": "monthly",
                "space_agg": "sum",
                "time_agg": "sum",
            }
        ),
    )
    units.add(ReportingSchedule(indicator_code="DVC.TOTAL", level="commune", deadline_days=10))
    units.add(
        DataValue(
            indicator_code="DVC.TOTAL",
            org_code="06187",
            period="202509",
            period_start=date(2025, 9, 1),
            period_end=date(2025, 9, 30),
            value=10,
            status="submitted",
            submitted_at=datetime(2025, 10, 5, tzinfo=UTC),
        )
    )
    _account(units, "canbo.dongkinh", "commune_officer", "05977", "Canbo.DongKinh@langson.gov.vn")
    _account(units, "lanhdao.dongkinh", "leader", "05977", "lanhdao.dk@langson.gov.vn")
    users.lock_user(units, ADMIN_ACTOR, users.get_user(units, "lanhdao.dongkinh"))
    _account(units, "khongthu.dongkinh", "commune_officer", "05977", None)
    _account(units, "canbo.kylua", "commune_officer", "06187", "canbo.kylua@langson.gov.vn")
    _account(units, "dieuhanh", "operator", "20", "dieuhanh@langson.gov.vn")
    units.commit()
    return units


def test_the_reminder_queues_one_email_per_person_of_the_late_unit(
    late_ward: Session, smtp: SmtpSink
) -> None:
    late = [
        e
        for e in completeness.expectations(late_ward, "202509", today=date(2025, 11, 1))
        if e.status == "late"
    ]
    assert {e.org_code for e in late} == {"05977"}
    assert completeness.remind(late_ward, ACTOR, late) == 1
    late_ward.commit()
    row = late_ward.execute(select(Notification)).scalar_one()
    assert (row.channel, row.purpose, row.reference, row.org_code) == (
        "email",
        "indicators.reminder",
        "202509",
        "05977",
    )
    assert row.destination_masked == "c***@langson.gov.vn"
    assert delivery.deliver_due(late_ward, datetime.now(UTC)).sent == 1
    (mail,) = smtp.received
    assert mail.rcpt_tos == ["Canbo.DongKinh@langson.gov.vn"]
    assert mail.message["Subject"] == (
        "[IOC] Nhắc báo cáo trễ hạn kỳ Tháng 9/2025 / Overdue reports for September 2025"
    )
    body = mail.message.get_content()
    assert "Kính gửi Canbo.Dongkinh" in body
    assert "Phường Đông Kinh" in body
    assert "DVC.TOTAL — Tổng số hồ sơ thủ tục hành chính" in body
    assert "hạn / due 10/10/2025" in body


def test_the_reminder_api_says_how_many_were_queued(client: TestClient, late_ward: Session) -> None:
    operator = bearer(late_ward, "dieuhanh.api", "operator", "20")
    late_ward.commit()
    done = client.post("/api/v1/completeness/remind?period=202509", headers=operator)
    assert done.status_code == 200, done.text
    assert done.json() == {"units": ["05977"], "queued": 1}
    listed = client.get("/api/v1/notifications?status=pending", headers=operator).json()
    assert [n["destination"] for n in listed] == ["c***@langson.gov.vn"]


def test_account_email_is_checked(units: Session) -> None:
    with pytest.raises(Invalid):
        _account(units, "saithu", "viewer", "20", "not-an-address")
    _account(units, "cothu", "viewer", "20", "  co.thu@langson.gov.vn ")
    assert users.get_user(units, "cothu").email == "co.thu@langson.gov.vn"
