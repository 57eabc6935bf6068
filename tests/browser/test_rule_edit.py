"""Editing an alert rule in the browser: the operator opens the rules page, edits the
threshold of the Kỳ Cùng rule in the form filled from it, and sees the new value in the list."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.browser.test_feedback_flow import log_in
from tests.factories.alerts import rule
from tests.factories.auth import add_units, add_user
from tests.factories.sensors import device

pytestmark = pytest.mark.browser

RULE = "Mực nước sông Kỳ Cùng vượt báo động 1"


def test_an_operator_edits_a_threshold(page: Page, live_server: str, session: Session) -> None:
    add_units(session)
    add_user(session, "dieuhanh", "operator", "20")
    session.commit()
    device(session, "KC-LS-01", name="Trạm thủy văn Lạng Sơn — sông Kỳ Cùng")
    made = rule(session, name=RULE, value=3.0, for_s=600, severity="warning")

    log_in(page, live_server, "dieuhanh")
    page.goto(f"{live_server}/alerts/rules")
    row = page.locator(f"#rule-{made.id}")
    expect(row.locator(".rule-condition")).to_have_text("Mực nước lớn hơn 3 m trong 10 phút")
    row.locator("a.rule-edit").click()

    # the same form as for a new rule, filled from this one
    expect(page.locator("#rule-form-title")).to_have_text(f"Sửa quy tắc: {RULE}")
    expect(page.locator("#rule-name")).to_have_value(RULE)
    expect(page.locator("#rule-device")).to_have_value("KC-LS-01")
    expect(page.locator("#rule-quantity")).to_have_value("currentLevel")
    expect(page.locator("#rule-value")).to_have_value("3")
    expect(page.locator("#rule-for")).to_have_value("10")
    page.fill("#rule-value", "3,25")
    page.click("#rule-save")

    expect(page.locator("#rule-flash")).to_have_text("Đã cập nhật quy tắc.")
    row = page.locator(f"#rule-{made.id}")
    expect(row.locator(".rule-condition")).to_have_text("Mực nước lớn hơn 3,25 m trong 10 phút")
    expect(page.locator("#rules tbody tr")).to_have_count(1)  # edited, not added
