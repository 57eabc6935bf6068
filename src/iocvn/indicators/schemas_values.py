"""API shapes of data values, targets and period locks, and the texts of their row errors.

The field names of ``ValuesIn`` and ``TargetsIn`` are a contract (issue #3, Interfaces). The
input shapes are deliberately loose about types: a wrong value in one row is reported as a
row error (``invalid_values``) naming the row and the field, like a bad line of an import file.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictFloat, StrictInt, StrictStr

from iocvn.core.i18n import register, t

MAX_ROWS = 100_000  # per request; larger loads go through the importer or several requests
Mode = Literal["all_or_nothing", "partial"]
PostStatus = Literal["draft", "submitted", "approved"]
Id = Annotated[int, Field(ge=1, le=2**63 - 1)]
# Any JSON scalar, kept as sent: the service turns a wrong type into a row error (a boolean
# or a number written as words), where a lax model would silently read ``true`` as 1.
Scalar = StrictFloat | StrictInt | StrictStr | StrictBool | None

# Row errors: ``row.<code>`` keys, so the codes may share names with request-level errors.
register(
    {
        "row.required": ("Thiếu trường {field}.", "The field {field} is missing."),
        "row.unknown_indicator": ("Không có chỉ số {code}.", "No indicator {code}."),
        "row.inactive_indicator": (
            "Chỉ số {code} đã ngừng sử dụng.",
            "Indicator {code} is no longer in use.",
        ),
        "row.computed_indicator": (
            "Chỉ số {code} được tính theo công thức, không nhập số liệu.",
            "Indicator {code} is computed from a formula and takes no values.",
        ),
        "row.unknown_org_unit": ("Không có đơn vị {code}.", "No org unit {code}."),
        "row.org_unit_not_valid": (
            "Đơn vị {code} không còn hoặc chưa tồn tại trong kỳ {period}.",
            "Org unit {code} did not exist during period {period}.",
        ),
        "row.out_of_scope": (
            "Bạn không có quyền với chỉ số {indicator} của đơn vị {org_unit}.",
            "You may not act on indicator {indicator} for org unit {org_unit}.",
        ),
        "row.invalid_period": (
            "Mã kỳ {period} không hợp lệ; ví dụ đúng: {expected}.",
            "Period {period} is not valid; for example: {expected}.",
        ),
        "row.period_type_mismatch": (
            "Kỳ {period} không khớp tần suất của chỉ số; ví dụ đúng: {expected}.",
            "Period {period} does not fit the indicator's frequency; for example: {expected}.",
        ),
        "row.period_not_in_year": (
            "Kỳ {period} không thuộc năm {year}.",
            "Period {period} is not in year {year}.",
        ),
        "row.not_a_number": ("Giá trị «{value}» không phải là số.", "«{value}» is not a number."),
        "row.ambiguous_number": (
            "Trong «{value}» dấu chấm hoặc dấu phẩy có thể là phân cách hàng nghìn hoặc dấu "
            "thập phân; hãy viết không phân cách (1234) hoặc thêm chữ số thập phân "
            "(1.234,0 hay 1.2340).",
            "In «{value}» the dot or comma may group thousands or mark decimals; write it "
            "without separators (1234) or with more decimals (1.234,0 or 1.2340).",
        ),
        "row.not_finite": ("Giá trị phải là một số hữu hạn.", "The value must be a finite number."),
        "row.not_a_count": (
            "Chỉ số đếm nhận số nguyên không âm, không nhận {value}.",
            "A count takes a non-negative whole number, not {value}.",
        ),
        "row.out_of_range": (
            "Giá trị {value} nằm ngoài khoảng {min} đến {max}.",
            "The value {value} is outside {min} to {max}.",
        ),
        "row.invalid_status": (
            "Trạng thái «{value}» không hợp lệ; dùng draft, submitted hoặc approved.",
            "Status «{value}» is not valid; use draft, submitted or approved.",
        ),
        "row.approve_not_allowed": (
            "Chỉ cơ quan chủ trì chỉ số {indicator} hoặc IOC được phê duyệt số liệu.",
            "Only the owner agency of {indicator} or the IOC may approve its values.",
        ),
        "row.duplicate_row": (
            "Trùng chỉ số, đơn vị và kỳ với dòng {other}.",
            "Same indicator, org unit and period as row {other}.",
        ),
        "row.duplicate_line": (
            "Trùng chỉ số, đơn vị và kỳ với dòng {other}.",
            "Same indicator, org unit and period as line {other}.",
        ),
        "row.period_locked": (
            "Kỳ {period} của chỉ số {indicator} đã khóa số liệu.",
            "Period {period} of indicator {indicator} is locked.",
        ),
        "row.too_long": (
            "Trường {field} dài quá {max} ký tự.",
            "The field {field} is longer than {max} characters.",
        ),
        "row.invalid_text": (
            "Trường {field} chứa ký tự không hợp lệ.",
            "The field {field} holds a character that is not allowed.",
        ),
        "row.invalid_year": (
            "Năm «{value}» phải là số nguyên từ 2000 đến 2100.",
            "The year «{value}» must be a whole number from 2000 to 2100.",
        ),
        "row.not_found": ("Không có số liệu mã {id}.", "No data value with id {id}."),
        "row.not_current": (
            "Số liệu {id} đã có phiên bản mới hơn.",
            "Data value {id} has been superseded by a newer version.",
        ),
        "row.status_transition": (
            "Không thể chuyển số liệu từ «{current}» sang «{target}».",
            "A value cannot go from «{current}» to «{target}».",
        ),
        "row.extra_cells": (
            "Dòng có nhiều ô hơn dòng tiêu đề.",
            "The line has more cells than the header.",
        ),
    }
)


class RowError(BaseModel):
    """One refused row: its position (from 0 in a request), the field, a code and a text."""

    index: int
    field: str
    error: str
    message: str
    # What the text was filled with: lets callers re-render it in another language.
    params: dict[str, Any] = Field(default_factory=dict, exclude=True)

    @classmethod
    def of(cls, index: int, field: str, error: str, lang: str = "vi", /, **params: Any) -> RowError:
        """A row error with its text in ``lang`` (``params`` fill the text)."""
        params.setdefault("field", field)
        return cls(
            index=index,
            field=field,
            error=error,
            message=t(f"row.{error}", lang, **params),
            params=params,
        )

    def text(self, lang: str) -> str:
        """The error's text in ``lang``."""
        return t(f"row.{self.error}", lang, **self.params)


