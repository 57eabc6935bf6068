"""API shapes of the audit domain."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEntryOut(BaseModel):
    """One audit entry as the API returns it."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    id: str
    at: datetime
    actor: str
    actor_org: str
    action: str
    target_type: str
    target_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    request_id: str
    ip: str
    hash: str


class VerificationOut(BaseModel):
    """The result of ``verify``."""

    ok: bool
    checked: int
    first_bad_seq: int | None
    reason: str
