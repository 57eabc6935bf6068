"""Tables of the alerts domain: public warnings (cảnh báo công khai) from draft to CAP 1.2.

One row is one CAP message in its life: drafted (``draft``), edited, then published by a
second person (``published``), later replaced by an ``Update`` (``superseded``) or withdrawn
by a ``Cancel`` (``cancelled``); a draft nobody publishes can be ``discarded``. The messages
of one warning share ``chain_id`` (the first message's id); an Update or Cancel names the
message it follows in ``previous_id``.

``body`` holds the warning as the API takes it (``POST /api/v1/warnings``), normalised; the
columns beside it repeat what lists filter and show. Once published, ``xml`` is the message
exactly as ``/cap/alerts/{identifier}.xml`` serves it, and never changes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.ids import new_id
from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow

STATES: Final = ("draft", "published", "superseded", "cancelled", "discarded")
"""A message's life: edited while ``draft``; ``published`` once; then ``superseded`` by an
Update or ``cancelled`` by a Cancel. ``discarded``: a draft given up, never published."""


class WarningMessage(Base):
    """One message of a public warning (Alert, Update or Cancel), from draft to published."""

    __tablename__ = "warnings"
    __table_args__ = (Index("ix_warnings_feed", "state", "sent"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    chain_id: Mapped[str] = mapped_column(String(26), index=True)
    previous_id: Mapped[str | None] = mapped_column(
        ForeignKey("warnings.id"), default=None, index=True
    )
    msg_type: Mapped[str] = mapped_column(String(8), default="Alert")  # Alert, Update, Cancel
    state: Mapped[str] = mapped_column(String(12), default="draft", index=True)
    # CAP's classification, repeated from ``body`` for lists and filters
    status: Mapped[str] = mapped_column(String(10), index=True)  # Actual, Exercise, …
    language: Mapped[str] = mapped_column(String(35), default="vi-VN")
    event: Mapped[str] = mapped_column(String(200))
    headline: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(12))
    urgency: Mapped[str] = mapped_column(String(12))
    severity: Mapped[str] = mapped_column(String(12))
    certainty: Mapped[str] = mapped_column(String(12))
    onset: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    expires: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    body: Mapped[dict[str, Any]] = mapped_column(JSON)
    org_code: Mapped[str] = mapped_column(ForeignKey("org_units.code"), index=True)
    source_alert_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # four eyes: whoever drafted or edited may not approve
    drafted_by: Mapped[str] = mapped_column(String(100))
    drafted_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    approved_by: Mapped[str | None] = mapped_column(String(100), default=None)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ended_by: Mapped[str | None] = mapped_column(String(100), default=None)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    # the CAP envelope, set when published
    identifier: Mapped[str | None] = mapped_column(String(200), unique=True, default=None)
    sender: Mapped[str | None] = mapped_column(String(200), default=None)
    sent: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    cap_references: Mapped[str] = mapped_column(Text, default="")
    xml: Mapped[str | None] = mapped_column(Text, default=None)
