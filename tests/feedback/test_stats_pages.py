"""The statistics page's date range: typed as dd/mm/yyyy (ISO from links too), and a range that
cannot be shown gives the form again with the reason beside the fields (422)."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from iocvn.feedback import stats
from iocvn.feedback.pages_stats import read_range
from tests.factories.feedback import staff_headers

PAGE = "/feedback/stats"


@pytest.fixture
def operator(session: Session) -> dict[str, str]:
    return staff_headers(session, "operator")["operator"]


def field(html: str, name: str) -> str:
    """The <input> tag of the range field ``name``."""
    found = re.search(rf'<input id="{name}" [^>]*>', html)
    assert found is not None, html
    return found.group(0)


def test_the_range_is_typed_as_dd_mm_yyyy(client: TestClient, operator: dict[str, str]) -> None:
    got = client.get(PAGE, params={"from": "01/12/2026", "to": "01/01/2027"}, headers=operator)
    assert got.status_code == 200, got.text
    start = field(got.text, "from")
    assert 'type="text"' in start and 'value="01/12/2026"' in start
    # no inputmode="numeric": the iPhone's numeric pad has no "/"
    assert 'placeholder="dd/mm/yyyy"' in start and "inputmode" not in start
    assert 'pattern="[0-9]{1,2}/[0-9]{1,2}/[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2}"' in start
    assert 'value="01/01/2027"' in field(got.text, "to")
    assert 'type="date"' not in got.text and "aria-invalid" not in got.text
    assert "từ 00:00 ngày 01/12/2026 đến trước 00:00 ngày 01/01/2027" in got.text
    # the export keeps ISO days, which the API reads
    csv_url = "/api/v1/feedback/stats?group=unit&amp;from=2026-12-01&amp;to=2027-01-01"
    assert csv_url in got.text
    exported = client.get(csv_url.replace("&amp;", "&") + "&format=csv", headers=operator)
    assert exported.status_code == 200 and exported.headers["content-type"].startswith("text/csv")


def test_iso_days_from_links_still_work_and_show_as_dd_mm_yyyy(
    client: TestClient, operator: dict[str, str]
) -> None:
    got = client.get(PAGE, params={"from": "2026-10-01", "to": "2026-11-01"}, headers=operator)
    assert got.status_code == 200, got.text
    assert 'value="01/10/2026"' in field(got.text, "from")
    assert 'value="01/11/2026"' in field(got.text, "to")
    default = client.get(PAGE, headers=operator)  # the month so far, also shown as dd/mm/yyyy
    assert re.search(r'value="01/\d\d/\d{4}"', field(default.text, "from"))


@pytest.mark.parametrize(
    ("params", "message", "invalid"),
    [
        (
            {"from": "01/12/2026", "to": "01/11/2026"},
            "Khoảng thời gian không hợp lệ: ngày bắt đầu phải trước ngày kết thúc",
            ("from", "to"),
        ),
        (
            {"from": "31/02/2026", "to": "01/03/2026"},
            "Ngày bắt đầu “31/02/2026” không hợp lệ: nhập một ngày có thật theo dạng dd/mm/yyyy",
            ("from",),
        ),
        (
            {"from": "01/01/2026", "to": "12/31/2026"},
            "Ngày kết thúc “12/31/2026” không hợp lệ",
            ("to",),
        ),
        (
            {"from": "01/01/2000", "to": "01/01/2026"},
            f"(tối đa {stats.MAX_DAYS} ngày)",
            ("from", "to"),
        ),
    ],
)
def test_a_bad_range_shows_the_form_again_with_the_reason(
    client: TestClient,
    operator: dict[str, str],
    params: dict[str, str],
    message: str,
    invalid: tuple[str, ...],
) -> None:
    got = client.get(PAGE, params=params | {"group": "commune"}, headers=operator)
    assert got.status_code == 422
    html = got.text
    error = re.search(r'<p class="error-message field-error" role="alert" id="range-error">'
                      r"([^<]*)</p>", html)  # fmt: skip
    assert error is not None and message in error.group(1).replace("&#34;", '"'), html
    for name in ("from", "to"):
        tag = field(html, name)
        assert f'value="{params[name]}"' in tag  # as typed
        assert 'aria-describedby="range-error"' in tag
        assert ('aria-invalid="true"' in tag) == (name in invalid)
    assert '<option value="commune" selected>' in html
    assert 'id="stats"' not in html and 'id="csv"' not in html  # no figures for a bad range
    assert "Cách tính" in html  # the page around the form is whole


def test_the_reason_is_english_on_english_pages(
    client: TestClient, operator: dict[str, str]
) -> None:
    client.cookies.set("iocvn_lang", "en")
    got = client.get(PAGE, params={"from": "hôm qua", "to": "01/11/2026"}, headers=operator)
    backwards = client.get(PAGE, params={"from": "2026-11-01", "to": "2026-10-01"},
                           headers=operator)  # fmt: skip
    client.cookies.clear()
    assert got.status_code == 422
    assert "The start date “hôm qua” is not valid: type a real date as dd/mm/yyyy" in got.text
    assert 'value="hôm qua"' in field(got.text, "from")
    assert backwards.status_code == 422
    assert "Invalid range: the start must come before the end" in backwards.text


def test_read_range() -> None:
    span, form = read_range("1/12/2026", " 2027-01-01 ", "vi")
    assert span == (date(2026, 12, 1), date(2027, 1, 1))
    assert (form.start_text, form.end_text, form.error) == ("01/12/2026", "01/01/2027", "")
    # a field left empty takes its default; the other is kept as typed
    span, form = read_range("", "29/02/2026", "vi")
    assert span is None and form.invalid == ("to",) and form.end_text == "29/02/2026"
    assert re.fullmatch(r"01/\d\d/\d{4}", form.start_text)
    span, form = read_range("x" * 60, "", "en")
    assert span is None and "“" + "x" * 20 + "”" in form.error  # echoed, not in full
