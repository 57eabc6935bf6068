"""Tables of the indicator system (bộ chỉ số): definitions and their versions, targets,
data values with their workflow and history, reporting schedules and period locks."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.ids import new_id
from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow

VALUE_TYPES = ("number", "percent", "count", "money", "ratio")
GROUPS = ("government", "long_term", "sector", "thematic")
FREQUENCIES = ("daily", "weekly", "monthly", "quarterly", "half_yearly", "yearly")
DIRECTIONS = ("higher_better", "lower_better")
SPACE_AGGS = ("sum", "average", "weighted_average", "min", "max", "none")
TIME_AGGS = ("sum", "average", "last", "min", "max")
MISSING = ("skip", "zero", "carry_forward")
SOURCES = ("manual", "computed", "dataset", "sensor", "api")
STATUSES = ("draft", "submitted", "approved", "rejected")

_ID = BigInteger().with_variant(Integer, "sqlite")


class Indicator(Base):
    """An indicator definition (chỉ số): what is measured, how often, how it adds up."""

    __tablename__ = "indicators"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(300))
    name_en: Mapped[str] = mapped_column(String(300), default="")
    unit: Mapped[str] = mapped_column(String(60))
    value_type: Mapped[str] = mapped_column(String(16), default="number")
    group: Mapped[str] = mapped_column(String(16), default="sector", index=True)
    sector: Mapped[str] = mapped_column(String(60), default="", index=True)
    frequency: Mapped[str] = mapped_column(String(16))
    direction: Mapped[str] = mapped_column(String(16), default="higher_better")
    space_agg: Mapped[str] = mapped_column(String(20))
    time_agg: Mapped[str] = mapped_column(String(10))
    missing: Mapped[str] = mapped_column(String(16), default="skip")
    carry_forward_max: Mapped[int] = mapped_column(Integer, default=0)
    weight: Mapped[str | None] = mapped_column(String(64), default=None)
    formula: Mapped[str | None] = mapped_column(Text, default=None)
    decimals: Mapped[int] = mapped_column(Integer, default=1)
    owner: Mapped[str | None] = mapped_column(ForeignKey("org_units.code"), default=None)
    source: Mapped[str] = mapped_column(String(16), default="manual")
    legal_basis: Mapped[str] = mapped_column(Text, default="")
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_value: Mapped[float | None] = mapped_column(Float, default=None)
    max_value: Mapped[float | None] = mapped_column(Float, default=None)
    version: Mapped[int] = mapped_column(Integer, default=1)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class IndicatorVersion(Base):
    """A past or present definition of an indicator: who changed what, when."""

    __tablename__ = "indicator_versions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    definition: Mapped[dict[str, Any]] = mapped_column(JSON)
    changed_by: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("code", "version"),)


class Target(Base):
    """A target (chỉ tiêu) of an indicator for an org unit: a year, or one period of it."""

    __tablename__ = "targets"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"))
    org_code: Mapped[str] = mapped_column(ForeignKey("org_units.code"))
    year: Mapped[int] = mapped_column(Integer)
    period: Mapped[str] = mapped_column(String(10), default="")  # "" = the whole year
    value: Mapped[float] = mapped_column(Float)
    source_document: Mapped[str] = mapped_column(String(300), default="")
    updated_by: Mapped[str] = mapped_column(String(64), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("indicator_code", "org_code", "year", "period"),)


class DataValue(Base):
    """One reported value of an indicator for an org unit and a period.

    Corrections never overwrite: a new row becomes current (``is_current``) and the old one
    stays as history. Only approved current values count in analytics.
    """

    __tablename__ = "data_values"

    id: Mapped[int] = mapped_column(_ID, primary_key=True, autoincrement=True)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"))
    org_code: Mapped[str] = mapped_column(ForeignKey("org_units.code"))
    period: Mapped[str] = mapped_column(String(10))
    period_start: Mapped[date] = mapped_column(Date)
    period_end: Mapped[date] = mapped_column(Date)
    value: Mapped[float] = mapped_column(Float)
    comment: Mapped[str] = mapped_column(String(1000), default="")
    status: Mapped[str] = mapped_column(String(10), default="draft")
    version: Mapped[int] = mapped_column(Integer, default=1)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    source: Mapped[str] = mapped_column(String(16), default="entry")  # entry|import|api|demo
    created_by: Mapped[str] = mapped_column(String(64), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    approved_by: Mapped[str | None] = mapped_column(String(64), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)

    __table_args__ = (
        # One current value per indicator × unit × period; history rows are not current.
        Index(
            "uq_data_values_current",
            "indicator_code",
            "org_code",
            "period",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        # Analytics read approved current values of one indicator over a date range.
        Index(
            "ix_data_values_analytics",
            "indicator_code",
            "period_start",
            "org_code",
            sqlite_where=text("is_current AND status = 'approved'"),
            postgresql_where=text("is_current AND status = 'approved'"),
        ),
        Index("ix_data_values_org_period", "org_code", "period"),
    )


class ReportingSchedule(Base):
    """Who reports which indicator, how often, by when (R3)."""

    __tablename__ = "reporting_schedules"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    indicator_code: Mapped[str] = mapped_column(ForeignKey("indicators.code"), index=True)
    # The reporting units: one unit, or every active unit of a level under a parent.
    org_code: Mapped[str | None] = mapped_column(ForeignKey("org_units.code"), default=None)
    level: Mapped[str | None] = mapped_column(String(16), default=None)
    deadline_days: Mapped[int] = mapped_column(Integer, default=20)  # after the period ends
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PeriodLock(Base):
    """Approved data of a period that may no longer change (a closed reporting round)."""

    __tablename__ = "period_locks"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    period: Mapped[str] = mapped_column(String(10))
    indicator_code: Mapped[str | None] = mapped_column(
        ForeignKey("indicators.code"), default=None
    )  # None: every indicator
    locked_by: Mapped[str] = mapped_column(String(64))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (UniqueConstraint("period", "indicator_code"),)
