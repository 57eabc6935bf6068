"""JSON routes of citizen feedback for staff and integrations (``/api/v1/feedback``).

``GET /feedback/{id}`` and ``GET /feedback?status=&category=&org_unit=`` are the contract of
issue #4: scoped by :meth:`OrgScope.handling_clause`, the reporter shown as a pseudonym with
masked details. The reporter's details in clear come only from ``POST /feedback/{id}/reveal``
(province IOC staff with ``feedback.reveal``, a reason, an audit entry). The public form and
tracking pages are in :mod:`.pages`, Open311 in :mod:`.open311`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, File, Form, Query, Request, UploadFile
from sqlalchemy.orm import Session

from iocvn.auth.deps import Principal, require
from iocvn.config import Settings, get_settings
from iocvn.core.errors import Invalid
from iocvn.core.http import DbSession
from iocvn.core.timeutil import utcnow
from iocvn.feedback import cases, clock, duplicates, extensions, intake, suggest, workflow
from iocvn.feedback.calendar import Pause
from iocvn.feedback.intake import NewReport, Photo
from iocvn.feedback.models import ExtensionRequest, Feedback
from iocvn.feedback.schemas import (
    AcceptIn,
    CaseOut,
    CasePage,
    DuplicateOut,
    EventOut,
    ExtendIn,
    ExtensionApproveIn,
    ExtensionRefuseIn,
    ExtensionRequestIn,
    ExtensionRequestOut,
    IntakeIn,
    IntakeOut,
    MergeIn,
    NoteIn,
    RejectIn,
    ReporterOut,
    RevealIn,
    RevealOut,
    SlaOut,
    StepNoteIn,
    SuggestionOut,
    TransferIn,
    WebhookIn,
)
from iocvn.org.geo import installed_province

router = APIRouter(tags=["feedback"])
Reader = Annotated[Principal, Depends(require("feedback.read"))]
Submitter = Annotated[Principal, Depends(require("feedback.submit"))]
Intaker = Annotated[Principal, Depends(require("feedback.intake"))]
Triager = Annotated[Principal, Depends(require("feedback.triage"))]
Handler = Annotated[Principal, Depends(require("feedback.handle"))]
Revealer = Annotated[Principal, Depends(require("feedback.reveal"))]
Short = Annotated[str | None, Query(max_length=64)]
MAX_UPLOAD = 8 * 1024 * 1024 + 1


def _settings() -> Settings:
    return get_settings()


def case_out(
    db: Session,
    case: Feedback,
    *,
    with_timeline: bool = False,
    pauses: list[Pause] | None = None,
    photos: list[tuple[str, str]] | None = None,
    requests: dict[str, ExtensionRequest] | None = None,
) -> CaseOut:
    """The staff view of a case (``pauses``, ``photos`` and the waiting extension ``requests``
    by case id when a list loaded them at once)."""
    now = utcnow()
    waiting = (extensions.pending(db, case) if requests is None
               else requests.get(case.id))  # fmt: skip
    sla = SlaOut(stage=case.stage, deadline=case.deadline_at, escalation=case.escalation)
    if case.deadline_at is not None:
        state = clock.state(db, case, now, known_pauses=pauses)
        sla = SlaOut(
            stage=case.stage,
            deadline=case.deadline_at,
            due_soon_at=state.due_soon_at,
            status=state.status,
            escalation=case.escalation,
            paused=state.paused,
        )
    return CaseOut(
        id=case.id, code=case.code, channel=case.channel, status=case.status,
        outcome=case.outcome, outcome_reason=case.outcome_reason, remit_body=case.remit_body,
        category=case.category_code, category_confirmed=case.category_confirmed,
        suggested_category=case.suggested_category,
        suggested_confidence=case.suggested_confidence, description=case.description,
        address=case.address, lat=case.lat, lon=case.lon, located_by=case.located_by,
        area=case.area_code, org_unit=case.org_code, priority=case.priority,
        public_answer=case.public_answer, duplicate_of=case.duplicate_of,
        received_at=case.received_at, accepted_at=case.accepted_at,
        resolved_at=case.resolved_at, resolved_on_time=case.resolved_on_time,
        closed_at=case.closed_at, reopen_count=case.reopen_count,
        fixed_confirmed=case.fixed_confirmed, satisfaction=case.satisfaction,
        reporter=ReporterOut(**cases.masked_contacts(case, get_settings().data_keys)),
        sla=sla,
        photos=[
            f"/phan-anh/anh/{pid}"
            for pid, _ in (cases.photo_ids(db, case) if photos is None else photos)
        ],
        timeline=[EventOut.model_validate(e) for e in cases.timeline(db, case, public_only=False)]
        if with_timeline else None,
        extension_request=ExtensionRequestOut.model_validate(waiting) if waiting else None,
    )  # fmt: skip


def _source_key(principal: Principal) -> str:
    return f"user:{principal.user.username}"


@router.get("/feedback", response_model=CasePage, response_model_exclude_none=True)
def list_feedback(
    principal: Reader,
    db: DbSession,
    status: Annotated[
        str | None, Query(max_length=120, description="a status, a comma list, or 'open'")
    ] = None,
    category: Short = None,
    org_unit: Annotated[str | None, Query(max_length=32)] = None,
    area: Annotated[str | None, Query(max_length=32)] = None,
    channel: Annotated[str | None, Query(max_length=16)] = None,
    since: datetime | None = None,
    until: datetime | None = None,
    overdue: bool = False,
    limit: Annotated[int, Query(ge=1, le=cases.MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> CasePage:
    """Cases the caller's unit handles, newest first, filtered."""
    filters = cases.Filters(status=status, category=category, org_unit=org_unit, area=area,
                            channel=channel, since=since, until=until,
                            overdue_at=utcnow() if overdue else None)  # fmt: skip
    rows, total = cases.list_cases(db, filters, principal.scope, limit=limit, offset=offset)
    ids = [c.id for c in rows]
    paused, shots = clock.pauses_by_case(db, ids), cases.photo_ids_by_case(db, ids)
    waiting = extensions.pending_by_case(db, ids)
    items = [case_out(db, c, pauses=paused.get(c.id, []), photos=shots.get(c.id, []),
                      requests=waiting) for c in rows]  # fmt: skip
    return CasePage(total=total, items=items)


