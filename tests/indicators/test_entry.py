"""The entry grid and the approvals page: numbers as typed, row errors, who sees what."""

from __future__ import annotations

from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from iocvn.core.numbers import editable_number, format_number
from iocvn.indicators.entry import typed_number
from tests.factories.auth import PASSWORD, add_user
from tests.factories.web import csrf_of, login
from tests.indicators.conftest import Builder


@given(st.integers(-(10**12), 10**12), st.integers(0, 3))
def test_vietnamese_typing_round_trips(cents: int, decimals: int) -> None:
    value = cents / 10**decimals
    assert typed_number(format_number(value, decimals), "vi") == round(value, decimals)


def test_typing_in_each_language() -> None:
    assert typed_number("1.234,5", "vi") == 1234.5
    assert typed_number("1,234.5", "en") == 1234.5
    assert typed_number("12 500", "vi") == 12500.0
    assert typed_number("mười", "vi") == "mười"


def grid(build: Builder) -> None:
    build.indicator("YT.VISITS", unit="lượt", value_type="count", owner="SYT")
    build.indicator("GD.PUPILS", unit="học sinh", value_type="count", owner="SGDDT")
    build.value("YT.VISITS", "05977", "202609", 900)
    build.value("YT.VISITS", "05977", "202510", 800)


def test_grid_shows_history_and_names_bad_rows(client: TestClient, build: Builder) -> None:
    grid(build)
    add_user(build.session, "canbo", "commune_officer", "05977")
    build.session.commit()
    login(client, "canbo", PASSWORD)
    page = client.get("/indicators/entry?period=202610")
    assert page.text.count('<tr data-code="') == 2
    assert 'data-previous="900.0"' in page.text and 'data-last-year="800.0"' in page.text
    bad = client.post(
        "/indicators/entry",
        data={
            "csrf_token": csrf_of(page.text),
            "org": "05977",
            "period": "202610",
            "v:YT.VISITS": "12,5",
            "v:GD.PUPILS": "300",
            "action": "submit",
        },
    )
    assert bad.status_code == 422 and bad.text.count('role="alert"') == 1
    good = client.post(
        "/indicators/entry",
        data={
            "csrf_token": csrf_of(page.text),
            "org": "05977",
            "period": "202610",
            "v:YT.VISITS": "1.000",
            "v:GD.PUPILS": "300",
            "action": "draft",
        },
    )
    assert "Đã lưu: 2 mới" in good.text
    other = client.get("/indicators/entry?period=202610&org=06187", headers={"Accept": "text/html"})
    assert other.status_code == 404


def test_agency_sees_and_approves_only_its_indicators(client: TestClient, build: Builder) -> None:
    grid(build)
    build.value("YT.VISITS", "05977", "202610", 1000, status="submitted")
    build.value("GD.PUPILS", "05977", "202610", 300, status="submitted")
    add_user(build.session, "syt", "agency_officer", "20.SYT")
    build.session.commit()
    login(client, "syt", PASSWORD)
    entry = client.get("/indicators/entry?period=202610")
    assert entry.text.count('<tr data-code="') == 1  # only the agency's own indicator
    page = client.get("/indicators/approvals")
    assert page.text.count('<tr data-code="') == 1 and 'data-code="YT.VISITS"' in page.text


@given(st.floats(min_value=-1e12, max_value=1e12, allow_nan=False), st.sampled_from(["vi", "en"]))
def test_a_stored_value_shown_for_editing_reads_back_exactly(value: float, lang: str) -> None:
    shown = editable_number(value, lang)
    assert "e" not in shown.lower()
    assert typed_number(shown, lang) == value
