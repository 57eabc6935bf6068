"""Tables of the alerting engine on the database (issue #5): rules (quy tắc cảnh báo), alert
instances (one per rule × series, with the engine's state), their transitions (history) and
silences (tạm tắt).

The engine (``iocvn.alerts.engine``) is pure; :mod:`.rules` loads these rows into its values,
steps them and stores what it returns. Times are UTC datetimes here and seconds since the
epoch in the engine (converted at the edge).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from iocvn.core.ids import new_id
from iocvn.core.models import Base, UTCDateTime
from iocvn.core.timeutil import utcnow


class AlertRule(Base):
    """A rule over a device (``device``) or the series its ``selector`` matches (label
    matchers in Alertmanager's syntax, e.g. ``kind="water_level"``, ``area="05977"``).

    ``condition`` is the engine's condition as JSON (:mod:`.conditions`); rules made before it
    existed have none and are the threshold of the flat ``quantity``, ``op`` and ``value``,
    which still hold every plain ``last(quantity) op value`` rule (null for other conditions).
    """

    __tablename__ = "alert_rules"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    device: Mapped[str | None] = mapped_column(String(64), index=True, default=None)
    selector: Mapped[list[str]] = mapped_column(JSON, default=list)
    quantity: Mapped[str | None] = mapped_column(String(64), default=None)
    op: Mapped[str | None] = mapped_column(String(2), default=None)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    condition: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    no_data_state: Mapped[str] = mapped_column(String(8), default="NoData", server_default="NoData")
    for_s: Mapped[float] = mapped_column(Float, default=0.0)
    severity: Mapped[str] = mapped_column(String(10), default="warning")
    labels: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    scenario: Mapped[str | None] = mapped_column(String(40), default=None)
    interval_s: Mapped[float] = mapped_column(Float, default=300.0)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True, index=True)
    org_code: Mapped[str] = mapped_column(String(32), index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    def snapshot(self) -> dict[str, Any]:
        """The audited fields."""
        return {
            "name": self.name, "device": self.device, "selector": list(self.selector),
            "quantity": self.quantity, "op": self.op, "value": self.value,
            "for_s": self.for_s, "severity": self.severity, "labels": dict(self.labels),
            "scenario": self.scenario, "interval_s": self.interval_s, "enabled": self.enabled,
            "condition": self.condition, "no_data_state": self.no_data_state,
        }  # fmt: skip


class AlertInstance(Base):
    """One alert (a rule × a series' labels) and its engine state. A row exists once the
    instance first left ``normal``."""

    __tablename__ = "alert_instances"
    __table_args__ = (
        UniqueConstraint("rule_id", "fingerprint", name="uq_alert_instances_rule_fingerprint"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    rule_id: Mapped[str] = mapped_column(ForeignKey("alert_rules.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(16), index=True)
    labels: Mapped[dict[str, str]] = mapped_column(JSON)
    device: Mapped[str | None] = mapped_column(String(64), default=None)
    org_code: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    area_code: Mapped[str | None] = mapped_column(String(32), index=True, default=None)
    state: Mapped[str] = mapped_column(String(10), default="normal", index=True)
    since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    active_since: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    pending_to: Mapped[str | None] = mapped_column(String(10), default=None)
    last_eval: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    value: Mapped[float | None] = mapped_column(Float, default=None)
    values: Mapped[dict[str, float | None]] = mapped_column(JSON, default=dict)
    acknowledged_by: Mapped[str | None] = mapped_column(String(100), default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, default=None)
    ack_comment: Mapped[str] = mapped_column(Text, default="")
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)


class AlertTransition(Base):
    """One change of an alert's state (history; ``notifies``: receivers hear of it)."""

    __tablename__ = "alert_transitions"
    __table_args__ = (Index("ix_alert_transitions_instance_at", "instance_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instance_id: Mapped[str] = mapped_column(ForeignKey("alert_instances.id"))
    rule_id: Mapped[str] = mapped_column(String(26), index=True)
    fingerprint: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    values: Mapped[dict[str, float | None]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    notifies: Mapped[bool] = mapped_column(Boolean, default=False)


class AlertSilence(Base):
    """Mutes notifications and escalation of the alerts its matchers match, on
    ``[starts_at, ends_at)``; never changes their states."""

    __tablename__ = "alert_silences"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    matchers: Mapped[list[str]] = mapped_column(JSON)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_by: Mapped[str] = mapped_column(String(100))
    comment: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
