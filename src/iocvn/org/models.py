"""Tables of the organisation domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow

LEVELS = ("province", "commune", "agency")


class OrgUnit(Base):
    """An administrative unit (tỉnh, xã, phường, đặc khu) or an agency (sở, ban, ngành).

    ``code`` is the official GSO code for administrative units (``20``, ``05977``) and
    ``<province>.<abbreviation>`` for agencies (``20.SYT``).
    """

    __tablename__ = "org_units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    short_name: Mapped[str] = mapped_column(String(200), default="")
    unit_type: Mapped[str] = mapped_column(String(60), default="")
    level: Mapped[str] = mapped_column(String(16), index=True)
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("org_units.code"), index=True, default=None
    )
    province_code: Mapped[str] = mapped_column(String(8), index=True)
    valid_from: Mapped[date] = mapped_column(Date)
    valid_to: Mapped[date | None] = mapped_column(Date, default=None)
    formed_from: Mapped[list[str]] = mapped_column(JSON, default=list)
    search_key: Mapped[str] = mapped_column(String(400), default="")
    sector: Mapped[str] = mapped_column(String(100), default="")
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    area_km2: Mapped[float | None] = mapped_column(Float, default=None)
    # Loaded only when used: a province outline is hundreds of kB of JSON, and every request
    # that resolves a caller's scope loads their unit.
    geometry: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None, deferred=True)
    geometry_source: Mapped[str | None] = mapped_column(String(200), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (Index("ix_org_units_level_parent", "level", "parent_code"),)
