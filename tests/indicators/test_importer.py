"""Importing values from CSV and XLSX: formats, the number rule (with property tests), line
numbers in the error report, duplicates, modes, and the ``iocvn indicators import`` command."""

from __future__ import annotations

import io
import math
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from iocvn.core.errors import Invalid
from iocvn.core.numbers import format_number
from iocvn.indicators import importer
from iocvn.indicators.cli import app as cli
from iocvn.indicators.values_checks import Problem
from tests.factories.indicators import caller, count_values, current, seed


@pytest.fixture
def world(session: Session) -> Session:
    """Units and indicators, committed."""
    seed(session)
    return session


@pytest.fixture
def steward(world: Session) -> Any:
    """A data steward of the province."""
    return caller(world, "data_steward", "20")


def csv_bytes(*lines: str, bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + "\r\n".join(lines).encode("utf-8")


def xlsx_bytes(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def lines_of(exc: pytest.ExceptionInfo[Invalid]) -> list[tuple[int, str, str]]:
    return [(e["line"], e["field"], e["error"]) for e in exc.value.details["errors"]]


# --- numbers ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "convention", "expected"),
    [
        ("1234", None, 1234),
        ("-5", None, -5),
        ("12.5", None, 12.5),
        ("0.125", None, 0.125),
        ("3e5", None, 300000),
        ("12,5", None, 12.5),
        ("0,125", None, 0.125),
        ("1.234,5", None, 1234.5),
        ("-1.234.567,25", None, -1234567.25),
        ("1.234.567", None, 1234567),
        (" 1.234 ", "vi", 1234),
        ("250.000", "vi", 250000),
        ("1,234", "vi", 1.234),
        ("1.234", "machine", 1.234),
    ],
)
def test_numbers_in_text(text: str, convention: Any, expected: float) -> None:
    assert importer.parse_number(text, convention) == expected


@pytest.mark.parametrize(
    ("text", "convention", "error"),
    [
        ("1.234", None, "ambiguous_number"),
        ("1,234", None, "ambiguous_number"),
        ("1,234", "machine", "ambiguous_number"),
        ("1,234,567", "vi", "not_a_number"),
        ("1.23.4", "vi", "not_a_number"),
        ("12,34.5", None, "not_a_number"),
        ("1 234", None, "not_a_number"),
        ("mười", None, "not_a_number"),
        ("nan", None, "not_a_number"),
        ("1e999", None, "not_finite"),
    ],
)
def test_numbers_refused(text: str, convention: Any, error: str) -> None:
    with pytest.raises(Problem) as exc:
        importer.parse_number(text, convention)
    assert exc.value.error == error


def test_the_file_decides_ambiguous_numbers() -> None:
    assert importer.convention(["1.234", "12,5", "7"]) == "vi"
    assert importer.convention(["1.234", "12.5"]) == "machine"
    assert importer.convention(["1.234", "12.5", "3,5"]) is None
    assert importer.convention(["1.234", "250"]) is None


amounts = st.decimals(min_value=-(10**12), max_value=10**12, places=2, allow_nan=False)


@given(amounts, st.integers(min_value=1, max_value=2))
def test_vietnamese_format_reads_back(amount: Decimal, decimals: int) -> None:
    text = format_number(float(amount), decimals)  # 1.234.567,89 as the UI shows it
    assert math.isclose(importer.parse_number(text, "vi"), float(amount), abs_tol=10**-decimals)
    assert importer.number_form(text) in ("vi", "ambiguous")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_machine_format_reads_back(x: float) -> None:
    assert importer.parse_number(repr(x), "machine") == x
    assert importer.parse_number(str(int(x)) if abs(x) < 1e15 else repr(x), "vi") == (
        int(x) if abs(x) < 1e15 else x
    )


@given(st.text(max_size=30), st.sampled_from([None, "vi", "machine"]))
def test_any_text_is_a_number_or_a_row_error(text: str, convention: Any) -> None:
    outcome: float | str
    try:
        outcome = importer.parse_number(text, convention)
    except Problem as exc:
        outcome = exc.error
    if isinstance(outcome, str):
        assert outcome in ("required", "not_a_number", "ambiguous_number", "not_finite")
    else:
        assert math.isfinite(outcome)


# --- files ------------------------------------------------------------------------------


def test_csv_with_bom_semicolons_and_decimal_commas(world: Session, steward: Any) -> None:
    data = csv_bytes(
        " Indicator ;ORG_UNIT;Period;Value;Comment",
        "KT.THU_NS;20;202601;1.234,5;Theo báo cáo của Kho bạc",
        "",
        "KT.THU_NS;20;202602;1.250;",  # a thousands dot: the file writes Vietnamese numbers
        "YT.KHAM;05977;202601;320;",
        bom=True,
    )
    report = importer.import_values(world, steward, data, "thu-ngan-sach.csv")
    world.commit()
    assert (report.rows, report.created, report.failed, report.errors) == (3, 3, 0, [])
    jan = current(world, "KT.THU_NS", "20", "202601")
    feb = current(world, "KT.THU_NS", "20", "202602")
    assert jan is not None and (jan.value, jan.comment, jan.source) == (
        1234.5,
        "Theo báo cáo của Kho bạc",
        "import",
    )
    assert feb is not None and (feb.value, feb.comment) == (1250, "")


def test_errors_name_their_lines_and_nothing_is_saved(world: Session, steward: Any) -> None:
    data = csv_bytes(
        "indicator,org_unit,period,value",
        "YT.KHAM,05977,202601,10",
        'YT.KHAM,05977,202602,"1,5"',
        "YT.KHAM,05977,2026Q1,3",
        'KT.THU_NS,20,202601,"mười, hai"',
        "YT.KHONG_CO,20,202601,1",
        "YT.KHAM,05977,202601,11",
        "YT.KHAM,06187,202601,1,thừa",
        "YT.KHAM,06187,202602,",
    )
    with pytest.raises(Invalid) as exc:
        importer.import_values(world, steward, data, "x.csv")
    assert exc.value.code == "invalid_import"
    assert lines_of(exc) == [
        (3, "value", "not_a_count"),  # 1,5 reads 1.5 (a decimal comma): not a count
        (4, "period", "period_type_mismatch"),
        (5, "value", "not_a_number"),
        (6, "indicator", "unknown_indicator"),
        (7, "period", "duplicate_row"),
        (8, "value", "extra_cells"),
        (9, "value", "required"),
    ]
    duplicate = exc.value.details["errors"][4]
    assert duplicate["message"] == "Trùng chỉ số, đơn vị và kỳ với dòng 2."
    assert count_values(world) == 0


def test_a_quoted_line_break_keeps_line_numbers(world: Session, steward: Any) -> None:
    data = csv_bytes(
        "indicator,org_unit,period,value,comment",
        'YT.KHAM,05977,202601,10,"dòng một\ndòng hai"',
        "YT.KHAM,05977,2026,10,",
    )
    with pytest.raises(Invalid) as exc:
        importer.import_values(world, steward, data)
    assert lines_of(exc) == [(4, "period", "period_type_mismatch")]


def test_partial_mode_saves_the_valid_lines(world: Session, steward: Any) -> None:
    data = csv_bytes(
        "indicator,org_unit,period,value",
        "YT.KHAM,05977,202601,10",
        "YT.KHAM,05977,202601,11",
        "YT.KHAM,06187,202601,-1",
    )
    report = importer.import_values(world, steward, data, mode="partial", lang="en")
    assert (report.rows, report.created, report.failed) == (3, 1, 2)
    assert [(e.line, e.error) for e in report.errors] == [(3, "duplicate_row"), (4, "not_a_count")]
    assert report.errors[0].message == "Same indicator, org unit and period as line 2."
    assert count_values(world) == 1


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (csv_bytes("indicator,org_unit,value", "YT.KHAM,05977,1"), "import_header"),
        (csv_bytes("indicator,org_unit,period,value,ghi_chu"), "import_header"),
        (b"", "import_header"),
        (
            "indicator,org_unit,period,value\nYT.KHAM,Đông,202601,1".encode("cp1258"),
            "import_encoding",
        ),
        (b"PK\x03\x04 not really a workbook", "import_format"),
    ],
)
def test_unreadable_files(world: Session, steward: Any, data: bytes, code: str) -> None:
    with pytest.raises(Invalid) as exc:
        importer.import_values(world, steward, data)
    assert exc.value.code == code


