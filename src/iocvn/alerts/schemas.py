"""JSON shapes of the alerts domain's answers (public warnings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel

from iocvn.alerts.atom import message_url
from iocvn.alerts.models import WarningMessage


class WarningOut(BaseModel):
    """One message of a public warning: where it is in its life, and the warning itself."""

    id: str
    chain_id: str
    previous_id: str | None
    msg_type: str
    state: str
    status: str
    org_unit: str
    source_alert: str | None
    drafted_by: str
    drafted_at: datetime
    authors: list[str]
    approved_by: str | None
    published_at: datetime | None
    ended_by: str | None
    ended_at: datetime | None
    identifier: str | None
    sender: str | None
    sent: datetime | None
    references: list[str]
    url: str | None
    warning: dict[str, Any]

    @classmethod
    def of(cls, row: WarningMessage, public_url: str) -> WarningOut:
        """The answer for ``row``; ``url`` is the published message's permanent address."""
        return cls(
            id=row.id, chain_id=row.chain_id, previous_id=row.previous_id,
            msg_type=row.msg_type, state=row.state, status=row.status, org_unit=row.org_code,
            source_alert=row.source_alert_id, drafted_by=row.drafted_by,
            drafted_at=row.drafted_at, authors=list(row.authors), approved_by=row.approved_by,
            published_at=row.published_at, ended_by=row.ended_by, ended_at=row.ended_at,
            identifier=row.identifier, sender=row.sender, sent=row.sent,
            references=row.cap_references.split(),
            url=message_url(public_url, row.identifier) if row.identifier else None,
            warning=row.body,
        )  # fmt: skip


class WarningPage(BaseModel):
    """A page of messages and how many match the filters."""

    total: int
    items: list[WarningOut]
