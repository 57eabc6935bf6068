"""An administrator logs in with TOTP (enrolling at first login), issues a commune officer's
account, locks it, and finds both actions on the audit page."""

from __future__ import annotations

import pyotp
import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, add_units, add_user

pytestmark = pytest.mark.browser


def test_admin_enrols_totp_creates_and_locks_an_officer(
    page: Page, live_server: str, session: Session
) -> None:
    add_units(session)
    add_user(session, "quantri", "admin", "20")
    session.commit()

    page.goto(f"{live_server}/admin/users")
    expect(page).to_have_url(f"{live_server}/login?next=/admin/users")
    page.fill("#username", "quantri")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")

    # First login of an admin: TOTP enrolment is mandatory.
    expect(page.locator("h1")).to_have_text("Thiết lập xác thực hai lớp")
    secret = page.locator("#totp-secret").inner_text().strip()
    assert page.locator(".qr svg").count() == 1
    page.fill("#code", pyotp.TOTP(secret).now())
    page.click("button[type=submit]")
    expect(page.locator("#recovery-codes li")).to_have_count(10)
    page.click("text=Tiếp tục")

    expect(page).to_have_url(f"{live_server}/admin/users")
    page.fill("#username", "xa.dongkinh")
    page.fill("#display_name", "Hoàng Thị Mai")
    page.select_option("#role", "commune_officer")
    page.select_option("#org_unit", "05977")
    page.fill("#password", "Phường-Đông-Kinh-2026")
    page.click("#new-user button[type=submit]")

    expect(page.locator("h1")).to_have_text("xa.dongkinh")
    expect(page.locator(".flash")).to_contain_text("Đã cấp tài khoản xa.dongkinh")
    page.click("#lock-user")
    expect(page.locator("#user-status")).to_have_text("Đã khóa")

    page.goto(f"{live_server}/admin/audit?action=user.")
    rows = page.locator("#audit-table tbody tr[data-target='xa.dongkinh']")
    expect(rows).to_have_count(2)
    assert rows.nth(0).get_attribute("data-action") == "user.lock"
    assert rows.nth(1).get_attribute("data-action") == "user.create"
    expect(rows.nth(0)).to_contain_text("quantri")

    # The second login asks for a TOTP code (no enrolment again).
    page.click("text=Đăng xuất")
    expect(page).to_have_url(f"{live_server}/login")
    page.fill("#username", "quantri")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_have_text("Xác thực hai lớp")
