"""API shapes of citizen feedback for staff (``/api/v1/feedback``) and the channels' webhook.

What a shape contains decides who sees what: ``CaseOut`` never holds personal data in clear
(the reporter is a pseudonym and masked contacts); ``RevealOut`` is the only shape with it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Priority = Literal["urgent", "normal", "complex"]


class ReporterOut(BaseModel):
    """The reporter as staff see them: a pseudonym, and masked details when any were given."""

    pseudonym: str
    anonymous: bool
    name: str | None = None
    phone: str | None = None
    email: str | None = None
    id_number: str | None = None


class EventOut(BaseModel):
    """One step of the timeline."""

    model_config = ConfigDict(from_attributes=True)

    at: datetime
    kind: str
    actor: str
    org_code: str | None
    public: bool
    text: str
    data: dict[str, Any]


class SlaOut(BaseModel):
    """Where the current stage's clock stands."""

    stage: str
    deadline: datetime | None
    due_soon_at: datetime | None = None
    status: str | None = None
    escalation: str
    paused: bool = False


class ExtensionRequestOut(BaseModel):
    """A unit's extension request waiting for the IOC's decision."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    status: str
    working_days: int
    reason: str
    org_unit: str = Field(validation_alias="org_code", description="the requesting unit")
    requested_by: str
    requested_at: datetime


class CaseOut(BaseModel):
    """A case as the IOC and the handling unit see it (no personal data in clear)."""

    id: str
    code: str
    channel: str
    status: str
    outcome: str | None
    outcome_reason: str
    remit_body: str
    category: str | None
    category_confirmed: bool
    suggested_category: str | None
    suggested_confidence: float | None
    description: str
    address: str
    lat: float | None
    lon: float | None
    located_by: str
    area: str | None
    org_unit: str | None
    priority: str
    public_answer: str
    duplicate_of: str | None
    received_at: datetime
    accepted_at: datetime | None
    resolved_at: datetime | None
    resolved_on_time: bool | None
    closed_at: datetime | None
    reopen_count: int
    fixed_confirmed: bool | None
    satisfaction: int | None
    reporter: ReporterOut
    sla: SlaOut
    photos: list[str] = Field(default_factory=list, description="URLs of the case's photos")
    timeline: list[EventOut] | None = None
    extension_request: ExtensionRequestOut | None = Field(
        default=None, description="the unit's extension request waiting for the IOC, if any"
    )


class CasePage(BaseModel):
    """A page of cases."""

    total: int
    items: list[CaseOut]


class IntakeIn(BaseModel):
    """Staff intake of a hotline call or a walk-in (and, as ``WebhookIn``, another channel)."""

    # No bound here: intake answers every over-long text with ``description_length``; the
    # request itself is bounded by IOCVN_MAX_BODY_BYTES (413).
    description: str = Field(description="10–5000 characters once cleaned (intake.clean_text)")
    category: str | None = Field(default=None, max_length=64)
    lat: float | None = None
    lon: float | None = None
    address: str = Field(default="", max_length=500)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=30)
    email: str | None = Field(default=None, max_length=254)
    id_number: str | None = Field(default=None, max_length=20)
    anonymous: bool = False
    notify_by: Literal["email", "sms"] | None = None
    channel: Literal["hotline", "walk_in", "webhook", "zalo", "email", "app"] = "hotline"
    external_id: str | None = Field(default=None, max_length=100)
    reporter_ref: str | None = Field(
        default=None,
        max_length=200,
        description="the channel's id of the citizen (a Zalo user, an app account): the rate "
        "limit then applies per citizen rather than to the whole channel; stored hashed only",
    )


class WebhookIn(IntakeIn):
    """A report from another channel's webhook: never a staff channel (hotline, walk-in)."""

    channel: Literal["webhook", "zalo", "email", "app"] = "webhook"


class IntakeOut(BaseModel):
    """The new case, and the secret the reporter uses to follow it (shown once)."""

    id: str
    code: str
    secret: str
    status: str
    org_unit: str | None
    deadline: datetime | None


class AcceptIn(BaseModel):
    """Triage: the category, unit, priority and commune confirmed or changed."""

    category: str | None = Field(default=None, max_length=64)
    org_unit: str | None = Field(default=None, max_length=32)
    priority: Priority | None = None
    area: str | None = Field(
        default=None, max_length=32, description="the case's commune (official code, 05977)"
    )
    note: str = Field(default="", max_length=4000)


class RejectIn(BaseModel):
    """A refusal with its reason; ``not_our_remit`` names the responsible body."""

    reason: str = Field(max_length=4000)
    not_our_remit: bool = False
    remit_body: str = Field(default="", max_length=300)


class TransferIn(BaseModel):
    """To another unit of the province, or to a body outside the system (``outside_body``)."""

    org_unit: str | None = Field(default=None, max_length=32)
    outside_body: str = Field(default="", max_length=300)
    reason: str = Field(max_length=4000)


class ExtendIn(BaseModel):
    """An approved extension: the clock stands still this many working days."""

    working_days: int = Field(ge=1, le=30)
    reason: str = Field(max_length=4000)


class ExtensionRequestIn(BaseModel):
    """A handling unit asks the IOC for more time, before the deadline."""

    working_days: int = Field(ge=1, le=30)
    reason: str = Field(max_length=4000, description="at least 10 characters once cleaned")


class ExtensionApproveIn(BaseModel):
    """The IOC approves the waiting request: the days asked, or fewer."""

    working_days: int | None = Field(
        default=None, ge=1, le=30, description="at most the days asked; by default those"
    )
    note: str = Field(
        default="", max_length=4000,
        description="shown on the public timeline with the extension; by default the unit's "
        "reason",
    )  # fmt: skip


class ExtensionRefuseIn(BaseModel):
    """The IOC refuses the waiting request, saying why (told to the unit, not the public)."""

    reason: str = Field(max_length=4000, description="at least 10 characters once cleaned")


class NoteIn(BaseModel):
    """A note or an answer."""

    text: str = Field(max_length=4000)
    public: bool = False


class StepNoteIn(BaseModel):
    """The optional note of a step that needs no reason (start, close)."""

    text: str = Field(default="", max_length=4000)


class MergeIn(BaseModel):
    """Merge this case into another (the main case)."""

    into: str = Field(max_length=40)


class RevealIn(BaseModel):
    """Why the reporter's details are needed (audited)."""

    reason: str = Field(max_length=500)


class RevealOut(BaseModel):
    """The reporter's details in clear."""

    name: str | None
    phone: str | None
    email: str | None
    id_number: str | None


class DuplicateOut(BaseModel):
    """An open case that may be the same problem."""

    id: str
    code: str
    status: str
    description: str
    distance_m: float | None
    similarity: float
    score: float


class SuggestionOut(BaseModel):
    """A suggested category and the model's probability."""

    category: str
    confidence: float
