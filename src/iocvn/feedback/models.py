"""Tables of citizen feedback (phản ánh, kiến nghị): categories, routing, cases with their
sealed reporter details, the timeline, photos, clock pauses, the working calendar and the
classifier models trained from the province's own history.

A case's personal data lives only in the ``reporter_*`` columns, sealed with
:mod:`iocvn.core.pii`; every other column may be shown to the handling unit, and only
``public_*`` columns and the case code reach the public and Open311.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.ids import new_id
from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow

CHANNELS = ("web", "open311", "hotline", "walk_in", "webhook", "zalo", "email", "app")
STATUSES = ("received", "accepted", "rejected", "assigned", "in_progress", "resolved", "closed")
OPEN_STATUSES = ("received", "accepted", "assigned", "in_progress")
OUTCOMES = ("fixed", "fixed_confirmed", "rejected", "transferred", "not_our_remit", "duplicate")
PRIORITIES = ("urgent", "normal", "complex")
STAGES = ("accept", "resolve")
PHOTO_STAGES = ("report", "resolution")


class FeedbackCategory(Base):
    """A category of the editable tree (lĩnh vực phản ánh): ``giao_thong.o_ga``."""

    __tablename__ = "feedback_categories"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    name_vi: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str] = mapped_column(String(200), default="")
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("feedback_categories.code"), default=None, index=True
    )
    description: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    resolve_days: Mapped[int | None] = mapped_column(Integer, default=None)
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    sort: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class RoutingRule(Base):
    """Which unit handles a category in an area (bảng phân công xử lý).

    The most specific rule wins: category and commune, then category anywhere, then the
    commune for any category (its People's Committee), then the province's default."""

    __tablename__ = "feedback_routes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    category_code: Mapped[str | None] = mapped_column(
        ForeignKey("feedback_categories.code"), default=None, index=True
    )
    area_code: Mapped[str | None] = mapped_column(
        ForeignKey("org_units.code"), default=None, index=True
    )
    org_code: Mapped[str] = mapped_column(ForeignKey("org_units.code"))
    note: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("category_code", "area_code", name="category_area"),)


class Feedback(Base):
    """A citizen's report (phản ánh, kiến nghị) and its handling."""

    __tablename__ = "feedback"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(20), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16), index=True)
    external_id: Mapped[str | None] = mapped_column(String(100), default=None)
    category_code: Mapped[str | None] = mapped_column(
        ForeignKey("feedback_categories.code"), default=None, index=True
    )
    category_confirmed: Mapped[bool] = mapped_column(Boolean, default=False)
    suggested_category: Mapped[str | None] = mapped_column(String(64), default=None)
    suggested_confidence: Mapped[float | None] = mapped_column(Float, default=None)
    description: Mapped[str] = mapped_column(Text)
    address: Mapped[str] = mapped_column(String(500), default="")
    lat: Mapped[float | None] = mapped_column(Float, default=None)
    lon: Mapped[float | None] = mapped_column(Float, default=None)
    located_by: Mapped[str] = mapped_column(String(16), default="point")  # point, address
    area_code: Mapped[str | None] = mapped_column(
        ForeignKey("org_units.code"), default=None, index=True
    )
    org_code: Mapped[str | None] = mapped_column(
        ForeignKey("org_units.code"), default=None, index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="received", index=True)
    outcome: Mapped[str | None] = mapped_column(String(20), default=None)
    outcome_reason: Mapped[str] = mapped_column(Text, default="")
    remit_body: Mapped[str] = mapped_column(String(300), default="")
    public_answer: Mapped[str] = mapped_column(Text, default="")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    duplicate_of: Mapped[str | None] = mapped_column(
        ForeignKey("feedback.id"), default=None, index=True
    )
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    reporter_name: Mapped[str | None] = mapped_column(Text, default=None)
    reporter_phone: Mapped[str | None] = mapped_column(Text, default=None)
    reporter_email: Mapped[str | None] = mapped_column(Text, default=None)
    reporter_id_number: Mapped[str | None] = mapped_column(Text, default=None)
    phone_index: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    email_index: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    notify_by: Mapped[str | None] = mapped_column(String(10), default=None)  # email, sms
    source_key: Mapped[str] = mapped_column(String(64), default="")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    stage: Mapped[str] = mapped_column(String(10), default="accept")
    stage_started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None, index=True)
    escalation: Mapped[str] = mapped_column(String(12), default="unit")
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    resolved_on_time: Mapped[bool | None] = mapped_column(Boolean, default=None)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    fixed_confirmed: Mapped[bool | None] = mapped_column(Boolean, default=None)
    satisfaction: Mapped[int | None] = mapped_column(Integer, default=None)
    personal_data_erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    __table_args__ = (
        Index("ix_feedback_status_deadline", "status", "deadline_at"),
        Index("ix_feedback_org_status", "org_code", "status"),
        Index("ix_feedback_external", "channel", "external_id"),
    )


class FeedbackEvent(Base):
    """One step of a case's timeline; ``public`` steps are shown to the reporter and public."""

    __tablename__ = "feedback_events"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    kind: Mapped[str] = mapped_column(String(24))
    actor: Mapped[str] = mapped_column(String(100), default="")
    org_code: Mapped[str | None] = mapped_column(String(32), default=None)
    public: Mapped[bool] = mapped_column(Boolean, default=False)
    text: Mapped[str] = mapped_column(Text, default="")
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class FeedbackPhoto(Base):
    """A photo of a report or a resolution, re-encoded without its metadata (EXIF)."""

    __tablename__ = "feedback_photos"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id"), index=True)
    stage: Mapped[str] = mapped_column(String(12), default="report")
    content_type: Mapped[str] = mapped_column(String(40))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ClockPause(Base):
    """A stretch when a case's clock stood still (an approved extension, gia hạn)."""

    __tablename__ = "feedback_pauses"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(Text, default="")
    approved_by: Mapped[str] = mapped_column(String(100), default="")


EXTENSION_REQUEST_STATUSES = ("pending", "approved", "refused", "lapsed")


class ExtensionRequest(Base):
    """A handling unit's request for more time (đề nghị gia hạn), decided by the IOC.

    At most one ``pending`` request per case (a partial unique index); ``lapsed`` when the case
    left the unit's hands (resolved, rejected, transferred, merged) before a decision."""

    __tablename__ = "feedback_extension_requests"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    feedback_id: Mapped[str] = mapped_column(ForeignKey("feedback.id"), index=True)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    working_days: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    org_code: Mapped[str] = mapped_column(String(32))  # the requesting unit
    requested_by: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_by: Mapped[str | None] = mapped_column(String(100), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    approved_days: Mapped[int | None] = mapped_column(Integer, default=None)
    decision_note: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (
        Index(
            "uq_feedback_extension_requests_pending",
            "feedback_id",
            unique=True,
            sqlite_where=text("status = 'pending'"),
            postgresql_where=text("status = 'pending'"),
        ),
    )


class CalendarDay(Base):
    """A day that differs from the usual week: a public holiday, or a working day moved onto
    a weekend (làm bù). Edited per year by the province."""

    __tablename__ = "work_calendar_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))  # holiday, workday
    name: Mapped[str] = mapped_column(String(200), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ClassifierModel(Base):
    """A category classifier trained by this service on the province's labelled cases."""

    __tablename__ = "feedback_classifiers"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100), default="")
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    report: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
