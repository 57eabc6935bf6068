"""Reading cases: for staff (scoped, personal data masked), for the public and Open311 (no
personal data at all), and the audited reveal of a reporter's details.

Who sees which case is :meth:`OrgScope.handling_clause`: the province all, an agency what is
assigned to it, a commune what is assigned to it or located in it. A case outside the
caller's reach answers 404 like one that does not exist.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.scope import OrgScope
from iocvn.core import pii
from iocvn.core.context import Actor
from iocvn.core.crypto import same, token_hash
from iocvn.core.errors import Forbidden, Invalid, NotFound
from iocvn.core.i18n import register
from iocvn.feedback.models import OPEN_STATUSES, STATUSES, Feedback, FeedbackEvent, FeedbackPhoto

MAX_PAGE = 200
MIN_REASON = 10

register(
    {
        "error.feedback_not_found": ("Không có phản ánh {case}.", "There is no report {case}."),
        "error.reveal_reason_required": (
            "Cần nêu lý do (ít nhất {min} ký tự) để xem thông tin người phản ánh.",
            "State a reason (at least {min} characters) to see the reporter's details.",
        ),
        "error.reveal_not_allowed": (
            "Chỉ cán bộ IOC cấp tỉnh có quyền xem thông tin người phản ánh.",
            "Only the province IOC's staff may see the reporter's details.",
        ),
        "error.invalid_status": ("Trạng thái {state} không hợp lệ.", "Unknown status {state}."),
        "error.wrong_secret": (
            "Mã bí mật không đúng với phản ánh này.",
            "The secret does not match this report.",
        ),
    }
)


def pseudonym(case: Feedback) -> str:
    """What the handling unit and the public call the reporter: ``Người phản ánh 7KQ4M2X``."""
    return f"Người phản ánh {case.code.rsplit('-', 1)[-1]}"


def open311_status(case: Feedback) -> str:
    """Open311 knows ``open`` and ``closed``."""
    return "open" if case.status in OPEN_STATUSES else "closed"


def _find(session: Session, key: str) -> Feedback | None:
    key = key.strip()[:40]
    stmt = select(Feedback).where(Feedback.code == key.upper() if key[:3].upper() == "PA-"
                                  else Feedback.id == key)  # fmt: skip
    return session.execute(stmt).scalar_one_or_none()


def get_case(session: Session, key: str, scope: OrgScope | None) -> Feedback:
    """A case by id or code, within ``scope`` (``None``: unrestricted), else 404."""
    case = _find(session, key)
    if case is not None and scope is not None:
        visible = session.execute(
            select(Feedback.id).where(
                Feedback.id == case.id, scope.handling_clause(Feedback.org_code, Feedback.area_code)
            )
        ).first()
        case = case if visible else None
    if case is None:
        raise NotFound("feedback_not_found", details={"code": key[:40]}, case=key[:40])
    return case


def get_public(session: Session, key: str) -> Feedback:
    """A case by code for the public (merged duplicates included)."""
    case = _find(session, key)
    if case is None:
        raise NotFound("feedback_not_found", details={"code": key[:40]}, case=key[:40])
    return case


def check_secret(case: Feedback, secret: str) -> None:
    """The reporter's private view needs the secret given at submission."""
    if not secret or not same(token_hash(secret), case.secret_hash):
        raise Forbidden("wrong_secret")


@dataclass
class Filters:
    """Filters of a case list."""

    status: str | None = None
    category: str | None = None
    org_unit: str | None = None
    area: str | None = None
    channel: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    overdue_at: datetime | None = None
    ids: list[str] | None = None


def case_query(filters: Filters, scope: OrgScope | None) -> Select[Feedback]:
    """The scoped, filtered query of cases, newest first."""
    stmt = select(Feedback)
    if scope is not None:
        stmt = stmt.where(scope.handling_clause(Feedback.org_code, Feedback.area_code))
    if filters.status:
        wanted = [s.strip() for s in filters.status.split(",") if s.strip()]
        unknown = [s for s in wanted if s not in STATUSES and s != "open"]
        if unknown:
            raise Invalid("invalid_status", details={"status": unknown[0][:20]},
                          state=unknown[0][:20])  # fmt: skip
        expanded = {x for s in wanted for x in (OPEN_STATUSES if s == "open" else (s,))}
        stmt = stmt.where(Feedback.status.in_(sorted(expanded)))
    if filters.category:
        stmt = stmt.where(
            (Feedback.category_code == filters.category)
            | Feedback.category_code.startswith(filters.category + ".")
        )
    if filters.org_unit:
        stmt = stmt.where(Feedback.org_code == filters.org_unit)
    if filters.area:
        stmt = stmt.where(Feedback.area_code == filters.area)
    if filters.channel:
        stmt = stmt.where(Feedback.channel == filters.channel)
    if filters.since:
        stmt = stmt.where(Feedback.received_at >= filters.since)
    if filters.until:
        stmt = stmt.where(Feedback.received_at <= filters.until)
    if filters.overdue_at:
        stmt = stmt.where(
            Feedback.deadline_at < filters.overdue_at, Feedback.status.in_(OPEN_STATUSES)
        )
    if filters.ids is not None:
        stmt = stmt.where(Feedback.code.in_(filters.ids) | Feedback.id.in_(filters.ids))
    return stmt.order_by(Feedback.received_at.desc(), Feedback.id.desc())


