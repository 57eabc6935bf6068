"""API shapes of the notification domain (never the plaintext destination)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["pending", "sending", "sent", "failed", "dead"]


class NotificationOut(BaseModel):
    """A notification as operators see it: masked destination, delivery state, last error."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    channel: str
    destination: str = Field(
        validation_alias="destination_masked", description="Masked: h***@example.vn"
    )
    subject: str
    purpose: str
    reference: str
    org_unit: str | None = Field(validation_alias="org_code")
    status: Status
    attempts: int
    max_attempts: int
    next_attempt_at: datetime | None
    last_error: str | None
    provider_id: str | None
    sent_at: datetime | None
    created_at: datetime
