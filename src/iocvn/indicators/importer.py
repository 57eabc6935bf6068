"""Import data values from a CSV or XLSX file, with a report naming the line of every refused
row (R3). The checks and the writing are those of ``values.post_values`` (source "import").

File: a header line (case-insensitive) ``indicator,org_unit,period,value[,comment]``, then one
value per line. XLSX: the first sheet, header in row 1. CSV: UTF-8 with or without BOM; the
delimiter is ``;`` when the header holds one, else ``,``; blank lines are skipped.

Numbers written as text (every CSV value, text cells of XLSX):
- digits only (``1234``, ``-5``) are whole numbers;
- a form that reads one way only is read that way: machine format with a decimal point
  (``12.5``, ``0.125``, ``1.2345``, ``3e5``) or Vietnamese format with a decimal comma and
  dots grouping thousands by three (``12,5``, ``0,125``, ``1.234,5``, ``1.234.567``);
- ``1.234``, ``250.000`` or ``1,234`` (1 to 3 digits, not starting with 0, then one separator
  and exactly three digits) may group thousands or mark decimals. They follow the rest of the
  file: a file with Vietnamese forms only reads ``1.234`` as 1234 and ``1,234`` as 1.234; a
  file with machine forms only reads ``1.234`` as 1.234 (and refuses ``1,234``); a file with
  neither or both refuses them as ``ambiguous_number``, naming the line.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from openpyxl import load_workbook
from sqlalchemy.orm import Session

from iocvn.auth.deps import Principal
from iocvn.core.errors import Invalid
from iocvn.core.i18n import register
from iocvn.indicators import values
from iocvn.indicators.schemas_values import ImportReport, LineError, Mode
from iocvn.indicators.values_checks import Problem, to_number

REQUIRED = ("indicator", "org_unit", "period", "value")
COLUMNS = (*REQUIRED, "comment")
MAX_ERRORS = 1000  # errors listed in a report (all are counted)
Convention = Literal["vi", "machine"] | None

_INT = re.compile(r"[+-]?[0-9]+")
_MACHINE = re.compile(r"[+-]?(?:[0-9]*\.[0-9]+|[0-9]+(?:\.[0-9]+)?[eE][+-]?[0-9]+)")
_LEAD, _GROUP = r"[1-9][0-9]{0,2}", r"\.[0-9]{3}"  # 1.234.567: a lead, groups of three
_VI = re.compile(rf"[+-]?(?:(?:{_LEAD}(?:{_GROUP})+|[0-9]+),[0-9]+|{_LEAD}(?:{_GROUP}){{2,}})")
_AMBIGUOUS = re.compile(r"[+-]?[1-9][0-9]{0,2}[.,][0-9]{3}")

register(
    {
        "error.import_encoding": (
            "Tệp CSV phải được mã hóa UTF-8.",
            "The CSV file must be encoded in UTF-8.",
        ),
        "error.import_format": (
            "Không đọc được tệp (cần CSV hoặc XLSX).",
            "The file cannot be read (CSV or XLSX expected).",
        ),
        "error.import_header": (
            "Dòng tiêu đề phải là indicator,org_unit,period,value[,comment].",
            "The header must be indicator,org_unit,period,value[,comment].",
        ),
        "error.invalid_import": (
            "{count} dòng của tệp không hợp lệ; không dòng nào được lưu.",
            "{count} lines of the file are not valid; nothing was saved.",
        ),
    }
)


@dataclass
class FileRow:
    """A data line: its number in the file and its cells by column name."""

    line: int
    cells: dict[str, Any]


# --- numbers ----------------------------------------------------------------------------


def number_form(text: str) -> Literal["int", "machine", "vi", "ambiguous", "bad"]:
    """Which way a number written as text reads (see the module docstring)."""
    text = text.strip()
    if _INT.fullmatch(text):
        return "int"
    if _AMBIGUOUS.fullmatch(text):
        return "ambiguous"
    if _VI.fullmatch(text):
        return "vi"
    if _MACHINE.fullmatch(text):
        return "machine"
    return "bad"


def convention(texts: Sequence[str]) -> Convention:
    """The file's way of writing numbers, from its forms that read one way only."""
    forms = {number_form(t) for t in texts}
    if "vi" in forms and "machine" not in forms:
        return "vi"
    if "machine" in forms and "vi" not in forms:
        return "machine"
    return None


def parse_number(text: str, file_convention: Convention = None) -> float:
    """A number written as text, read by the rule of the module docstring; ``Problem``."""
    form, clean = number_form(text), text.strip()
    if form == "ambiguous":
        if file_convention is None or (file_convention == "machine" and "," in clean):
            raise Problem("value", "ambiguous_number", value=clean[:40])
        form = file_convention
    if form == "bad":
        raise Problem("value", "not_a_number", value=clean[:40])
    if form == "vi":
        clean = clean.replace(".", "").replace(",", ".")
    return to_number(clean)


# --- reading files ----------------------------------------------------------------------


