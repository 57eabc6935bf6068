"""A citizen reports with a photo → the IOC operator confirms category and unit → the commune
resolves with a photo → the citizen confirms and rates → the statistics change."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, add_user
from tests.factories.feedback import DONG_KINH, province
from tests.feedback.test_photos import jpeg_with_gps, png

pytestmark = pytest.mark.browser


def log_in(page: Page, base: str, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{base}/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    expect(page.locator("h1")).to_be_visible()


def total_row(page: Page, base: str) -> str:
    page.goto(f"{base}/feedback/stats")
    return page.locator("#stats tr.total").inner_text()


def test_report_triage_resolve_confirm_and_statistics(
    page: Page, live_server: str, session: Session
) -> None:
    province(session)
    add_user(session, "dieuhanh", "operator", "20")
    add_user(session, "canbo", "commune_officer", "05977")
    add_user(session, "lanhdao", "leader", "20")
    session.commit()

    # The citizen: no account; the place comes from the photo's GPS position.
    page.goto(f"{live_server}/phan-anh/gui")
    expect(page.locator("#pa-privacy")).to_be_visible()
    page.select_option("#pa-category", "giao_thong.o_ga")
    page.fill("#pa-description", "Ổ gà rất sâu trước số 12 đường Trần Đăng Ninh, xe máy dễ ngã.")
    page.set_input_files(
        "#pa-photos",
        files=[{"name": "o-ga.jpg", "mimeType": "image/jpeg", "buffer": jpeg_with_gps(*DONG_KINH)}],
    )
    page.fill("#pa-phone", "0912 345 678")
    page.click("#pa-form button[type=submit]")
    code = page.locator("#pa-code").inner_text().strip()
    secret = page.locator("#pa-secret").inner_text().strip()
    assert re.fullmatch(r"PA-\d\d-[A-Z2-9]{7}", code), code
    page.goto(f"{live_server}/phan-anh/{code}")
    expect(page.locator("#pa-status")).to_be_visible()
    assert "0912" not in page.content()

    log_in(page, live_server, "lanhdao")
    before = total_row(page, live_server)

    # The operator confirms the category and sends it to the commune.
    log_in(page, live_server, "dieuhanh")
    page.goto(f"{live_server}/feedback?view=new")
    page.click(f"#inbox a:has-text('{code}')")
    expect(page.locator("#case-description")).to_contain_text("Trần Đăng Ninh")
    page.select_option("#accept-category", "giao_thong.o_ga")
    page.select_option("#accept-unit", "05977")
    page.click("#accept-button")
    expect(page.locator("#case-status")).to_have_attribute("data-status", "assigned")

    # The commune resolves with a photo.
    log_in(page, live_server, "canbo")
    page.goto(f"{live_server}/feedback/{code}")
    page.fill("#resolve-answer", "Phường đã vá ổ gà sáng nay.")
    page.set_input_files(
        "#resolve-photos", files=[{"name": "sau.png", "mimeType": "image/png", "buffer": png()}]
    )
    page.click("#resolve-button")
    expect(page.locator("#case-status")).to_have_attribute("data-status", "resolved")

    # The citizen: "was it fixed?" yes, five stars.
    page.context.clear_cookies()
    page.goto(f"{live_server}/phan-anh/{code}?secret={secret}")
    expect(page.locator("#pa-answer")).to_contain_text("vá ổ gà")
    page.check("#pa-confirm input[name=fixed][value=yes]")
    page.check("#pa-confirm input[name=rating][value='5']")
    page.click("#pa-confirm button[type=submit]")
    expect(page.locator("#pa-status")).to_be_visible()

    # The leader's statistics now count a confirmed fix rated 5.
    log_in(page, live_server, "lanhdao")
    after = total_row(page, live_server)
    assert after != before
    assert "5,0" in after and "(1)" in after


def test_the_staff_map_shows_clustered_cases_and_density(
    page: Page, live_server: str, session: Session
) -> None:
    from tests.factories.feedback import report

    province(session)
    report(session)
    report(session, "Cống thoát nước bị tắc, mưa là ngập cả đoạn đường.", category="cap_thoat_nuoc")
    add_user(session, "dieuhanh", "operator", "20")
    session.commit()
    log_in(page, live_server, "dieuhanh")
    page.goto(f"{live_server}/feedback/ban-do")
    expect(page.locator("#fb-staff-map")).to_have_attribute("data-features", "2")
    expect(page.locator("#fb-staff-map .leaflet-control-layers")).to_be_visible()


def test_the_inbox_and_statistics_fit_a_phone(
    page: Page, live_server: str, session: Session
) -> None:
    """At 375 px: no sideways scrolling of the page, a case code on one line, the deadline
    column on screen; the statistics range is typed as dd/mm/yyyy and a bad one is explained."""
    from tests.factories.feedback import report

    province(session)
    code = report(session).case.code
    add_user(session, "dieuhanh", "operator", "20")
    session.commit()
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server, "dieuhanh")
    page.goto(f"{live_server}/feedback")
    link = page.locator(f"#inbox td.mono a:has-text('{code}')")
    expect(link).to_be_visible()
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"the page scrolls sideways by {overflow} px"
    box = link.bounding_box()
    line = page.evaluate("el => parseFloat(getComputedStyle(el).lineHeight)", link.element_handle())
    assert box is not None and box["height"] < 1.5 * line, (box, line)
    deadline = page.locator("#inbox thead th", has_text="Hạn").bounding_box()
    assert deadline is not None and deadline["x"] + deadline["width"] <= 375, deadline

    page.goto(f"{live_server}/feedback/stats")
    page.fill("#from", "01/12/2026")
    page.fill("#to", "01/01/2027")
    page.click("#stats-form button[type=submit]")
    expect(page.locator("#stats")).to_be_visible()
    expect(page.locator("#from")).to_have_value("01/12/2026")
    assert "2026-12-01" in (page.locator("#csv").get_attribute("href") or "")
    page.fill("#to", "01/11/2026")  # before the start
    page.click("#stats-form button[type=submit]")
    expect(page.locator("#range-error")).to_contain_text("ngày bắt đầu phải trước ngày kết thúc")
    expect(page.locator("#to")).to_have_value("01/11/2026")
    expect(page.locator("#to")).to_have_attribute("aria-invalid", "true")
    assert (
        page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        <= 0
    )