def list_cases(
    session: Session, filters: Filters, scope: OrgScope | None, *, limit: int = 50,
    offset: int = 0,
) -> tuple[list[Feedback], int]:  # fmt: skip
    """A page of cases and the total matching."""
    stmt = case_query(filters, scope)
    total = session.execute(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = session.execute(stmt.limit(min(limit, MAX_PAGE)).offset(offset)).scalars().all()
    return list(rows), int(total.scalar_one())


def timeline(session: Session, case: Feedback, *, public_only: bool) -> list[FeedbackEvent]:
    """The case's steps, oldest first (only the public ones for the reporter and public)."""
    stmt = select(FeedbackEvent).where(FeedbackEvent.feedback_id == case.id)
    if public_only:
        stmt = stmt.where(FeedbackEvent.public.is_(True))
    return list(session.execute(stmt.order_by(FeedbackEvent.at, FeedbackEvent.id)).scalars())


def photo_ids(session: Session, case: Feedback) -> list[tuple[str, str]]:
    """(photo id, stage) of the case's photos."""
    return photo_ids_by_case(session, [case.id]).get(case.id, [])


def photo_ids_by_case(session: Session, ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
    """(photo id, stage) of the photos of several cases, in one query."""
    out: dict[str, list[tuple[str, str]]] = {}
    if not ids:
        return out
    stmt = select(FeedbackPhoto.feedback_id, FeedbackPhoto.id, FeedbackPhoto.stage).where(
        FeedbackPhoto.feedback_id.in_(list(ids))
    )
    for case_id, photo, stage in session.execute(stmt.order_by(FeedbackPhoto.created_at)):
        out.setdefault(case_id, []).append((photo, stage))
    return out


def masked_contacts(case: Feedback, keys: str) -> dict[str, Any]:
    """The reporter's details as staff see them without a reveal: masked, and whether given."""
    out: dict[str, Any] = {"pseudonym": pseudonym(case), "anonymous": case.anonymous}
    for field, mask in (
        ("name", pii.mask_name), ("phone", pii.mask_phone), ("email", pii.mask_email),
        ("id_number", pii.mask_id_number),
    ):  # fmt: skip
        sealed = getattr(case, f"reporter_{field}")
        out[field] = mask(pii.open_sealed(sealed, keys, f"feedback.{field}")) if sealed else None
    return out


def reveal(
    session: Session, actor: Actor, scope: OrgScope, case: Feedback, reason: str, keys: str
) -> dict[str, str | None]:
    """The reporter's details in clear, for province IOC staff who state why; audited."""
    if not scope.is_province:
        raise Forbidden("reveal_not_allowed")
    reason = " ".join((reason or "").split())[:500]
    if len(reason) < MIN_REASON:
        raise Invalid("reveal_reason_required", details={"field": "reason"}, min=MIN_REASON)
    out: dict[str, str | None] = {}
    for field in ("name", "phone", "email", "id_number"):
        sealed = getattr(case, f"reporter_{field}")
        out[field] = pii.open_sealed(sealed, keys, f"feedback.{field}") if sealed else None
    audit.record(
        session, actor, "feedback.reveal", target_type="feedback", target_id=case.id,
        after={"code": case.code, "reason": reason,
               "fields": sorted(k for k, v in out.items() if v)},
    )  # fmt: skip
    session.add(
        FeedbackEvent(feedback_id=case.id, kind="revealed", actor=actor.name, public=False,
                      text=reason)
    )  # fmt: skip
    session.flush()
    return out


def find_by_phone(
    session: Session, phone: str, keys: str, scope: OrgScope | None
) -> list[Feedback]:
    """Cases reported from ``phone`` (through its blind index; the number is never stored)."""
    indexes = pii.blind_indexes(pii.normalise_phone(phone), keys, "phone")
    stmt = case_query(Filters(), scope).where(Feedback.phone_index.in_(indexes))
    return list(session.execute(stmt.limit(MAX_PAGE)).scalars())
