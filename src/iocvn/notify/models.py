"""Tables of the notification domain: one row per message to one destination."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.ids import new_id
from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow

# pending: never tried; sending: claimed by a deliverer; sent: the channel accepted it;
# failed: the last attempt failed, another is due at next_attempt_at; dead: no more attempts.
STATUSES = ("pending", "sending", "sent", "failed", "dead")
MAX_ATTEMPTS = 5


class Notification(Base):
    """A message to one destination over one channel, and how its delivery went."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(32), index=True)  # email, sms, a plugin's name
    destination: Mapped[str] = mapped_column(Text)  # encrypted with IOCVN_DATA_KEYS
    destination_hash: Mapped[str] = mapped_column(String(64), index=True)  # keyed, for lookup
    destination_masked: Mapped[str] = mapped_column(String(200))  # h***@example.vn
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    purpose: Mapped[str] = mapped_column(String(64), index=True)  # indicators.reminder
    reference: Mapped[str] = mapped_column(String(100), default="")  # what it is about
    org_code: Mapped[str | None] = mapped_column(  # whose business it is (scope)
        ForeignKey("org_units.code"), index=True, default=None
    )
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=MAX_ATTEMPTS)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    provider_id: Mapped[str | None] = mapped_column(String(200), default=None)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
