"""Catalogue pages: browse, search, one definition, edit as a new version."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.core.context import Actor
from iocvn.indicators import catalogue
from iocvn.indicators.schemas import IndicatorIn
from tests.factories.auth import PASSWORD, add_units, add_user
from tests.factories.web import csrf_of, login


def seed_two(session: Session) -> None:
    add_units(session)
    for code, name in [("DVC.TOTAL", "Tổng số hồ sơ"), ("YT.BEDS", "Số giường bệnh")]:
        catalogue.create_indicator(
            session,
            Actor("seed"),
            IndicatorIn.model_validate(
                {
                    "code": code,
                    "name": {"vi": name, "en": code},
                    "unit": "hồ sơ",
                    "frequency": "monthly",
                    "space_agg": "sum",
                    "time_agg": "sum",
                }
            ),
        )


def test_browse_search_and_edit(client: TestClient, session: Session) -> None:
    seed_two(session)
    add_user(session, "dulieu", "data_steward", "20")
    session.commit()
    login(client, "dulieu", PASSWORD)
    page = client.get("/indicators")
    assert page.text.count('<tr data-code="') == 2
    assert client.get("/indicators?q=giường").text.count('<tr data-code="') == 1
    detail = client.get("/indicators/DVC.TOTAL")
    assert 'id="indicator-edit"' in detail.text and "Tổng số hồ sơ" in detail.text
    saved = client.post(
        "/indicators/DVC.TOTAL",
        data={
            "csrf_token": csrf_of(detail.text),
            "name_vi": "Tổng số hồ sơ TTHC",
            "unit": "hồ sơ",
            "frequency": "monthly",
            "space_agg": "sum",
            "time_agg": "sum",
            "missing": "zero",
            "direction": "higher_better",
            "decimals": "0",
        },
        follow_redirects=False,
    )
    assert saved.status_code == 303 and saved.headers["location"] == "/indicators/DVC.TOTAL?saved=1"
    ind = catalogue.get_indicator(session, "DVC.TOTAL")
    session.refresh(ind)
    assert (ind.name_vi, ind.missing, ind.version) == ("Tổng số hồ sơ TTHC", "zero", 2)
    bad = client.post(
        "/indicators/DVC.TOTAL",
        data={
            "csrf_token": csrf_of(detail.text),
            "name_vi": "X",
            "unit": "hồ sơ",
            "frequency": "hourly",
            "space_agg": "sum",
            "time_agg": "sum",
            "missing": "zero",
            "direction": "higher_better",
        },
    )
    assert bad.status_code == 422 and 'role="alert"' in bad.text


def test_viewer_sees_no_edit_form_and_may_not_post(client: TestClient, session: Session) -> None:
    seed_two(session)
    add_user(session, "xem", "viewer", "20")
    session.commit()
    login(client, "xem", PASSWORD)
    detail = client.get("/indicators/DVC.TOTAL")
    assert 'id="indicator-edit"' not in detail.text
    refused = client.post(
        "/indicators/DVC.TOTAL",
        data={"csrf_token": csrf_of(detail.text), "name_vi": "Đổi tên"},
        headers={"Accept": "application/json"},
    )
    assert refused.status_code == 403