def _header(cells: Sequence[Any]) -> list[str]:
    names = [str(c).strip().lower() if c is not None else "" for c in cells]
    while names and not names[-1]:
        names.pop()
    missing = [c for c in REQUIRED if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    if missing or unknown or len(set(names)) != len(names):
        raise Invalid("import_header", details={"header": names, "missing": missing})
    return names


def _rows(names: list[str], lines: Iterator[tuple[int, Sequence[Any]]]) -> Iterator[FileRow]:
    width = len(names)
    for line, cells in lines:
        if all(c is None or (isinstance(c, str) and not c.strip()) for c in cells):
            continue
        row = dict(zip(names, cells, strict=False))
        extra = [c for c in cells[width:] if c is not None and str(c).strip()]
        yield FileRow(line, row | ({"_extra": True} if extra else {}))


def read_csv(data: bytes) -> list[FileRow]:
    """The data lines of a CSV file."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise Invalid("import_encoding") from None
    first = text.split("\n", 1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";" if ";" in first else ",")

    def lines() -> Iterator[tuple[int, list[str]]]:
        while True:
            start = reader.line_num + 1
            try:
                yield start, next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise Invalid(
                    "import_format", details={"line": start, "problem": str(exc)}
                ) from None

    numbered = lines()
    head = next(numbered, None)
    if head is None:
        raise Invalid("import_header", details={"header": [], "missing": list(REQUIRED)})
    return list(_rows(_header(head[1]), numbered))


def _xlsx_text(name: str, cell: Any) -> Any:
    """An XLSX cell as the text a CSV would hold (numbers stay numbers in the value column)."""
    if isinstance(cell, datetime | date) and name == "period":
        return cell.strftime("%Y%m%d")
    if isinstance(cell, float) and cell.is_integer() and name != "value":
        cell = int(cell)
    if isinstance(cell, int) and not isinstance(cell, bool) and name == "org_unit":
        return f"{cell:02d}" if cell < 100 else f"{cell:05d}"  # Excel drops the leading zero
    if cell is None or name == "value":
        return cell
    return str(cell)


def read_xlsx(data: bytes) -> list[FileRow]:
    """The data lines of the first sheet of an XLSX file."""
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise Invalid("import_format", details={"problem": str(exc)[:200]}) from None
    try:
        sheet = book.worksheets[0]
        numbered = enumerate(sheet.iter_rows(values_only=True), start=1)
        head = next(numbered, None)
        if head is None:
            raise Invalid("import_header", details={"header": [], "missing": list(REQUIRED)})
        names = _header(head[1])
        rows = list(_rows(names, numbered))
    finally:
        book.close()
    for row in rows:
        row.cells = {n: _xlsx_text(n, c) for n, c in row.cells.items()}
    return rows


def read_file(data: bytes, filename: str = "") -> list[FileRow]:
    """The data lines of a CSV or XLSX file (XLSX by its name or its zip signature)."""
    if filename.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return read_xlsx(data)
    return read_csv(data)


# --- checking and writing ---------------------------------------------------------------


@dataclass
class Checked:
    """A file checked against the catalogue, the org units and the caller's rights."""

    report: ImportReport
    plan: values.Plan


def _item(row: FileRow, file_convention: Convention, status: str) -> dict[str, Any]:
    if row.cells.get("_extra"):
        raise Problem("value", "extra_cells")
    raw = row.cells.get("value")
    if isinstance(raw, str):
        number: Any = parse_number(raw, file_convention) if raw.strip() else None
    else:
        number = raw
    comment = row.cells.get("comment")
    item = {k: row.cells.get(k) or "" for k in ("indicator", "org_unit", "period")}
    return item | {"value": number, "status": status, "comment": comment or None}


def check_file(
    session: Session,
    principal: Principal,
    data: bytes,
    filename: str = "",
    *,
    status: str = "submitted",
    lang: str = "vi",
) -> Checked:
    """Read and check a file; every refused line is in the report (nothing is written)."""
    rows = read_file(data, filename)
    texts = [r.cells["value"] for r in rows if isinstance(r.cells.get("value"), str)]
    file_convention = convention(texts)
    errors: list[LineError] = []
    items: list[dict[str, Any]] = []
    lines: list[int] = []
    for row in rows:
        try:
            items.append(_item(row, file_convention, status))
        except Problem as problem:
            errors.append(
                LineError.of(row.line, problem.field, problem.error, lang, **problem.params)
            )
            continue
        lines.append(row.line)
    plan = values.check_values(session, principal, items, lang)
    for e in plan.errors:
        params = dict(e.params)
        if "other" in params:
            params["other"] = lines[params["other"]]
        errors.append(LineError.of(lines[e.index], e.field, e.error, lang, **params))
    errors.sort(key=lambda e: e.line)
    report = ImportReport(rows=len(rows), failed=len(errors), errors=errors[:MAX_ERRORS])
    return Checked(report, plan)


def write(session: Session, principal: Principal, checked: Checked) -> ImportReport:
    """Write the valid lines of a checked file (source "import")."""
    done = values.apply(session, principal, checked.plan, "import")
    return checked.report.model_copy(
        update={"created": done.created, "updated": done.updated, "unchanged": done.unchanged}
    )


def import_values(
    session: Session,
    principal: Principal,
    data: bytes,
    filename: str = "",
    *,
    mode: Mode = "all_or_nothing",
    status: str = "submitted",
    lang: str = "vi",
) -> ImportReport:
    """Import a file: all or nothing (``invalid_import`` lists the lines), or ``partial``."""
    checked = check_file(session, principal, data, filename, status=status, lang=lang)
    report = checked.report
    if report.failed and mode != "partial":
        raise Invalid(
            "invalid_import",
            details={"rows": report.rows, "errors": [e.model_dump() for e in report.errors]},
            count=report.failed,
        )
    return write(session, principal, checked)
