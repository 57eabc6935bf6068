"""The life of a case (quy trình xử lý): received → accepted or rejected → assigned → in
progress → resolved → closed, with transfers, extensions, duplicates and reopening.

Outcomes stay distinct (``Feedback.outcome``): ``fixed`` (the unit says so), ``fixed_confirmed``
(the reporter agrees), ``rejected`` (with the reason), ``transferred`` (to a body outside the
province's system, named), ``not_our_remit`` (naming the body that is responsible), and
``duplicate`` (merged into another case). "Closed" alone never means "fixed".

Every step is one audit entry and one timeline event in the same transaction; a public step
queues an update to the reporter (and to the reporters of cases merged into this one) on the
channel they chose — a queued message is tracked by :mod:`iocvn.notify` until delivered or
failed, never assumed sent. Who may take a step is checked by the routes (permissions) and
here (the state it needs, the unit it belongs to).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.scope import OrgScope
from iocvn.config import Settings, get_settings
from iocvn.core import pii
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Forbidden, Invalid
from iocvn.core.i18n import t
from iocvn.core.timeutil import format_datetime, utcnow
from iocvn.feedback import calendar as cal
from iocvn.feedback import clock, photos
from iocvn.feedback import messages_workflow as _messages  # noqa: F401  (registers the texts)
from iocvn.feedback.cases import check_secret
from iocvn.feedback.intake import Photo, clean_text
from iocvn.feedback.models import (
    OPEN_STATUSES,
    PRIORITIES,
    ExtensionRequest,
    Feedback,
    FeedbackCategory,
    FeedbackEvent,
    FeedbackPhoto,
)
from iocvn.notify import service as notify
from iocvn.org.geo import installed_province
from iocvn.org.models import OrgUnit

MAX_NOTE = 4000
MAX_EXTENSION_DAYS = 30
AUTO_CLOSE_DAYS = 7  # a resolved case the reporter does not answer closes after this many days


class _Label:
    """A status or step label that a message renders in its own language (``{state:en}``).

    An error's params are shared by its Vietnamese and English texts; the format spec picks
    the language, so neither text shows the other's words or a machine code."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __format__(self, lang: str) -> str:
        return t(self.key, "en" if lang == "en" else "vi")

    def __str__(self) -> str:
        return t(self.key)


def _event(
    session: Session, case: Feedback, actor: Actor, kind: str, *, public: bool, text: str = "",
    now: datetime | None = None, **data: object,
) -> None:  # fmt: skip
    session.add(
        FeedbackEvent(feedback_id=case.id, at=now or utcnow(), kind=kind, actor=actor.name,
                      org_code=case.org_code, public=public, text=text, data=data)
    )  # fmt: skip


def _audit(session: Session, actor: Actor, case: Feedback, action: str, before: str,
           **after: object) -> None:  # fmt: skip
    audit.record(
        session, actor, f"feedback.{action}", target_type="feedback", target_id=case.id,
        before={"status": before}, after={"code": case.code, "status": case.status} | after,
    )  # fmt: skip


def _need(case: Feedback, step: str, *allowed: str) -> str:
    """The case's status, when ``step`` may be taken from it (409 naming both otherwise)."""
    if case.status not in allowed:
        raise Conflict("wrong_state", details={"status": case.status, "step": step},
                       state=_Label(f"fb.status.{case.status}"),
                       step=_Label(f"fb.step.{step}"))  # fmt: skip
    return case.status


def _own(case: Feedback, scope: OrgScope) -> None:
    """A unit acts only on cases assigned to it (the province on any)."""
    if not scope.is_province and case.org_code != scope.org_code:
        raise Forbidden("not_your_case")


def _note(text: str | None, error: str | None = None, field: str = "reason") -> str:
    """The note as stored; empty refused with ``error`` on ``field`` when it is required."""
    cleaned = clean_text(text or "", MAX_NOTE)
    if error and not cleaned:
        raise Invalid(error, details={"field": field})
    return cleaned