@router.post("/feedback", response_model=IntakeOut, status_code=201)
def staff_intake(body: IntakeIn, principal: Intaker, db: DbSession) -> IntakeOut:
    """Record a hotline call or a walk-in (the channel is kept on the case)."""
    if body.channel not in ("hotline", "walk_in"):
        raise Invalid("invalid_channel", details={"field": "channel"}, channel=body.channel)
    return _submit(db, body, principal, source_key="")


@router.post("/feedback/webhook", response_model=IntakeOut, status_code=201)
def webhook(body: WebhookIn, principal: Submitter, db: DbSession) -> IntakeOut:
    """A report from another channel (Zalo OA, a chatbot, an app) by its integration token;
    ``external_id`` (as intake stores it: trimmed) makes a resend return the same case."""
    external_id = intake.external_ref(body.external_id)
    if external_id:
        existing = (
            db.query(Feedback)
            .filter(Feedback.channel == body.channel, Feedback.external_id == external_id)
            .first()
        )
        if existing is not None:
            return IntakeOut(id=existing.id, code=existing.code, secret="", status=existing.status,
                             org_unit=existing.org_code, deadline=existing.deadline_at)  # fmt: skip
    ref = intake.reporter_ref(body.reporter_ref, anonymous=body.anonymous, email=body.email,
                              phone=body.phone)  # fmt: skip
    key = intake.source_key(_source_key(principal), ref, get_settings().data_keys)
    return _submit(db, body, principal, source_key=key)


def _submit(db: Session, body: IntakeIn, principal: Principal, source_key: str) -> IntakeOut:
    fields = body.model_dump(exclude={"channel", "reporter_ref"})
    done = intake.submit(db, get_settings(), installed_province(db), NewReport(**fields),
                         channel=body.channel, actor=principal.actor(),
                         source_key=source_key)  # fmt: skip
    case = done.case
    return IntakeOut(id=case.id, code=case.code, secret=done.secret, status=case.status,
                     org_unit=case.org_code, deadline=case.deadline_at)  # fmt: skip


