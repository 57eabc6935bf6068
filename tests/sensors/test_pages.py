"""Staff pages of sensors: the map of devices coloured by state (its table for readers without
JavaScript, its GeoJSON for the map), a device's page with its latest values, chart settings,
recent readings at each step, alerts and rules — each within the caller's scope."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.alerts import evaluation
from iocvn.core.timeutil import utcnow
from iocvn.sensors import pages
from iocvn.sensors.ingest import ingest
from iocvn.sensors.models import Device, Latest
from tests.factories.alerts import rule
from tests.factories.auth import PASSWORD, add_user
from tests.factories.sensors import DONG_KINH, device, reading
from tests.factories.web import login

MIN = timedelta(minutes=1)


def as_user(client: TestClient, username: str) -> None:
    """Log ``username`` in through the form."""
    client.cookies.clear()
    assert login(client, username, PASSWORD).status_code in (302, 303)


@pytest.fixture
def world(org: Session, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Staff, and four devices: the Kỳ Cùng gauge (fresh readings, a rule over 3 m and a
    firing alert once ``fire`` is called), an air station of Đông Kinh ward (a value out of
    its range), a rain gauge never heard from, and a street light in maintenance."""
    session = org
    add_user(session, "dieuhanh", "operator", "20")
    add_user(session, "xem", "viewer", "20")
    add_user(session, "canbo-xa", "commune_officer", "05977")
    device(session, "KC-LS-01", interval_s=300)
    device(session, "KK-DK", "air_quality", org="05977", at=DONG_KINH, interval_s=300,
           ranges={"pm25": [0, 500]})  # fmt: skip
    device(session, "MUA-01", "rain_gauge", interval_s=300)
    device(session, "DEN-01", "street_light", interval_s=300)
    light = session.query(Device).filter_by(code="DEN-01").one()
    light.status = "maintenance"
    session.commit()
    now = utcnow().replace(microsecond=0)
    # the gauge's two readings fall in one clock hour, whatever the minute the test runs at
    # (the hourly roll-up test reads their average; two minutes back from 11:01 straddle it)
    last = now - MIN if now.minute >= 2 else now.replace(minute=0, second=0) - MIN
    items = [
        reading("KC-LS-01", last - MIN, currentLevel=2.5),
        reading("KC-LS-01", last, currentLevel=2.75),
        reading("KK-DK", now - MIN, pm25=612.5, pm10=80.0),
        reading("DEN-01", now - MIN, powerState=1.0),
    ]
    assert ingest(session, items, now=now).accepted == 5
    session.commit()
    rule(session, value=3.0, for_s=0, severity="critical")
    monkeypatch.setattr(evaluation, "clock", lambda: now)
    evaluation.subscribe()

    def fire() -> None:
        report = ingest(session, [reading("KC-LS-01", now, currentLevel=3.25)], now=now)
        assert report.accepted == 1
        session.commit()

    return {"session": session, "now": now, "fire": fire}


def _states(html: str) -> dict[str, str]:
    return dict(re.findall(r'<tr data-code="([^"]+)" data-state="([^"]+)"', html))


def test_the_map_lists_every_device_with_its_state_and_latest_values(
    client: TestClient, world: dict[str, Any]
) -> None:
    as_user(client, "xem")
    page = client.get("/sensors")
    assert page.status_code == 200, page.text
    html = page.text
    assert _states(html) == {
        "KC-LS-01": "normal",
        "KK-DK": "out_of_range",
        "MUA-01": "silent",
        "DEN-01": "inactive",
    }
    assert "Mực nước: <strong>2,75</strong> m" in html  # Vietnamese number, the unit
    assert "Bụi PM2,5: <strong>612,5</strong> µg/m³" in html and "ngoài dải đo" in html
    assert "Chưa nhận số đo" in html  # the rain gauge
    assert 'id="sn-map"' in html and 'data-src="/sensors/map.json"' in html
    assert 'data-events="/api/v1/sensors/events"' in html
    assert "/static/js/sensors-map.js" in html and "leaflet.markercluster.js" in html
    assert "<script>" not in html and "style=" not in html  # the CSP forbids inline
    assert 'href="/sensors" aria-current="page"' in html  # the navigation entry
    world["fire"]()
    assert _states(client.get("/sensors").text)["KC-LS-01"] == "firing"


def test_the_map_data_is_geojson_with_states(client: TestClient, world: dict[str, Any]) -> None:
    world["fire"]()
    as_user(client, "dieuhanh")
    answer = client.get("/sensors/map.json")
    assert answer.status_code == 200
    collection = answer.json()
    assert collection["type"] == "FeatureCollection" and collection["total"] == 4
    gauge = next(f for f in collection["features"] if f["properties"]["code"] == "KC-LS-01")
    assert gauge["geometry"] == {"type": "Point", "coordinates": [106.759, 21.849]}
    props = gauge["properties"]
    assert props["state"] == "firing" and props["state_label"] == "Đang cảnh báo"
    assert props["url"] == "/sensors/KC-LS-01" and props["kind_label"] == "Đo mực nước"
    assert props["values"] == [{"quantity": "currentLevel", "label": "Mực nước", "value": "3,25",
                                "unit": "m", "out_of_range": False}]  # fmt: skip
    assert props["alerts"] == ["Mực nước sông Kỳ Cùng vượt báo động 1"]
    english = client.get("/sensors/map.json?kind=water_level", headers={"Accept-Language": "en"})
    assert [f["properties"]["code"] for f in english.json()["features"]] == ["KC-LS-01"]


