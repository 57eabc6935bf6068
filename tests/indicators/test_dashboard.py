"""The leaders' dashboard: cards with status and change, indicators not met, one indicator in
depth with its trend chart, communes' ranking and map data; a commune sees its own."""

from __future__ import annotations

import json
import re

from fastapi.testclient import TestClient

from tests.factories.auth import PASSWORD, add_user
from tests.factories.web import login
from tests.indicators.conftest import Builder


def seed(build: Builder) -> None:
    build.indicator("DVC.TOTAL", unit="hồ sơ", group="government")
    build.indicator("DVC.ONTIME", unit="hồ sơ", group="government")
    build.indicator(
        "DVC.RATE",
        unit="%",
        formula="100 * DVC.ONTIME / DVC.TOTAL",
        space_agg="none",
        time_agg="last",
        group="government",
    )
    for org, total, ontime in [("05977", 100, 90), ("06187", 50, 20)]:
        build.series("DVC.TOTAL", org, {"202601": total, "202602": total})
        build.series("DVC.ONTIME", org, {"202601": ontime, "202602": ontime})
        build.series("DVC.TOTAL", org, {"202501": total / 2, "202502": total / 2})
    build.target("DVC.RATE", "20", 2026, 95)
    build.target("DVC.TOTAL", "20", 2026, 200)


def test_cards_show_value_status_and_change(client: TestClient, build: Builder) -> None:
    seed(build)
    add_user(build.session, "lanhdao", "leader", "20")
    build.session.commit()
    login(client, "lanhdao", PASSWORD)
    page = client.get("/dashboard?period=2026Q1")
    assert page.status_code == 200
    cards = dict(re.findall(r'data-code="([A-Z.]+)" data-status="(\w+)"', page.text))
    # province: (90+20)*2 / (100+50)*2 = 73,3 % against 95 % → off track; total 300 ≥ 200·¼
    assert cards == {"DVC.ONTIME": "none", "DVC.RATE": "off_track", "DVC.TOTAL": "met"}
    assert "73,3" in page.text and "▲ 100,0 %" in page.text  # 300 vs 150 a year before
    assert "2 chỉ tiêu chưa đạt" not in page.text and "1 chỉ tiêu chưa đạt" in page.text


def test_not_met_lists_the_rate(client: TestClient, build: Builder) -> None:
    seed(build)
    add_user(build.session, "lanhdao", "leader", "20")
    build.session.commit()
    login(client, "lanhdao", PASSWORD)
    page = client.get("/dashboard/not-met?period=2026Q1")
    assert re.findall(r'<tr data-code="([A-Z.]+)"', page.text) == ["DVC.RATE"]


def test_indicator_in_depth(client: TestClient, build: Builder) -> None:
    seed(build)
    add_user(build.session, "lanhdao", "leader", "20")
    build.session.commit()
    login(client, "lanhdao", PASSWORD)
    page = client.get("/dashboard/DVC.RATE?period=2026")
    assert page.status_code == 200
    assert '<polyline class="value-line"' in page.text
    ranked = re.findall(r'<tr data-org="(\d+)">', page.text)
    assert ranked == ["05977", "06187"]  # 90 % before 40 %
    data = json.loads(re.search(r'id="choropleth-data">(.*?)</script>', page.text, re.S).group(1))
    assert data["05977"]["value"] == 90.0 and data["06187"]["value"] == 40.0


def test_commune_leader_sees_own_commune(client: TestClient, build: Builder) -> None:
    seed(build)
    add_user(build.session, "chutich", "leader", "05977")
    build.session.commit()
    login(client, "chutich", PASSWORD)
    page = client.get("/dashboard?period=2026Q1")
    assert "Phường Đông Kinh" in page.text and "90,0" in page.text
    other = client.get("/dashboard/DVC.RATE?org=06187&period=2026", headers={"Accept": "text/html"})
    assert other.status_code == 404