class ValueIn(BaseModel):
    """One value of ``POST /api/v1/data-values`` (checked row by row by the service)."""

    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(max_length=200)
    org_unit: str = Field(max_length=200)
    period: str = Field(max_length=200)
    value: Scalar = Field(default=None, description="a number (or a string such as '12.5')")
    comment: str | None = Field(default=None, max_length=4000, description="absent: keep")
    status: str = Field(default="submitted", max_length=20, description="draft|submitted|approved")


class ValuesIn(BaseModel):
    """``POST /api/v1/data-values``."""

    model_config = ConfigDict(extra="forbid")

    values: list[ValueIn] = Field(max_length=MAX_ROWS)


class PostReport(BaseModel):
    """What a post of values did; ``errors`` is empty unless the mode was ``partial``."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = Field(default_factory=list)
    # Values far from the unit's history (robust z-score): saved, but worth a second look.
    warnings: list[dict[str, Any]] = Field(default_factory=list)


class DataValueOut(BaseModel):
    """A stored value (current or past version)."""

    id: int
    indicator: str
    org_unit: str
    period: str
    period_start: date
    period_end: date
    value: float
    comment: str
    status: str
    version: int
    is_current: bool
    source: str
    created_by: str
    created_at: datetime
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None


class Selection(BaseModel):
    """Current values chosen by filters instead of ids (each filter optional)."""

    model_config = ConfigDict(extra="forbid")

    indicator: str | None = Field(default=None, max_length=64)
    org_unit: str | None = Field(default=None, max_length=32)
    period: str | None = Field(default=None, max_length=10)


class ApproveIn(BaseModel):
    """``POST /data-values/approve`` and ``/submit``: ids, or a selection of current values."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Id] | None = Field(default=None, max_length=MAX_ROWS)
    selection: Selection | None = None


class RejectIn(BaseModel):
    """``POST /data-values/reject``: the values and why (shown to the submitter)."""

    model_config = ConfigDict(extra="forbid")

    ids: list[Id] = Field(min_length=1, max_length=MAX_ROWS)
    comment: str = Field(min_length=1, max_length=1000)


class WorkflowReport(BaseModel):
    """The values a workflow step changed (ids of the current rows afterwards)."""

    changed: int
    ids: list[int]


class TargetIn(BaseModel):
    """One target of ``POST /api/v1/targets`` (checked row by row by the service)."""

    model_config = ConfigDict(extra="forbid")

    indicator: str = Field(max_length=200)
    org_unit: str = Field(max_length=200)
    year: Scalar = None
    value: Scalar = Field(default=None, description="a number")
    period: str | None = Field(default=None, max_length=200, description="within the year")
    source_document: str | None = Field(default=None, max_length=300, description="absent: keep")


class TargetsIn(BaseModel):
    """``POST /api/v1/targets``."""

    model_config = ConfigDict(extra="forbid")

    targets: list[TargetIn] = Field(max_length=MAX_ROWS)


class TargetReport(BaseModel):
    """What a post of targets did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0


class TargetOut(BaseModel):
    """A stored target; ``period`` is "" for the whole year."""

    indicator: str
    org_unit: str
    year: int
    period: str
    value: float
    source_document: str
    updated_by: str
    updated_at: datetime


class LockIn(BaseModel):
    """``POST /period-locks``: a period, for one indicator or (null) all of them."""

    model_config = ConfigDict(extra="forbid")

    period: str = Field(max_length=10)
    indicator: str | None = Field(default=None, max_length=64)


class LockOut(BaseModel):
    """A period lock."""

    model_config = ConfigDict(from_attributes=True)

    period: str
    indicator: str | None = Field(validation_alias="indicator_code")
    locked_by: str
    locked_at: datetime


class LineError(BaseModel):
    """One refused line of an import file (lines from 1, the header is line 1)."""

    line: int
    field: str
    error: str
    message: str
    params: dict[str, Any] = Field(default_factory=dict, exclude=True)
    key: str = Field(default="", exclude=True)  # the text's key when not ``row.<error>``

    @classmethod
    def of(cls, line: int, field: str, error: str, lang: str = "vi", /, **params: Any) -> LineError:
        """A line error with its text in ``lang`` (duplicates name the other line)."""
        params.setdefault("field", field)
        key = "row.duplicate_line" if error == "duplicate_row" else f"row.{error}"
        message = t(key, lang, **params)
        return cls(line=line, field=field, error=error, message=message, params=params, key=key)

    def text(self, lang: str) -> str:
        """The error's text in ``lang``."""
        return t(self.key or f"row.{self.error}", lang, **self.params)


class ImportReport(BaseModel):
    """What an import did: rows read, values written, the refused lines (the first 1,000 of
    ``failed``)."""

    rows: int
    failed: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[LineError] = Field(default_factory=list)
