"""The flood drill of issue #5, end to end in the browser: the simulator's flood wave on the
Kỳ Cùng gauge fires an alert that appears on the operator's open alert list by itself
(server-sent events) → the operator acknowledges it with a comment, sees the gauge red on the
sensors map and its level on the device's live chart → drafts a public warning from the
alert (the form filled from it) → a leader, in another login, publishes it → it is in the
public Atom feed."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
from lxml import etree
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from iocvn.alerts.atom import ATOM_NS
from iocvn.core.timeutil import utcnow
from iocvn.sensors import simulate
from iocvn.sensors.ingest import ingest
from tests.browser.test_feedback_flow import log_in
from tests.factories.alerts import rule
from tests.factories.auth import add_units, add_user
from tests.factories.sensors import KY_CUNG, device

pytestmark = pytest.mark.browser

GAUGE = "KC-LANGSON"  # the demo's gauge: normal 250,4 m, alert level I 252 m
RULE = "Mực nước sông Kỳ Cùng vượt báo động I"
STEP_S = 15


def _flood(session: Session, start_t: int, end_t: int, anchor: float) -> float:
    """Ingest the simulator's flood wave from ``start_t`` to ``end_t`` seconds into the
    scenario, timed so that second ``anchor`` of the scenario is now; the last level."""
    gauge = simulate.sim_device(GAUGE, "water_level", ["currentLevel"])
    flood, rng = simulate.Flood(), random.Random(simulate.SEED)
    now = utcnow()
    items = []
    for t in range(start_t, end_t + 1, STEP_S):
        at = now - timedelta(seconds=anchor - t)
        items.append({"device": GAUGE, "ts": at.isoformat(),
                      "values": simulate.values(gauge, at, rng, flood, float(t))})  # fmt: skip
    report = ingest(session, items, now=now)  # the one ingestion of every channel
    assert report.accepted == len(items), report
    session.commit()
    return float(items[-1]["values"]["currentLevel"])


def test_a_flood_wave_alert_is_acknowledged_drafted_and_published(
    page: Page, live_server: str, session: Session
) -> None:
    add_units(session)
    add_user(session, "dieuhanh", "operator", "20")
    add_user(session, "lanhdao", "leader", "20")
    session.commit()
    device(session, GAUGE, name="Trạm thủy văn Lạng Sơn — sông Kỳ Cùng", at=KY_CUNG)
    alert_level = simulate.sim_device(GAUGE, "water_level", ["currentLevel"]).levels
    assert alert_level is not None and alert_level.alert == 252.0
    rule(session, name=RULE, device=GAUGE, value=alert_level.alert, for_s=0,
         severity="critical", scenario="flood")  # fmt: skip

    # The operator watches the alert list; the river rises but stays under the alert level.
    log_in(page, live_server, "dieuhanh")
    page.goto(f"{live_server}/alerts")
    expect(page.locator("#al-none")).to_be_visible()
    expect(page.locator("#al-live")).to_have_text("Đang cập nhật trực tiếp")
    assert _flood(session, 0, 90, anchor=180) < alert_level.alert
    # The wave passes the alert level: the alert appears without reloading the page.
    assert _flood(session, 105, 180, anchor=180) > alert_level.alert
    row = page.locator("#alerts tr[data-state='firing']")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(RULE)
    expect(row).to_contain_text("Nghiêm trọng")

    # The operator acknowledges it with a comment.
    row.locator("a.al-link").click()
    expect(page.locator("#al-state")).to_have_attribute("data-state", "firing")
    page.fill("#al-ack-input", "Đã báo UBND phường Đông Kinh, lực lượng đang túc trực.")
    page.click("#al-ack-submit")
    expect(page.locator("#al-flash")).to_have_text("Đã xác nhận cảnh báo.")
    expect(page.locator("#al-ack")).to_contain_text("dieuhanh")
    alert_url = page.url.split("?")[0]

    # The gauge is red on the sensors map, and its page charts the wave.
    page.goto(f"{live_server}/sensors")
    expect(page.locator("#sn-map")).to_have_attribute("data-firing", "1")
    expect(page.locator("#sn-map path.leaflet-interactive")).to_have_count(1)
    page.click(f"#sn-devices a:has-text('{GAUGE}')")
    expect(page.locator("#sn-chart")).to_have_attribute("data-loaded", "1")
    chart = page.locator("#sn-chart figure[data-quantity='currentLevel'] svg")
    expect(chart).to_have_attribute("data-points", "13")
    expect(chart.locator("line.sn-threshold")).to_have_count(1)

    # From the alert, a public warning: the form comes filled from it.
    page.goto(alert_url)
    page.click("#al-draft")
    expect(page.locator("#warn-event")).to_have_value("Lũ")
    headline = f"{RULE} tại Trạm thủy văn Lạng Sơn — sông Kỳ Cùng"
    expect(page.locator("#warn-headline")).to_have_value(headline)
    expect(page.locator("#warn-severity")).to_have_value("Severe")
    expect(page.locator("#warn-urgency")).to_have_value("Immediate")
    expect(page.locator("#warn-lat")).to_have_value("21.849000")
    expect(page.locator("#warn-map path.leaflet-interactive")).to_have_count(1)  # the circle
    expect(page.locator("#warn-description")).to_contain_text("vượt ngưỡng 252 m")
    page.fill("#warn-area-description", "Các phường ven sông Kỳ Cùng, tỉnh Lạng Sơn")
    page.click("#warn-save")
    expect(page.locator("#warn-state")).to_have_attribute("data-state", "draft")
    warning_url = page.url.split("?")[0]

    # A leader, in another login, publishes it.
    log_in(page, live_server, "lanhdao")
    page.goto(warning_url)
    page.click("#warn-publish")
    expect(page.locator("#warn-state")).to_have_attribute("data-state", "published")

    # The public feed lists it.
    page.context.clear_cookies()
    feed = page.request.get(f"{live_server}/cap/alerts.atom")
    assert feed.ok
    entry = etree.fromstring(feed.body()).find(f"{{{ATOM_NS}}}entry")
    assert entry is not None
    assert entry.findtext(f"{{{ATOM_NS}}}title") == headline
