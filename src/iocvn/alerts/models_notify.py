"""Tables of alert notifications (issue #5): contact points (điểm nhận thông báo) and the
notification groups' state, so that Alertmanager's group_wait, group_interval and
repeat_interval hold across evaluation rounds and server processes.

The messages themselves are rows of the notification outbox (``notify``); a contact point
keeps its destination encrypted, as the outbox does, with a masked form beside it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.ids import new_id
from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow


class AlertContactPoint(Base):
    """Where alerts are sent: a channel (``email``, ``sms``, ``webhook`` or a plugin's) and a
    destination, for the alerts its ``matchers`` match at ``min_severity`` or above, on one
    rung of the escalation ladder (0: the ordinary notification)."""

    __tablename__ = "alert_contact_points"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(32))
    destination: Mapped[str] = mapped_column(Text)  # encrypted with IOCVN_DATA_KEYS
    destination_masked: Mapped[str] = mapped_column(String(200))
    matchers: Mapped[list[str]] = mapped_column(JSON, default=list)  # none: every alert
    min_severity: Mapped[str] = mapped_column(String(10), default="info")
    group_by: Mapped[list[str]] = mapped_column(JSON, default=list)
    escalation_level: Mapped[int] = mapped_column(Integer, default=0, index=True)
    org_code: Mapped[str] = mapped_column(String(32), index=True)  # whose: its reach
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def snapshot(self) -> dict[str, Any]:
        """The audited fields (the masked destination only)."""
        return {
            "name": self.name, "channel": self.channel, "destination": self.destination_masked,
            "matchers": list(self.matchers), "min_severity": self.min_severity,
            "group_by": list(self.group_by), "escalation_level": self.escalation_level,
            "org_unit": self.org_code, "enabled": self.enabled,
        }  # fmt: skip


class AlertGroupState(Base):
    """One notification group of one receiver (a contact point's id, or ``unit:<code>`` for
    the officers of a unit): the engine's ``AlertGroup`` minus its members, which each round
    recomputes from the alerts. ``notified``: the ``[fingerprint, state]`` pairs the last
    notification reported active."""

    __tablename__ = "alert_group_states"
    __table_args__ = (
        UniqueConstraint("receiver", "group_key", name="uq_alert_group_states_receiver_key"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    receiver: Mapped[str] = mapped_column(String(64), index=True)
    group_key: Mapped[str] = mapped_column(String(64))  # a hash of the group's labels
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    flushed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    notified: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
