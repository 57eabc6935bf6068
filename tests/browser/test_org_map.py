"""A viewer logs in, lists Lạng Sơn's communes, sees their boundaries drawn by Leaflet (from
iocvn's own API, no base tiles, no other network), and opens one commune with its small map."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, Request, expect
from sqlalchemy.orm import Session

from tests.factories.auth import PASSWORD, add_user
from tests.factories.org import seed

pytestmark = pytest.mark.browser


def test_a_viewer_browses_the_commune_map(page: Page, live_server: str, session: Session) -> None:
    seed(session)
    add_user(session, "xem", "viewer", "20")
    session.commit()
    elsewhere: list[str] = []

    def note(request: Request) -> None:
        if not request.url.startswith(live_server):
            elsewhere.append(request.url)

    page.on("request", note)

    page.goto(f"{live_server}/org?level=commune")
    expect(page).to_have_url(f"{live_server}/login?next=/org%3Flevel%3Dcommune")
    page.fill("#username", "xem")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")

    expect(page).to_have_url(f"{live_server}/org?level=commune")
    expect(page.locator("#org-table tbody tr")).to_have_count(65)
    expect(page.locator("#org-map[data-features='65']")).to_be_attached()
    # The 65 communes, then the province's outline once its own request answers.
    page.wait_for_function(
        "document.querySelectorAll('#org-map .leaflet-overlay-pane path').length >= 65"
    )
    assert page.locator("#org-map").get_attribute("data-error") is None
    assert page.locator("#org-map .leaflet-tile").count() == 0  # no tile server configured

    page.click("#org-table tr[data-code='05977'] a")
    expect(page).to_have_url(f"{live_server}/org/05977")
    expect(page.locator("h1")).to_contain_text("Phường Đông Kinh")
    expect(page.locator("#formed-from li")).to_have_count(4)
    expect(page.locator("#org-map .leaflet-overlay-pane path")).to_have_count(1)
    assert elsewhere == []