def test_xlsx_first_sheet_with_excel_types(world: Session, steward: Any) -> None:
    data = xlsx_bytes(
        [
            ["INDICATOR", "org_unit", "period", "value", "comment"],
            ["YT.KHAM", 5977, 202601, 320, None],  # Excel dropped the leading zero
            ["MT.AQI", 20, datetime(2026, 7, 15), 42.5, "Trạm quan trắc"],
            [None, None, None, None, None],
            ["KT.THU_NS", "20", "202601", "1.234,5", None],
            ["YT.KHAM", "06187", "202601", "nhiều", None],
        ]
    )
    with pytest.raises(Invalid) as exc:
        importer.import_values(world, steward, data, "so-lieu.xlsx")
    assert lines_of(exc) == [(6, "value", "not_a_number")]
    report = importer.import_values(world, steward, data, "so-lieu.xlsx", mode="partial")
    world.commit()
    assert (report.rows, report.created, report.failed) == (4, 3, 1)
    aqi = current(world, "MT.AQI", "20", "20260715")
    assert aqi is not None and (aqi.value, aqi.comment) == (42.5, "Trạm quan trắc")
    assert current(world, "YT.KHAM", "05977", "202601") is not None
    thu = current(world, "KT.THU_NS", "20", "202601")
    assert thu is not None and thu.value == 1234.5