def _lapse_request(session: Session, case: Feedback, actor: Actor, step: str,
                   now: datetime) -> None:  # fmt: skip
    """A unit's pending extension request ends undecided (``lapsed``) when the case leaves
    that unit's hands: resolved, rejected, transferred or merged (``feedback.extensions``)."""
    pending = session.execute(
        select(ExtensionRequest).where(ExtensionRequest.feedback_id == case.id,
                                       ExtensionRequest.status == "pending")
    ).scalar_one_or_none()  # fmt: skip
    if pending is None:
        return
    pending.status, pending.decided_by, pending.decided_at = "lapsed", actor.name, now
    pending.decision_note = step
    _event(session, case, actor, "extension_lapsed", public=False, now=now, request=pending.id,
           step=step, working_days=pending.working_days)  # fmt: skip


def notify_reporters(
    session: Session, settings: Settings, case: Feedback, text: str, base_url: str | None = None,
    *, skip_own: bool = False,
) -> int:  # fmt: skip
    """Queue an update for the case's reporter (not when ``skip_own``: the reporter took the
    step) and the reporters of cases merged into it."""
    merged = session.execute(select(Feedback).where(Feedback.duplicate_of == case.id)).scalars()
    return _queue(session, settings, case, [*([] if skip_own else [case]), *merged], text,
                  base_url)  # fmt: skip


def _queue(
    session: Session, settings: Settings, case: Feedback, reporters: Iterable[Feedback],
    text: str, base_url: str | None = None,
) -> int:  # fmt: skip
    """Queue ``case``'s update to the reporter of each of ``reporters`` who asked for updates,
    each pointed to their own report's page."""
    queued = 0
    for each in reporters:
        channel, sealed, field = (
            ("email", each.reporter_email, "feedback.email") if each.notify_by == "email"
            else ("sms", each.reporter_phone, "feedback.phone") if each.notify_by == "sms"
            else (None, None, None)
        )  # fmt: skip
        if channel is None or sealed is None or field is None:
            continue
        status = t(f"fb.status.{case.status}")
        url = f"{(base_url or settings.public_url).rstrip('/')}/phan-anh/{each.code}"
        notify.enqueue(
            session, channel, pii.open_sealed(sealed, settings.data_keys, field),
            t("fb.notify.subject", code=each.code, status=status),
            t("fb.notify.body", code=each.code, status=status, text=text, url=url),
            "feedback.update", each.id,
        )  # fmt: skip
        queued += 1
    return queued


