"""Core helpers: date parsing and formatting, Vietnamese numbers, language negotiation, i18n."""

from __future__ import annotations

import string
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

import iocvn.app  # noqa: F401  (registers every domain's messages)
from iocvn.core import i18n
from iocvn.core.numbers import format_number
from iocvn.core.timeutil import format_date, format_datetime, local_midnight, parse_day


@given(st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31)))
def test_parse_day_round_trips_both_formats(day: date) -> None:
    assert parse_day(format_date(day)) == day
    assert parse_day(day.isoformat()) == day


@pytest.mark.parametrize("text", ["", "31/02/2026", "2026/11/22", "hôm nay", "22-11-2026"])
def test_parse_day_rejects_non_dates(text: str) -> None:
    with pytest.raises(ValueError, match="not a date"):
        parse_day(text)


def test_local_time_is_vietnam() -> None:
    assert format_datetime(datetime(2026, 11, 22, 17, 30, tzinfo=UTC)) == "23/11/2026 00:30"
    assert local_midnight(date(2026, 11, 22)).astimezone(UTC) == datetime(
        2026, 11, 21, 17, 0, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("value", "decimals", "text"),
    [(1234567, 0, "1.234.567"), (1234.5, 1, "1.234,5"), (0.25, 2, "0,25"), (-1500, 0, "-1.500")],
)
def test_vietnamese_number_format(value: float, decimals: int, text: str) -> None:
    assert format_number(value, decimals) == text


@given(st.integers(min_value=-(10**15), max_value=10**15))
def test_number_format_round_trips(value: int) -> None:
    assert int(format_number(value).replace(".", "")) == value


@pytest.mark.parametrize(
    ("header", "cookie", "lang"),
    [
        (None, None, "vi"),
        ("en-US,en;q=0.9", None, "en"),
        ("vi-VN,vi;q=0.9,en;q=0.8", None, "vi"),
        ("fr-FR,en;q=0.5", None, "en"),
        ("en", "vi", "vi"),
        ("de", None, "vi"),
        ("en;q=0.2,vi;q=0.9", None, "vi"),
    ],
)
def test_language_negotiation(header: str | None, cookie: str | None, lang: str) -> None:
    assert i18n.negotiate(header, cookie) == lang


@given(st.text(max_size=200), st.one_of(st.none(), st.text(max_size=10)))
def test_negotiation_never_fails(header: str, cookie: str | None) -> None:
    assert i18n.negotiate(header, cookie) in ("vi", "en")


def test_every_message_has_both_languages_with_the_same_placeholders() -> None:
    assert len(i18n.catalogue()) > 150
    fmt = string.Formatter()
    for key, (vi, en) in i18n.catalogue().items():
        assert vi.strip() and en.strip(), key
        names_vi = {f for _, f, _, _ in fmt.parse(vi) if f}
        names_en = {f for _, f, _, _ in fmt.parse(en) if f}
        assert names_vi == names_en, key
