"""API shapes of the indicator system. The field names are a contract (issue #3)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

CODE_PATTERN = r"^[A-Z][A-Z0-9_]*(\.[A-Z0-9_]+)*$"

ValueType = Literal["number", "percent", "count", "money", "ratio"]
Group = Literal["government", "long_term", "sector", "thematic"]
Frequency = Literal["daily", "weekly", "monthly", "quarterly", "half_yearly", "yearly"]
Direction = Literal["higher_better", "lower_better"]
SpaceAgg = Literal["sum", "average", "weighted_average", "min", "max", "none"]
TimeAgg = Literal["sum", "average", "last", "min", "max"]
Missing = Literal["skip", "zero", "carry_forward"]
Source = Literal["manual", "computed", "dataset", "sensor", "api"]


class Name(BaseModel):
    """A name in Vietnamese (required) and English."""

    model_config = ConfigDict(extra="forbid")

    vi: str = Field(min_length=2, max_length=300)
    en: str = Field(default="", max_length=300)

    @field_validator("vi", "en", mode="before")
    @classmethod
    def _squash(cls, value: object) -> object:
        # before the length check, so "  x " cannot slip through as a one-letter name
        return " ".join(value.split()) if isinstance(value, str) else value


class IndicatorIn(BaseModel):
    """``POST /api/v1/indicators`` and one entry of a catalogue file."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=2, max_length=64, pattern=CODE_PATTERN)
    name: Name
    unit: str = Field(min_length=1, max_length=60)
    value_type: ValueType = "number"
    group: Group = "sector"
    sector: str = Field(default="", max_length=60, pattern=r"^([a-z][a-z0-9_]*)?$")
    frequency: Frequency
    direction: Direction = "higher_better"
    space_agg: SpaceAgg
    time_agg: TimeAgg
    missing: Missing = "skip"
    carry_forward_max: int = Field(default=0, ge=0, le=120)
    weight: str | None = Field(default=None, max_length=64, pattern=CODE_PATTERN)
    formula: str | None = Field(default=None, max_length=500)
    decimals: int = Field(default=1, ge=0, le=6)
    owner: str | None = Field(default=None, max_length=32, description="agency: SYT or 20.SYT")
    source: Source | None = Field(default=None, description="default: computed for formulas")
    legal_basis: str = Field(default="", max_length=2000)
    description: str = Field(default="", max_length=4000)
    tags: list[str] = Field(default_factory=list, max_length=20)
    min_value: float | None = None
    max_value: float | None = None


class NameOut(BaseModel):
    """A stored name (not re-validated on the way out)."""

    vi: str
    en: str


class IndicatorOut(BaseModel):
    """An indicator as the API returns it (same fields as the input, plus its version)."""

    code: str
    name: NameOut
    unit: str
    value_type: ValueType
    group: Group
    sector: str
    frequency: Frequency
    direction: Direction
    space_agg: SpaceAgg
    time_agg: TimeAgg
    missing: Missing
    carry_forward_max: int
    weight: str | None
    formula: str | None
    decimals: int
    owner: str | None
    source: Source
    legal_basis: str
    description: str
    tags: list[str]
    min_value: float | None
    max_value: float | None
    version: int
    active: bool
    updated_at: datetime


class IndicatorVersionOut(BaseModel):
    """One version of a definition."""

    model_config = ConfigDict(from_attributes=True)

    version: int
    changed_by: str
    changed_at: datetime
    definition: dict[str, object]


class CatalogueReport(BaseModel):
    """What a catalogue import did."""

    created: list[str]
    updated: list[str]
    unchanged: int
