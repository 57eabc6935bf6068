"""An operator drafts a public warning (the circle's centre clicked on the map) → a leader, in
another login, publishes it → it appears in the public Atom feed, and its CAP link serves the
message."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from lxml import etree
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from iocvn.alerts.atom import ATOM_NS
from iocvn.alerts.cap import read
from iocvn.alerts.forms import TIME_FORMAT
from iocvn.core.timeutil import to_local, utcnow
from tests.browser.test_feedback_flow import log_in
from tests.factories.auth import add_units, add_user

pytestmark = pytest.mark.browser


def test_an_operator_drafts_a_leader_publishes_and_the_feed_lists_it(
    page: Page, live_server: str, session: Session
) -> None:
    add_units(session)
    add_user(session, "dieuhanh", "operator", "20")
    add_user(session, "lanhdao", "leader", "20")
    session.commit()

    # The operator drafts: texts, classification, a circle from the map, times as typed.
    log_in(page, live_server, "dieuhanh")
    page.goto(f"{live_server}/alerts/warnings")
    page.click("#warn-new")
    page.fill("#warn-event", "Lũ quét")
    page.fill("#warn-headline", "Cảnh báo lũ trên sông Kỳ Cùng")
    page.fill("#warn-description", "Mực nước sông Kỳ Cùng tại trạm Lạng Sơn vượt báo động 3.")
    page.fill("#warn-instruction", "Người dân ven sông di chuyển lên vùng cao.")
    page.select_option("#warn-category", "Met")
    page.select_option("#warn-urgency", "Immediate")
    page.select_option("#warn-severity", "Severe")
    page.select_option("#warn-certainty", "Observed")
    page.fill("#warn-area-description", "Phường Đông Kinh, tỉnh Lạng Sơn")
    expect(page.locator("#warn-map.leaflet-container")).to_be_visible()
    page.click("#warn-map", position={"x": 200, "y": 150})
    expect(page.locator("#warn-lat")).not_to_have_value("")
    expect(page.locator("#warn-radius")).to_have_value("5")
    expect(page.locator("#warn-map path.leaflet-interactive")).to_have_count(1)  # the circle
    page.fill("#warn-radius", "2.5")
    later = to_local(utcnow() + timedelta(hours=12)).strftime(TIME_FORMAT)
    page.fill("#warn-expires", later)
    page.click("#warn-save")
    expect(page.locator("#warn-state")).to_have_attribute("data-state", "draft")
    expect(page.locator("#warn-four-eyes")).to_be_visible()  # not for the drafter to publish
    expect(page.locator("#warn-publish")).to_have_count(0)
    warning_url = page.url.split("?")[0]

    # A leader, in another login, approves and publishes.
    log_in(page, live_server, "lanhdao")
    page.goto(f"{live_server}/alerts/warnings?state=draft")
    page.click("#warnings a:has-text('Cảnh báo lũ trên sông Kỳ Cùng')")
    assert page.url.split("?")[0] == warning_url
    page.click("#warn-publish")
    expect(page.locator("#warn-state")).to_have_attribute("data-state", "published")
    identifier = page.locator("#warn-identifier").inner_text().strip()
    assert re.fullmatch(r"langson\.gov\.vn-[0-9A-Z]{26}", identifier), identifier

    # The public: no login; the feed lists it and its link serves the CAP message.
    page.context.clear_cookies()
    feed = page.request.get(f"{live_server}/cap/alerts.atom")
    assert feed.ok and feed.headers["content-type"].startswith("application/atom+xml")
    root = etree.fromstring(feed.body())
    entry = root.find(f"{{{ATOM_NS}}}entry")
    assert entry is not None
    assert entry.findtext(f"{{{ATOM_NS}}}title") == "Cảnh báo lũ trên sông Kỳ Cùng"
    link = entry.find(f"{{{ATOM_NS}}}link[@rel='alternate']")
    assert link is not None and link.get("href", "").endswith(f"/cap/alerts/{identifier}.xml")
    xml = page.request.get(f"{live_server}/cap/alerts/{identifier}.xml")
    assert xml.ok and xml.headers["content-type"] == "application/cap+xml"
    message = read(xml.body())  # valid against the CAP 1.2 schema
    assert message.identifier == identifier and message.msg_type == "Alert"
    assert message.warning.area.circles[0].radius_km == 2.5
    assert to_local(message.warning.expires).strftime(TIME_FORMAT) == later  # type: ignore[arg-type]
