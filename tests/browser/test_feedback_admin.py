"""An IOC operator adds a routing rule and sees it listed and applied, then marks a day off in
the working calendar."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.browser.test_feedback_flow import log_in
from tests.factories.auth import add_user
from tests.factories.feedback import province

pytestmark = pytest.mark.browser


def test_operator_adds_a_routing_rule_and_marks_a_holiday(
    page: Page, live_server: str, session: Session
) -> None:
    province(session)
    add_user(session, "dieuhanh", "operator", "20")
    session.commit()
    log_in(page, live_server, "dieuhanh")

    # From the menu to the routing table.
    page.click("#mainnav a[href='/feedback/admin']")
    expect(page.locator("h1")).to_have_text("Danh mục lĩnh vực")
    page.click("nav.tabs a[href='/feedback/admin/routes']")
    page.select_option("#r-category", "giao_thong")
    page.select_option("#r-area", "05977")
    page.select_option("#r-unit", "20.SXD")
    page.fill("#r-note", "Đường đô thị do Sở Xây dựng quản lý")
    page.click("#route-add button[type=submit]")
    expect(page.locator(".flash")).to_have_text("Đã lưu.")
    row = page.locator("#routes tr[data-category='giao_thong'][data-area='05977']")
    expect(row).to_contain_text("Sở Xây dựng")
    expect(row).to_contain_text("Đường đô thị do Sở Xây dựng quản lý")

    # A pothole in Đông Kinh now goes to the department.
    page.select_option("#c-category", "giao_thong.o_ga")
    page.select_option("#c-area", "05977")
    page.click("#route-check button[type=submit]")
    expect(page.locator("#check-result")).to_contain_text("Chuyển tới Sở Xây dựng (20.SXD)")
    expect(row.locator(".pill")).to_be_visible()

    # Monday 7 December 2026 becomes a day off.
    page.goto(f"{live_server}/feedback/admin/calendar?year=2026")
    page.fill("#day-0", "07/12/2026")
    page.select_option("#kind-0", "holiday")
    page.fill("#name-0", "Nghỉ theo quyết định của UBND tỉnh")
    page.click("#cal-save")
    expect(page.locator(".flash")).to_have_text("Đã lưu lịch làm việc năm 2026.")
    day = page.locator("#cal-days tr[data-day='2026-12-07']")
    expect(day).to_contain_text("07/12/2026")
    expect(day).to_contain_text("Ngày nghỉ")
    expect(day).to_contain_text("Tỉnh điều chỉnh")
    expect(page.locator("#day-0")).to_have_value("07/12/2026")
