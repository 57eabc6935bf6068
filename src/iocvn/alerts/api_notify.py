"""JSON routes of alert contact points (``/api/v1/alerts/contact-points``): where alert
notifications and escalation notices go.

Operators and admins manage them (``alert.write``), the staff read them (``alert.read``);
destinations are only ever shown masked. A contact point belongs to the caller's unit: one
of a commune takes only that commune's alerts, and only the province sees every one.
Mounted before the alerts router, whose ``/alerts/{id}`` would otherwise take the path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from iocvn.alerts import contacts, escalation
from iocvn.alerts.models_notify import AlertContactPoint
from iocvn.auth.deps import Principal, require
from iocvn.core.http import DbSession

router = APIRouter(tags=["alerts"])
Reader = Annotated[Principal, Depends(require("alert.read"))]
Writer = Annotated[Principal, Depends(require("alert.write"))]
ULID = r"^[0-9A-HJKMNP-TV-Z]{26}$"
Id = Annotated[str, Path(min_length=26, max_length=26, pattern=ULID)]


class ContactPointIn(BaseModel):
    """A contact point: a channel and its destination, which alerts it takes (matchers, at
    least ``min_severity``), how they are grouped, and its rung (0: the ordinary notice)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    channel: str = Field(min_length=1, max_length=32, examples=["email", "sms", "webhook"])
    destination: str = Field(min_length=1, max_length=500)
    matchers: list[str] = Field(default_factory=list, max_length=20)
    min_severity: Literal["info", "warning", "critical"] = "info"
    group_by: list[str] = Field(default_factory=list, max_length=10)
    escalation_level: int = Field(default=0, ge=0, le=9)


class ContactPointOut(BaseModel):
    """A stored contact point (the destination masked)."""

    id: str
    name: str
    channel: str
    destination: str
    matchers: list[str]
    min_severity: str
    group_by: list[str]
    escalation_level: int
    rung: str | None
    org_unit: str
    enabled: bool
    created_by: str
    created_at: datetime

    @classmethod
    def of(cls, row: AlertContactPoint) -> ContactPointOut:
        """The contact point as the API shows it; ``rung``: its rung's name on the ladder."""
        levels = escalation.ladder().levels
        rung = levels[row.escalation_level].name if row.escalation_level < len(levels) else None
        return cls(
            id=row.id, name=row.name, channel=row.channel, destination=row.destination_masked,
            matchers=list(row.matchers), min_severity=row.min_severity,
            group_by=list(row.group_by), escalation_level=row.escalation_level, rung=rung,
            org_unit=row.org_code, enabled=row.enabled, created_by=row.created_by,
            created_at=row.created_at,
        )  # fmt: skip


@router.get("/alerts/contact-points", response_model=list[ContactPointOut])
def list_contact_points(
    principal: Reader, db: DbSession, enabled: Annotated[bool | None, Query()] = None
) -> list[ContactPointOut]:
    """Contact points in the caller's scope, by rung then name (``enabled`` to filter)."""
    found = contacts.list_contact_points(db, principal.scope, enabled=enabled)
    return [ContactPointOut.of(r) for r in found]


@router.post("/alerts/contact-points", response_model=ContactPointOut, status_code=201)
def create_contact_point(body: ContactPointIn, principal: Writer, db: DbSession) -> ContactPointOut:
    """Add a contact point of the caller's unit (422 ``alert_contact_point_invalid``: not an
    address of the channel, a webhook host not allowed, no such rung; ``alert_matcher_invalid``)."""
    spec = contacts.ContactPointSpec(**body.model_dump())
    levels = len(escalation.ladder().levels)
    row = contacts.create_contact_point(
        db, principal.actor(), spec, levels, principal.scope.org_code
    )
    return ContactPointOut.of(row)


@router.post("/alerts/contact-points/{contact_id}/disable", response_model=ContactPointOut)
def disable_contact_point(contact_id: Id, principal: Writer, db: DbSession) -> ContactPointOut:
    """Stop sending to a contact point (409 ``alert_contact_point_disabled`` twice)."""
    row = contacts.get_contact_point(db, contact_id, principal.scope)
    return ContactPointOut.of(contacts.disable_contact_point(db, principal.actor(), row))
