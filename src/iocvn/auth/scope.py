"""Org scope: what part of the province a user sees. The one place the filter is built.

A user's scope follows their org unit: the province sees everything; a commune (xã, phường)
sees its own area; an agency (sở, ngành) sees the whole province's area but only its own
sector's data. Queries call :meth:`OrgScope.area_clause` / :meth:`OrgScope.sector_clause`
instead of writing their own filters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, or_, true

from iocvn.org.models import OrgUnit


@dataclass(frozen=True)
class OrgScope:
    """The caller's reach: ``level`` is province, commune or agency."""

    level: str
    org_code: str
    province_code: str

    @classmethod
    def of(cls, unit: OrgUnit) -> OrgScope:
        """The scope of a user belonging to ``unit``."""
        return cls(level=unit.level, org_code=unit.code, province_code=unit.province_code)

    @property
    def is_province(self) -> bool:
        """True when the caller sees the whole province."""
        return self.level == "province"

    def area_clause(self, column: Any) -> ColumnElement[bool]:
        """Filter on a column holding the commune (or province) code a record belongs to."""
        if self.level == "commune":
            return column == self.org_code  # type: ignore[no-any-return]
        return true()

    def sector_clause(self, column: Any) -> ColumnElement[bool]:
        """Filter on a column holding the owning agency's code."""
        if self.level == "agency":
            return column == self.org_code  # type: ignore[no-any-return]
        return true()

    def handling_clause(self, org_column: Any, area_column: Any) -> ColumnElement[bool]:
        """Cases (citizen feedback, tasks) the caller's unit handles or whose place it governs.

        The province sees all; an agency the cases assigned to it; a commune those assigned
        to it and those located in it.
        """
        if self.level == "agency":
            return org_column == self.org_code  # type: ignore[no-any-return]
        if self.level == "commune":
            return or_(org_column == self.org_code, area_column == self.org_code)
        return true()

    def org_unit_clause(self) -> ColumnElement[bool]:
        """Which org units the caller may see.

        Everyone sees the province and the directory of agencies; a commune sees itself and
        not the other communes' records.
        """
        if self.level == "commune":
            return or_(OrgUnit.code == self.org_code, OrgUnit.level.in_(("province", "agency")))
        return true()

    def covers_unit(self, unit: OrgUnit) -> bool:
        """The Python twin of :meth:`org_unit_clause` for a loaded unit."""
        if self.level == "commune":
            return unit.code == self.org_code or unit.level in ("province", "agency")
        return True

    def may_edit_unit(self, unit: OrgUnit) -> bool:
        """Edits: the province edits all; an agency edits itself; a commune edits itself."""
        if self.level == "province":
            return True
        return unit.code == self.org_code

    def as_dict(self) -> dict[str, str]:
        """The JSON shape returned by ``/api/v1/me``."""
        return {"level": self.level, "org_unit": self.org_code, "province": self.province_code}