@router.get("/feedback/suggest", response_model=list[SuggestionOut])
def suggest_categories(
    principal: Intaker, db: DbSession, text: Annotated[str, Query(min_length=3, max_length=5000)]
) -> list[SuggestionOut]:
    """Likely categories of a text (empty when no model is trained)."""
    return [SuggestionOut(category=s.category, confidence=s.confidence)
            for s in suggest.suggestions(db, text)]  # fmt: skip


@router.get("/feedback/{key}", response_model=CaseOut, response_model_exclude_none=True)
def get_feedback(key: str, principal: Reader, db: DbSession) -> CaseOut:
    """One case by id or code, with its whole timeline."""
    return case_out(db, cases.get_case(db, key, principal.scope), with_timeline=True)


@router.get("/feedback/{key}/duplicates", response_model=list[DuplicateOut])
def feedback_duplicates(key: str, principal: Triager, db: DbSession) -> list[DuplicateOut]:
    """Open cases that may report the same problem, best first."""
    case = cases.get_case(db, key, principal.scope)
    return [
        DuplicateOut(id=c.case.id, code=c.case.code, status=c.case.status,
                     description=c.case.description, distance_m=c.distance_m,
                     similarity=c.similarity, score=c.score)
        for c in duplicates.candidates(db, case)
    ]  # fmt: skip


@router.post("/feedback/{key}/accept", response_model=CaseOut, response_model_exclude_none=True)
def accept(key: str, body: AcceptIn, principal: Triager, db: DbSession) -> CaseOut:
    """Confirm the category, the unit, the priority and the commune (``area``): accepted, and
    assigned when a unit is set."""
    case = cases.get_case(db, key, principal.scope)
    workflow.accept(db, get_settings(), principal.actor(), case, category=body.category,
                    org_code=body.org_unit, priority=body.priority, area=body.area,
                    note=body.note)  # fmt: skip
    return case_out(db, case)


@router.post("/feedback/{key}/reject", response_model=CaseOut, response_model_exclude_none=True)
def reject(key: str, body: RejectIn, principal: Triager, db: DbSession) -> CaseOut:
    """Refuse with a reason; "not our remit" names the responsible body."""
    case = cases.get_case(db, key, principal.scope)
    workflow.reject(db, get_settings(), principal.actor(), case, reason=body.reason,
                    not_our_remit=body.not_our_remit, remit_body=body.remit_body)  # fmt: skip
    return case_out(db, case)


@router.post("/feedback/{key}/transfer", response_model=CaseOut, response_model_exclude_none=True)
def transfer(key: str, body: TransferIn, principal: Handler, db: DbSession) -> CaseOut:
    """Hand the case to another unit (history kept) or to a body outside the system."""
    case = cases.get_case(db, key, principal.scope)
    workflow.transfer(db, get_settings(), principal.actor(), principal.scope, case,
                      org_code=body.org_unit, outside_body=body.outside_body,
                      reason=body.reason)  # fmt: skip
    return case_out(db, cases.get_case(db, key, None))


@router.post("/feedback/{key}/start", response_model=CaseOut, response_model_exclude_none=True)
def start(key: str, principal: Handler, db: DbSession, body: StepNoteIn | None = None) -> CaseOut:
    """The handling unit starts work (the note is optional; no body at all is fine too)."""
    case = cases.get_case(db, key, principal.scope)
    note = body.text if body else ""
    workflow.start_work(db, principal.actor(), principal.scope, case, note=note)
    return case_out(db, case)


@router.post("/feedback/{key}/extend", response_model=CaseOut, response_model_exclude_none=True)
def extend(key: str, body: ExtendIn, principal: Triager, db: DbSession) -> CaseOut:
    """Approve an extension: the deadline moves by ``working_days`` of working time (409
    ``extension_after_deadline`` once the deadline has passed)."""
    case = cases.get_case(db, key, principal.scope)
    workflow.extend(db, principal.actor(), case, working_days=body.working_days,
                    reason=body.reason)  # fmt: skip
    return case_out(db, case)


