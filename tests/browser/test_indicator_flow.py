"""A commune officer enters a value, the owner agency approves it, and the leader's dashboard
shows the new value with its status."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from iocvn.core.context import Actor
from iocvn.indicators import catalogue
from iocvn.indicators.models import Target
from iocvn.indicators.schemas import IndicatorIn
from tests.factories.auth import PASSWORD, add_units, add_user

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_be_visible()


def test_enter_approve_and_see_on_the_dashboard(
    page: Page, live_server: str, session: Session
) -> None:
    add_units(session)
    catalogue.create_indicator(
        session,
        Actor("seed"),
        IndicatorIn.model_validate(
            {
                "code": "YT.VISITS",
                "name": {"vi": "Số lượt khám bệnh", "en": "Medical visits"},
                "unit": "lượt",
                "value_type": "count",
                "frequency": "monthly",
                "space_agg": "sum",
                "time_agg": "sum",
                "owner": "SYT",
                "group": "sector",
                "decimals": 0,
            }
        ),
    )
    session.add(
        Target(indicator_code="YT.VISITS", org_code="20", year=2026, period="202610", value=100)
    )
    add_user(session, "canbo", "commune_officer", "05977")
    add_user(session, "syt", "agency_officer", "20.SYT")
    add_user(session, "lanhdao", "leader", "20")
    session.commit()

    log_in(page, live_server, "canbo")
    page.goto(f"{live_server}/indicators/entry?period=202610")
    expect(page.locator("h1")).to_contain_text("Phường Đông Kinh")
    page.fill("input[name='v:YT.VISITS']", "1.250")  # Vietnamese thousands: one thousand 250
    page.click("#submit-values")
    expect(page.locator(".flash")).to_contain_text("1 mới")
    expect(page.locator("tr[data-code='YT.VISITS'] .pill")).to_have_text("Chờ duyệt")
    page.click("text=Đăng xuất")

    log_in(page, live_server, "syt")
    page.goto(f"{live_server}/indicators/approvals")
    expect(page.locator("#approvals tr[data-code='YT.VISITS']")).to_have_count(1)
    page.click("#approve-selected")
    expect(page.locator(".flash")).to_have_text("Đã duyệt 1 số liệu.")
    page.click("text=Đăng xuất")

    log_in(page, live_server, "lanhdao")
    page.goto(f"{live_server}/dashboard?period=202610&group=sector")
    card = page.locator("a.card-ind[data-code='YT.VISITS']")
    expect(card).to_have_attribute("data-status", "met")
    expect(card.locator(".card-value")).to_contain_text("1.250")