def test_a_large_file_is_imported_in_bulk(world: Session, steward: Any) -> None:
    days = [f"2026{m:02d}{d:02d}" for m in range(1, 13) for d in range(1, 29)]
    units = ["20", "05977", "06187"]
    body = [f"MT.AQI,{u},{d},{(i * 7) % 300}" for i, d in enumerate(days) for u in units]
    report = importer.import_values(
        world, steward, csv_bytes("indicator,org_unit,period,value", *body)
    )
    assert report.created == len(body) == 1008


# --- command line -----------------------------------------------------------------------


def test_cli_imports_and_reports(world: Session, tmp_path: Path) -> None:
    good = tmp_path / "tot.csv"
    good.write_bytes(csv_bytes("indicator,org_unit,period,value", "YT.KHAM,05977,202601,10"))
    result = CliRunner().invoke(cli, ["import", str(good)])
    assert result.exit_code == 0, result.output
    assert "1 tạo mới / created" in result.output
    assert count_values(world) == 1
    again = CliRunner().invoke(cli, ["import", str(good)])
    assert "1 không đổi / unchanged" in again.output


def test_cli_refuses_a_file_with_errors_and_names_the_lines(world: Session, tmp_path: Path) -> None:
    bad = tmp_path / "loi.csv"
    bad.write_bytes(
        csv_bytes(
            "indicator,org_unit,period,value", "YT.KHAM,05977,202601,10", "YT.KHAM,05977,2026,1"
        )
    )
    result = CliRunner().invoke(cli, ["import", str(bad)])
    assert result.exit_code == 1
    assert "dòng / line 3 [period] period_type_mismatch" in result.output
    assert "nothing was saved" in result.output
    assert count_values(world) == 0
    partial = CliRunner().invoke(cli, ["import", str(bad), "--partial"])
    assert partial.exit_code == 0 and "1 lỗi / errors" in partial.output
    assert count_values(world) == 1


def test_cli_acts_as_an_account(world: Session, tmp_path: Path) -> None:
    caller(world, "commune_officer", "05977", "canbo.dongkinh")
    caller(world, "viewer", "05977", "xem.dongkinh")
    path = tmp_path / "xa.csv"
    path.write_bytes(csv_bytes("indicator,org_unit,period,value", "YT.KHAM,06187,202601,10"))
    result = CliRunner().invoke(cli, ["import", str(path), "--as", "canbo.dongkinh"])
    assert result.exit_code == 1 and "out_of_scope" in result.output
    refused = CliRunner().invoke(cli, ["import", str(path), "--as", "xem.dongkinh"])
    assert refused.exit_code == 1 and "[forbidden]" in refused.output
    unknown = CliRunner().invoke(cli, ["import", str(path), "--as", "khong.co"])
    assert unknown.exit_code == 1 and "[user_not_found]" in unknown.output
    assert count_values(world) == 0