@router.post(
    "/feedback/{key}/extension-request", response_model=CaseOut, response_model_exclude_none=True
)
def request_extension(
    key: str, body: ExtensionRequestIn, principal: Handler, db: DbSession
) -> CaseOut:
    """The handling unit asks the IOC for more time, before the deadline (one request waits at
    a time: 409 ``extension_request_pending``; the IOC extends directly: 403)."""
    case = cases.get_case(db, key, principal.scope)
    extensions.request(db, principal.actor(), principal.scope, case,
                       working_days=body.working_days, reason=body.reason)  # fmt: skip
    return case_out(db, case)


@router.post(
    "/feedback/{key}/extension-request/approve", response_model=CaseOut,
    response_model_exclude_none=True,
)  # fmt: skip
def approve_extension(
    key: str, principal: Triager, db: DbSession, body: ExtensionApproveIn | None = None
) -> CaseOut:
    """The IOC approves the waiting request (the days asked, or fewer): the deadline moves as
    with ``extend`` (409 once it has passed); the unit is told."""
    case = cases.get_case(db, key, principal.scope)
    body = body or ExtensionApproveIn()
    extensions.approve(db, principal.actor(), principal.scope, case,
                       working_days=body.working_days, note=body.note)  # fmt: skip
    return case_out(db, case)


@router.post(
    "/feedback/{key}/extension-request/refuse", response_model=CaseOut,
    response_model_exclude_none=True,
)  # fmt: skip
def refuse_extension(
    key: str, body: ExtensionRefuseIn, principal: Triager, db: DbSession
) -> CaseOut:
    """The IOC refuses the waiting request with its reason; the unit is told."""
    case = cases.get_case(db, key, principal.scope)
    extensions.refuse(db, principal.actor(), principal.scope, case, reason=body.reason)
    return case_out(db, case)


@router.post("/feedback/{key}/resolve", response_model=CaseOut, response_model_exclude_none=True)
async def resolve(
    key: str,
    principal: Handler,
    db: DbSession,
    answer: Annotated[str, Form(max_length=4000)],
    photos: Annotated[list[UploadFile] | None, File()] = None,
) -> CaseOut:
    """Report the result: the public answer and up to 5 photos (multipart form)."""
    shots = [Photo(await f.read(MAX_UPLOAD), f.filename or "") for f in photos or []]
    case = cases.get_case(db, key, principal.scope)
    workflow.resolve(db, get_settings(), principal.actor(), principal.scope, case,
                     answer=answer, shots=shots)  # fmt: skip
    return case_out(db, case)


@router.post("/feedback/{key}/close", response_model=CaseOut, response_model_exclude_none=True)
def close(key: str, principal: Triager, db: DbSession, body: StepNoteIn | None = None) -> CaseOut:
    """Close a resolved case the reporter did not answer (the note is optional)."""
    case = cases.get_case(db, key, principal.scope)
    workflow.close(db, principal.actor(), case, note=body.text if body else "",
                   settings=get_settings())  # fmt: skip
    return case_out(db, case)


@router.post("/feedback/{key}/merge", response_model=CaseOut, response_model_exclude_none=True)
def merge(key: str, body: MergeIn, principal: Triager, db: DbSession) -> CaseOut:
    """Merge a duplicate into the main case; its reporter follows the main case."""
    case = cases.get_case(db, key, principal.scope)
    into = cases.get_case(db, body.into, principal.scope)
    workflow.merge(db, get_settings(), principal.actor(), case, into)
    return case_out(db, case)


@router.post("/feedback/{key}/comment", response_model=CaseOut, response_model_exclude_none=True)
def comment(key: str, body: NoteIn, principal: Handler, db: DbSession) -> CaseOut:
    """A note on the timeline (``public`` shows it to the reporter)."""
    case = cases.get_case(db, key, principal.scope)
    workflow.comment(db, principal.actor(), principal.scope, case, text=body.text,
                     public=body.public)  # fmt: skip
    return case_out(db, case)


@router.post("/feedback/{key}/reveal", response_model=RevealOut)
def reveal(
    key: str, body: RevealIn, principal: Revealer, db: DbSession, request: Request
) -> RevealOut:
    """The reporter's details in clear, with a stated reason (audited)."""
    case = cases.get_case(db, key, principal.scope)
    found = cases.reveal(db, principal.actor(), principal.scope, case, body.reason,
                         get_settings().data_keys)  # fmt: skip
    return RevealOut(**found)