def test_filter_by_kind(client: TestClient, world: dict[str, Any]) -> None:
    as_user(client, "xem")
    html = client.get("/sensors?kind=air_quality").text
    assert list(_states(html)) == ["KK-DK"]
    assert '<option value="air_quality" selected>' in html
    assert list(_states(client.get("/sensors?kind=nonsense").text)) == [
        "DEN-01", "KC-LS-01", "KK-DK", "MUA-01"
    ]  # fmt: skip


def test_a_commune_sees_its_own_devices_only(client: TestClient, world: dict[str, Any]) -> None:
    as_user(client, "canbo-xa")
    assert list(_states(client.get("/sensors").text)) == ["KK-DK"]
    assert client.get("/sensors/KK-DK").status_code == 200
    other = client.get("/sensors/KC-LS-01", headers={"Accept": "text/html"})
    assert other.status_code == 404


def test_anonymous_callers_are_refused(client: TestClient, world: dict[str, Any]) -> None:
    for url in ("/sensors", "/sensors/map.json", "/sensors/KC-LS-01"):
        answer = client.get(url, headers={"Accept": "application/json"})
        assert answer.status_code == 401, url
    page = client.get("/sensors", headers={"Accept": "text/html"}, follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")


def _config(html: str) -> dict[str, Any]:
    found = re.search(r'id="sn-chart" class="sn-charts" data-config="([^"]+)"', html)
    assert found, html
    return dict(json.loads(unescape(found.group(1))))


def test_a_device_page_with_values_chart_readings_alerts_and_rules(
    client: TestClient, world: dict[str, Any]
) -> None:
    world["fire"]()
    as_user(client, "dieuhanh")
    page = client.get("/sensors/KC-LS-01")
    assert page.status_code == 200, page.text
    html = page.text
    assert 'id="sn-device-state" data-state="firing"' in html
    assert (
        'data-quantity="currentLevel"' in html
        and "<strong data-latest-value>3,25</strong> m" in html
    )
    config = _config(html)
    assert config["readings"] == "/api/v1/sensors/KC-LS-01/readings"
    assert config["device"] == "/api/v1/sensors/devices/KC-LS-01"
    assert config["step"] == "raw" and config["span_s"] == 24 * 3600  # 300 intervals of 5 min
    assert config["quantities"]["currentLevel"] == {
        "label": "Mực nước", "unit": "m",
        "thresholds": [{"value": 3.0, "name": "Mực nước sông Kỳ Cùng vượt báo động 1"}],
    }  # fmt: skip
    # recent raw readings, newest first, with seconds
    recent = r'<tr><td>(\d\d/\d\d/\d{4} \d\d:\d\d:\d\d)</td><td class="num">([^<]*)</td>'
    rows = re.findall(recent, html)
    assert [v for _, v in rows] == ["3,25", "2,75", "2,5"]
    # its alert and its rule
    assert 'data-state="firing"' in html and "Đang cảnh báo" in html and "Nghiêm trọng" in html
    assert "Mực nước lớn hơn 3 m" in html
    assert 'href="/alerts/rules?device=KC-LS-01#rule-form"' in html
    assert "/static/js/device-chart.js" in html and "<script>" not in html and "style=" not in html


def test_the_step_shows_rollups(client: TestClient, world: dict[str, Any]) -> None:
    as_user(client, "xem")
    html = client.get("/sensors/KC-LS-01?step=1h").text
    assert _config(html)["step"] == "1h" and _config(html)["span_s"] == 31 * 86400
    assert "2,62 (2,5 – 2,75)" in html  # the hour's average (lowest – highest)
    assert 'data-step="1h" aria-current="page"' in html
    assert 'id="sn-new-rule"' not in html  # a viewer manages no rules
    assert _config(client.get("/sensors/KC-LS-01?step=bogus").text)["step"] == "raw"


def test_an_unknown_device_is_404(client: TestClient, world: dict[str, Any]) -> None:
    as_user(client, "xem")
    answer = client.get("/sensors/NOPE", headers={"Accept": "text/html"})
    assert answer.status_code == 404 and "NOPE" in answer.text


def test_state_and_formatting_rules() -> None:
    now = datetime(2026, 12, 1, 3, 0)
    seen = Device(code="X", status="active", interval_s=60, last_seen_at=now - 4 * MIN)
    assert pages.device_state(seen, [], False, now) == "silent"  # > 2 intervals + 1 min
    seen.last_seen_at = now - 2 * MIN
    assert pages.device_state(seen, [], False, now) == "normal"
    flagged = Latest(quantity="pm25", value=1.0, flags=1)
    assert pages.device_state(seen, [flagged], False, now) == "out_of_range"
    assert pages.device_state(seen, [flagged], True, now) == "firing"
    seen.status = "retired"
    assert pages.device_state(seen, [flagged], True, now) == "inactive"
    assert [pages.value_text(v) for v in (250.4321, 1234.5, 3.0, -0.05, None)] == [
        "250,43", "1.234,5", "3", "-0,05", ""
    ]  # fmt: skip
    assert pages.unit_text("1") == "" and pages.unit_text("µg/m³") == "µg/m³"
