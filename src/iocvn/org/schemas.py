"""API shapes of the organisation domain (Pydantic v2): units, edits, reports, lookups.

Shapes only: no database access and no imports from ``models`` beyond what
``from_attributes`` reads at run time.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Level = Literal["province", "commune", "agency"]


class ProvinceInfo(BaseModel):
    """A province or centrally-run city of the official list (after 1 July 2025)."""

    code: str
    name: str
    short_name: str
    unit_type: str
    commune_count: int
    has_boundaries: bool = Field(description="iocvn ships real commune boundaries for it")


class OrgUnitOut(BaseModel):
    """An organisation unit as listed (without its geometry)."""

    model_config = ConfigDict(from_attributes=True)

    code: str
    name: str
    short_name: str
    unit_type: str
    level: Level
    parent_code: str | None
    province_code: str
    valid_from: date
    valid_to: date | None
    formed_from: list[str]
    sector: str
    lat: float | None
    lon: float | None
    area_km2: float | None
    geometry_source: str | None
    updated_at: datetime


class OrgUnitDetail(OrgUnitOut):
    """One unit with its boundary (a GeoJSON geometry, RFC 7946) when known."""

    geometry: dict[str, Any] | None


def _clean_text(value: str | None) -> str | None:
    return " ".join(value.split()) if value is not None else None


class AgencyCreate(BaseModel):
    """A new agency (sở, ban, ngành, đơn vị trực thuộc) of a province."""

    model_config = ConfigDict(extra="forbid")

    province_code: str = Field(min_length=2, max_length=8)
    abbr: str = Field(min_length=2, max_length=16, description="e.g. SYT; the code is 20.SYT")
    name: str = Field(min_length=2, max_length=200)
    short_name: str = Field(default="", max_length=200)
    unit_type: str = Field(default="", max_length=60, description="e.g. Sở, Ban, Trung tâm")
    sector: str = Field(default="", max_length=100, pattern=r"^([a-z][a-z0-9_]*)?$")
    parent_code: str | None = Field(default=None, description="default: the province")
    valid_from: date | None = None

    _strip = field_validator("name", "short_name", "unit_type")(_clean_text)


class OrgUnitUpdate(BaseModel):
    """Editable fields of a unit; ``code`` and ``level`` never change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=2, max_length=200)
    short_name: str | None = Field(default=None, max_length=200)
    unit_type: str | None = Field(default=None, max_length=60)
    sector: str | None = Field(default=None, max_length=100, pattern=r"^([a-z][a-z0-9_]*)?$")
    parent_code: str | None = None
    valid_from: date | None = None
    valid_to: date | None = None
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    area_km2: float | None = Field(default=None, ge=0)

    _strip = field_validator("name", "short_name", "unit_type")(_clean_text)


class SeedReport(BaseModel):
    """What ``seed_province`` did."""

    province_code: str
    province_name: str
    communes: int = Field(description="communes, wards and special zones in the official list")
    agencies: int = Field(description="agencies in the standard list")
    created: list[str] = Field(description="codes of units created")
    updated: list[str] = Field(description="codes of units whose seeded fields changed")
    closed: list[str] = Field(description="communes no longer in the official list (valid_to set)")
    unchanged: int
    boundaries: int = Field(description="units carrying the boundary shipped with iocvn")


class UnmatchedFeature(BaseModel):
    """A feature of an imported file that was not loaded, and why."""

    index: int = Field(description="position in the features array, from 1")
    line: int | None = Field(description="line of the file where the feature starts, if known")
    reason: str
    properties: dict[str, Any]


class UnitRef(BaseModel):
    """A unit named in a report."""

    code: str
    name: str


class ImportReport(BaseModel):
    """What ``import_boundaries`` did; unmatched features are listed and not loaded."""

    features: int
    matched_by_code: int
    matched_by_name: int
    matched_levels: dict[str, int] = Field(description='e.g. {"province": 1, "commune": 124}')
    updated: int
    unchanged: int
    unmatched: list[UnmatchedFeature]
    units_without_boundary: list[UnitRef]
    outcome: Literal["all_loaded", "partially_loaded"]


class OldToNew(BaseModel):
    """A pre-2025 unit and the current commune it became (part of)."""

    old: str
    new_code: str
    new_name: str
    province_code: str
