"""The violation log (nhật ký vi phạm) of industrial-zone emission rules (issue #5, R6: "the
system automatically logs each violation"): one row per episode of a firing alert.

Written by :mod:`.violations` only, never through the API. Append-only: once written, a row
changes only when its episode goes on (``peak_value``) and ends (``ended_at``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.ids import new_id
from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow


class AlertViolation(Base):
    """One violation (vi phạm): an alert of an emission rule that fired, from when the limit
    was first exceeded to when the alert resolved, with the exceeded values and their limits.

    ``quantity``, ``op``, ``limit_value``, ``unit`` and ``value`` are the first limit exceeded
    when it fired (for a combined rule ``exceeded`` lists each one); ``peak_value`` the worst
    reading of that quantity over the episode (highest for ``>``/``>=``, lowest for
    ``<``/``<=``).
    """

    __tablename__ = "alert_violations"
    __table_args__ = (
        UniqueConstraint("instance_id", "fired_at", name="uq_alert_violations_instance_fired"),
        Index("ix_alert_violations_started_at", "started_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    rule_id: Mapped[str] = mapped_column(ForeignKey("alert_rules.id"), index=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("alert_instances.id"), index=True)
    rule_name: Mapped[str] = mapped_column(String(200))
    device: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    org_code: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    area_code: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    severity: Mapped[str] = mapped_column(String(10))
    quantity: Mapped[str | None] = mapped_column(String(64), default=None)
    op: Mapped[str | None] = mapped_column(String(2), default=None)
    limit_value: Mapped[float | None] = mapped_column(Float, default=None)
    unit: Mapped[str] = mapped_column(String(32), default="")
    value: Mapped[float | None] = mapped_column(Float, default=None)
    exceeded: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    peak_value: Mapped[float | None] = mapped_column(Float, default=None)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    fired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    def snapshot(self) -> dict[str, Any]:
        """The audited fields."""
        return {
            "rule_id": self.rule_id, "instance_id": self.instance_id, "device": self.device,
            "quantity": self.quantity, "op": self.op, "limit_value": self.limit_value,
            "unit": self.unit, "value": self.value, "exceeded": list(self.exceeded),
            "peak_value": self.peak_value, "severity": self.severity,
            "started_at": self.started_at.isoformat(), "fired_at": self.fired_at.isoformat(),
            "ended_at": self.ended_at.isoformat() if self.ended_at else None,
        }  # fmt: skip