def accept(
    session: Session, settings: Settings, actor: Actor, case: Feedback, *,
    category: str | None = None, org_code: str | None = None, priority: str | None = None,
    area: str | None = None, note: str = "", now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """Triage (IOC): confirm or change the category, the unit, the priority and the commune
    (``area``: a case taken by phone may name none); the case is accepted, and assigned when a
    unit is set. The resolve clock starts now."""
    now = now or utcnow()
    before = _need(case, "accept", "received")
    # Everything is checked before anything changes: a refused triage leaves the case as it was.
    cat = session.get(FeedbackCategory, category) if category is not None else None
    if category is not None and (cat is None or not cat.active):
        raise Invalid("unknown_category", details={"field": "category", "code": category[:64]},
                      category=category[:64])  # fmt: skip
    if category is None and case.category_code is None:
        raise Invalid("category_required", details={"field": "category"})
    if priority is not None and priority not in PRIORITIES:
        raise Invalid("invalid_priority", details={"field": "priority"})
    if org_code is not None:
        _unit(session, org_code)
    if area is not None:
        _commune(session, area)
    if cat is not None:
        if case.category_code != cat.code or not case.category_confirmed:
            _event(session, case, actor, "classified", public=False, now=now, category=cat.code,
                   suggested=case.suggested_category,
                   corrected=case.suggested_category not in (None, cat.code))  # fmt: skip
        case.category_code = cat.code
        if priority is None:
            case.priority = cat.priority if cat.priority in PRIORITIES else "normal"
    case.category_confirmed = True
    if priority is not None:
        case.priority = priority
    if org_code is not None:
        case.org_code = org_code
    placed: dict[str, object] = {}  # the commune, when triage set or changed it
    if area is not None and area != case.area_code:
        placed = {"area_from": case.area_code}
        case.area_code = area
    case.status = "assigned" if case.org_code else "accepted"
    case.accepted_at = now
    clock.start_stage(session, case, "resolve", now)
    text = _note(note)
    triage = {"category": case.category_code, "org_code": case.org_code,
              "priority": case.priority, "area": case.area_code}  # fmt: skip
    _event(session, case, actor, "accepted", public=True, text=text, now=now, **triage, **placed)
    _audit(session, actor, case, "accept", before, **triage, **placed)
    notify_reporters(session, settings, case, text)
    session.flush()
    return case


def _unit(session: Session, code: str) -> OrgUnit:
    unit = session.get(OrgUnit, code)
    if unit is None or unit.valid_to is not None:
        raise Invalid("unknown_handling_unit", details={"field": "org_code", "code": code[:32]},
                      unit=code[:32])  # fmt: skip
    return unit


def _commune(session: Session, code: str) -> OrgUnit:
    """A current commune (xã, phường, đặc khu) of the province this installation serves."""
    unit = session.get(OrgUnit, code)
    if (
        unit is None or unit.level != "commune" or unit.valid_to is not None
        or unit.province_code != installed_province(session)
    ):  # fmt: skip
        raise Invalid("unknown_commune", details={"field": "area", "code": code[:32]},
                      area=code[:32])  # fmt: skip
    return unit


def reject(
    session: Session, settings: Settings, actor: Actor, case: Feedback, *, reason: str,
    not_our_remit: bool = False, remit_body: str = "", now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """Refuse a case with the reason; "not our remit" must name the body that is responsible."""
    now = now or utcnow()
    before = _need(case, "reject", "received", "accepted", "assigned")
    text = _note(reason, "reason_required")
    body = clean_text(remit_body, 300)
    if not_our_remit and not body:
        raise Invalid("remit_body_required", details={"field": "remit_body"})
    _lapse_request(session, case, actor, "reject", now)
    case.status, case.closed_at = "rejected", now
    case.outcome = "not_our_remit" if not_our_remit else "rejected"
    case.outcome_reason, case.remit_body = text, body
    case.deadline_at = None
    _event(
        session,
        case,
        actor,
        "rejected",
        public=True,
        text=text,
        now=now,
        outcome=case.outcome,
        remit_body=body,
    )
    _audit(session, actor, case, "reject", before, outcome=case.outcome)
    notify_reporters(session, settings, case, text + (f" → {body}" if body else ""))
    session.flush()
    return case


def transfer(
    session: Session, settings: Settings, actor: Actor, scope: OrgScope, case: Feedback, *,
    org_code: str | None = None, outside_body: str = "", reason: str,
    now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """Hand the case to another unit (history kept, the citizen asked nothing again), or to a
    body outside the province's system (outcome ``transferred``, naming it). A case not yet
    triaged stays ``received`` with its new unit: the IOC still accepts it."""
    now = now or utcnow()
    before = _need(case, "transfer", "received", "accepted", "assigned", "in_progress")
    _own(case, scope)
    text = _note(reason, "reason_required")
    previous = case.org_code
    # The event names both ends (``from_org`` → ``to_org`` or ``outside_body``) and is filed
    # under the unit that hands the case over.
    if org_code is None:
        body = clean_text(outside_body, 300)
        if not body:
            raise Invalid("remit_body_required", message_key="error.transfer_target_required",
                          details={"field": "outside_body"})  # fmt: skip
        _lapse_request(session, case, actor, "transfer", now)
        _event(session, case, actor, "transferred", public=True, text=text, now=now,
               from_org=previous, outside_body=body)  # fmt: skip
        case.status, case.outcome, case.remit_body = "closed", "transferred", body
        case.closed_at, case.deadline_at, case.outcome_reason = now, None, text
    else:
        _unit(session, org_code)
        if org_code == case.org_code:
            raise Invalid("same_unit", details={"field": "org_code", "code": org_code})
        _lapse_request(session, case, actor, "transfer", now)
        _event(session, case, actor, "transferred", public=True, text=text, now=now,
               from_org=previous, to_org=org_code)  # fmt: skip
        case.org_code = org_code
        if case.status != "received":
            case.status = "assigned"
    _audit(session, actor, case, "transfer", before, from_org=previous, org_code=case.org_code,
           outcome=case.outcome)  # fmt: skip
    notify_reporters(session, settings, case, text)
    session.flush()
    return case


def start_work(
    session: Session, actor: Actor, scope: OrgScope, case: Feedback, *, note: str = "",
    now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """The handling unit starts work (assigned → in progress)."""
    now = now or utcnow()
    before = _need(case, "start", "assigned")
    _own(case, scope)
    case.status = "in_progress"
    _event(session, case, actor, "in_progress", public=True, text=_note(note), now=now)
    _audit(session, actor, case, "start", before)
    session.flush()
    return case


def extend(
    session: Session, actor: Actor, case: Feedback, *, working_days: int, reason: str,
    now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """Approve an extension (gia hạn) of ``working_days``: the clock stands still for that many
    working days of working time, so the deadline moves by exactly that, whatever the hour of
    the approval. Only before the deadline: a late case stays late (decision 0013)."""
    now = now or utcnow()
    before = _need(case, "extend", *OPEN_STATUSES)
    if not 1 <= working_days <= MAX_EXTENSION_DAYS:
        raise Invalid("invalid_extension", details={"field": "working_days"},
                      max=MAX_EXTENSION_DAYS)  # fmt: skip
    old = case.deadline_at
    if old is not None and now > old:
        raise Conflict("extension_after_deadline",
                       details={"field": "working_days", "deadline": old.isoformat()},
                       deadline=format_datetime(old))  # fmt: skip
    text = _note(reason, "reason_required")
    calendar = clock.work_calendar(session, now)
    # A pause approved earlier and still ahead is not overlapped (overlapping pauses count
    # once): this one starts where it ends, so two extensions add up.
    starts = max([now, *(p.paused_to for p in clock.pauses(session, case)
                         if p.paused_to is not None and p.paused_to > now)])  # fmt: skip
    until = cal.add_working_time(calendar, starts, calendar.day_length * working_days)
    clock.add_pause(session, case, starts, until, text, actor.name)
    _event(session, case, actor, "extended", public=True, text=text, now=now,
           working_days=working_days, deadline_from=old.isoformat() if old else None,
           deadline=case.deadline_at.isoformat() if case.deadline_at else None)  # fmt: skip
    _audit(
        session,
        actor,
        case,
        "extend",
        before,
        working_days=working_days,
        old_deadline=old.isoformat() if old else None,
        deadline=case.deadline_at.isoformat() if case.deadline_at else None,
    )
    session.flush()
    return case


def resolve(
    session: Session, settings: Settings, actor: Actor, scope: OrgScope, case: Feedback, *,
    answer: str, shots: Sequence[Photo] = (), now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """The unit reports the result: a public answer (and photos); outcome ``fixed``."""
    now = now or utcnow()
    before = _need(case, "resolve", "assigned", "in_progress")
    _own(case, scope)
    text = _note(answer, "answer_required", "answer")
    photos.check_count(len(shots))
    cleaned = [photos.clean(p.data, p.name) for p in shots]
    for shot in cleaned:
        session.add(
            FeedbackPhoto(feedback_id=case.id, stage="resolution", content_type=shot.content_type,
                          data=shot.data, width=shot.width, height=shot.height, sha256=shot.sha256)
        )  # fmt: skip
    _lapse_request(session, case, actor, "resolve", now)
    case.status, case.outcome, case.public_answer = "resolved", "fixed", text
    case.resolved_at = now
    case.resolved_on_time = case.deadline_at is None or now <= case.deadline_at
    _event(
        session,
        case,
        actor,
        "resolved",
        public=True,
        text=text,
        now=now,
        photos=len(cleaned),
        on_time=case.resolved_on_time,
    )
    _audit(session, actor, case, "resolve", before, on_time=case.resolved_on_time)
    notify_reporters(session, settings, case, text)
    session.flush()
    return case


def confirm(
    session: Session, settings: Settings, case: Feedback, *, secret: str, fixed: bool,
    rating: int | None = None, comment: str = "", now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """The reporter answers "was it fixed?" (with the case's secret) and rates 1–5.

    Fixed: the case closes as ``fixed_confirmed``. Not fixed: it reopens with the same unit
    and the resolve clock starts again."""
    now = now or utcnow()
    check_secret(case, secret)
    before = _need(case, "confirm", "resolved")
    if rating is not None and not 1 <= rating <= 5:
        raise Invalid("invalid_rating", details={"field": "rating"})
    actor = Actor(f"citizen:{case.code}")
    text = _note(comment)
    case.satisfaction = rating if rating is not None else case.satisfaction
    case.fixed_confirmed = fixed
    if fixed:
        case.status, case.outcome, case.closed_at = "closed", "fixed_confirmed", now
        case.deadline_at = None
        _event(session, case, actor, "confirmed", public=True, text=text, now=now, rating=rating)
        _audit(session, actor, case, "confirm", before, fixed=True, rating=rating)
        told = t("fb.notify.confirmed")
    else:
        case.status, case.outcome = "in_progress" if case.org_code else "accepted", None
        case.reopen_count += 1
        case.resolved_at, case.resolved_on_time = None, None
        clock.start_stage(session, case, "resolve", now)
        _event(session, case, actor, "reopened", public=True, text=text, now=now, rating=rating)
        _audit(session, actor, case, "reopen", before, fixed=False, rating=rating)
        told = t("fb.notify.reopened", deadline=format_datetime(case.deadline_at))
    # The reporter knows what they answered; the reporters of merged duplicates are told.
    notify_reporters(session, settings, case, told + (f"\n{text}" if text else ""),
                     skip_own=True)  # fmt: skip
    session.flush()
    return case


def close(
    session: Session, actor: Actor, case: Feedback, *, note: str = "",
    now: datetime | None = None, settings: Settings | None = None, auto: bool = False,
) -> Feedback:  # fmt: skip
    """Close a resolved case the reporter did not answer (outcome stays ``fixed``): by staff,
    or by the jobs (``auto``) ``AUTO_CLOSE_DAYS`` after the result; the reporters are told."""
    now = now or utcnow()
    before = _need(case, "close", "resolved")
    text = _note(note)
    case.status, case.closed_at, case.deadline_at = "closed", now, None
    marks: dict[str, object] = {"auto": True} if auto else {}
    _event(session, case, actor, "closed", public=True, text=text, now=now, **marks)
    _audit(session, actor, case, "close", before, outcome=case.outcome, **marks)
    told = (t("fb.notify.auto_closed", days=AUTO_CLOSE_DAYS) if auto
            else t("fb.notify.closed"))  # fmt: skip
    notify_reporters(session, settings or get_settings(), case,
                     told + (f"\n{text}" if text else ""))  # fmt: skip
    session.flush()
    return case


def merge(
    session: Session, settings: Settings, actor: Actor, case: Feedback, into: Feedback, *,
    now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """Merge a duplicate into the main case: it closes as ``duplicate``; its reporter then
    receives the main case's updates."""
    now = now or utcnow()
    before = _need(case, "merge", *OPEN_STATUSES)
    if case.id == into.id:
        raise Invalid("duplicate_of_itself", details={"field": "into"})
    if into.status not in OPEN_STATUSES:  # nobody would act on it (a merged case is closed)
        raise Conflict("merge_target_not_open",
                       details={"field": "into", "into": into.code, "status": into.status},
                       into=into.code, state=_Label(f"fb.status.{into.status}"))  # fmt: skip
    # Cases merged earlier into this one follow the main case too (no chain of duplicates).
    earlier = session.execute(select(Feedback).where(Feedback.duplicate_of == case.id)).scalars()
    followers = list(earlier.all())
    for each in followers:
        each.duplicate_of = into.id
    moved = [each.code for each in followers]
    _lapse_request(session, case, actor, "merge", now)
    case.status, case.outcome, case.duplicate_of = "closed", "duplicate", into.id
    case.closed_at, case.deadline_at = now, None
    _event(session, case, actor, "merged", public=True, now=now, into=into.code)
    for code in [case.code, *moved]:
        _event(session, into, actor, "duplicate_added", public=False, now=now, duplicate=code)
    _audit(session, actor, case, "merge", before, into=into.code, moved=moved)
    # Its reporter, and those of the cases that follow it, learn which case they now follow.
    _queue(session, settings, case, [case, *followers], t("fb.notify.merged", into=into.code))
    session.flush()
    return case


def comment(
    session: Session, actor: Actor, scope: OrgScope, case: Feedback, *, text: str,
    public: bool = False, now: datetime | None = None,
) -> Feedback:  # fmt: skip
    """A note on the timeline (internal by default)."""
    if not scope.is_province:
        _own(case, scope)
    body = _note(text, "comment_text_required", "text")
    _event(session, case, actor, "comment", public=public, text=body, now=now)
    _audit(session, actor, case, "comment", case.status, public=public)
    session.flush()
    return case
