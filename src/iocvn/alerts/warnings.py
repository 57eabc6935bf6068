"""Public warnings (cảnh báo công khai) on the database: draft, edit, publish with four eyes,
update, cancel, discard, and reading them in the caller's scope or as published.

The editor → approver flow of SAMBRO: an operator drafts; a second person publishes — a
``leader``, or an ``operator`` who neither drafted nor edited that draft (``authors``). An
Update or a Cancel starts as a draft of its own and is published the same way. Publishing
writes the CAP message once (``cap.to_bytes``, checked against the XSD) and keeps its bytes;
the earlier message of the chain becomes ``superseded`` (Update) or ``cancelled`` (Cancel),
and the new message references every earlier one. Every step is audited in the caller's
transaction.

Services flush, never commit; the request or the command owns the transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from iocvn.alerts import (
    drafts,
    messages,  # noqa: F401  (registers the domain's texts)
)
from iocvn.alerts.cap import (
    MSG_TYPES,
    CapMessage,
    new_identifier,
    read,
    references_for,
    to_bytes,
)
from iocvn.alerts.models import STATES, WarningMessage
from iocvn.alerts.sender import Publisher
from iocvn.alerts.warning import LIMITS, STATUSES, PublicWarning, Translation, choice
from iocvn.audit import service as audit
from iocvn.auth.scope import OrgScope
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Forbidden, Invalid, NotFound
from iocvn.core.ids import new_id

MAX_PAGE = 200
FEED_SIZE = 100
"""The Atom feed lists this many newest published messages."""
CANCEL_FIELDS: Final = frozenset({"headline", "description", "instruction", "english"})
"""What a Cancel may say besides the defaults (the rest is the cancelled warning's)."""


# --- reading -----------------------------------------------------------------------------


def get_warning(db: Session, warning_id: str, scope: OrgScope) -> WarningMessage:
    """One message in the caller's scope (404 otherwise, as if absent)."""
    row = db.execute(
        select(WarningMessage).where(
            WarningMessage.id == warning_id, scope.area_clause(WarningMessage.org_code)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("warning_not_found", details={"id": warning_id[:40]})
    return row


def list_warnings(
    db: Session,
    scope: OrgScope,
    *,
    state: str | None = None,
    status: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[WarningMessage], int]:
    """Messages in the caller's scope, newest draft first, and how many match."""
    where = [scope.area_clause(WarningMessage.org_code)]
    if state is not None:
        if state not in STATES:
            raise Invalid("cap_enumeration", details={"field": "state", "allowed": list(STATES)},
                          field="state", allowed=", ".join(STATES))  # fmt: skip
        where.append(WarningMessage.state == state)
    if status is not None:
        if status not in STATUSES:
            raise Invalid("cap_enumeration", details={"field": "status", "allowed": list(STATUSES)},
                          field="status", allowed=", ".join(STATUSES))  # fmt: skip
        where.append(WarningMessage.status == status)
    total = db.execute(select(func.count()).select_from(WarningMessage).where(*where)).scalar_one()
    rows = db.execute(
        select(WarningMessage)
        .where(*where)
        .order_by(WarningMessage.drafted_at.desc(), WarningMessage.id.desc())
        .limit(min(limit, MAX_PAGE))
        .offset(offset)
    ).scalars()
    return list(rows), int(total)


def chain(db: Session, row: WarningMessage) -> list[WarningMessage]:
    """Every message of ``row``'s warning, drafts included, in the order they were drafted."""
    return list(
        db.execute(
            select(WarningMessage)
            .where(WarningMessage.chain_id == row.chain_id)
            .order_by(WarningMessage.drafted_at, WarningMessage.id)
        ).scalars()
    )


def published(db: Session, identifier: str) -> WarningMessage:
    """The message published as ``identifier`` (public; 404 otherwise)."""
    row = db.execute(
        select(WarningMessage).where(
            WarningMessage.identifier == identifier, WarningMessage.xml.is_not(None)
        )
    ).scalar_one_or_none()
    if row is None:
        raise NotFound("warning_not_found", details={"identifier": identifier[:200]})
    return row


def feed_messages(db: Session, limit: int = FEED_SIZE) -> list[CapMessage]:
    """The newest published messages (whatever became of them since), newest first."""
    xmls = db.execute(
        select(WarningMessage.xml)
        .where(WarningMessage.xml.is_not(None))
        .order_by(WarningMessage.sent.desc(), WarningMessage.identifier.desc())
        .limit(limit)
    ).scalars()
    return [read(xml.encode("utf-8")) for xml in xmls if xml is not None]


def message_of(row: WarningMessage) -> CapMessage | None:
    """The CAP message of a published row, read back from its stored bytes."""
    return read(row.xml.encode("utf-8")) if row.xml is not None else None


def may_publish(row: WarningMessage, username: str) -> bool:
    """True when ``username`` is not one of the draft's authors (the four-eyes rule)."""
    return row.state == "draft" and username not in row.authors


# --- changing ----------------------------------------------------------------------------


def draft(db: Session, actor: Actor, body: Any, now: datetime) -> WarningMessage:
    """A new warning (an ``Alert``) drafted by ``actor`` for their unit."""
    rest, source = drafts.split_source(body)
    warning, english = drafts.checked(rest, now)
    first = new_id()
    row = WarningMessage(id=first, chain_id=first, msg_type="Alert", state="draft",
                         drafted_by=actor.name, drafted_at=now, authors=[actor.name],
                         org_code=actor.org_code, source_alert_id=source,
                         updated_at=now)  # fmt: skip
    _fill(row, warning, english)
    db.add(row)
    db.flush()
    audit.record(db, actor, "warning.draft", target_type="warning", target_id=row.id,
                 after=_summary(row) | {"source_alert": source})  # fmt: skip
    return row


def edit(db: Session, actor: Actor, row: WarningMessage, patch: Any, now: datetime) -> None:
    """Change a draft: the fields of ``patch`` replace the stored ones; the editor becomes
    one of its authors (and so may not publish it)."""
    _lock(db, row)
    _need_draft(row)
    rest, source = drafts.split_source(patch)
    if row.msg_type == "Cancel":
        _only_cancel_fields(rest)
    body = drafts.merged(row.body, rest)
    if row.msg_type != "Alert":
        _same_status(row, body)
    warning, english = drafts.checked(body, None if row.msg_type == "Cancel" else now)
    before = _summary(row)
    _fill(row, warning, english)
    if source is not None:
        row.source_alert_id = source
    if actor.name not in row.authors:
        row.authors = [*row.authors, actor.name]
    row.updated_at = now
    db.flush()
    audit.record(db, actor, "warning.edit", target_type="warning", target_id=row.id,
                 before=before, after=_summary(row))  # fmt: skip


def publish(
    db: Session, actor: Actor, row: WarningMessage, who: Publisher, now: datetime
) -> WarningMessage:
    """Publish a draft as a CAP message: never by one of its authors (403
    ``warning_four_eyes``); an Update or a Cancel references the whole chain and ends the
    message it follows."""
    if row.msg_type != "Alert":
        _lock(db, _first(db, row))  # one Update or Cancel of a chain at a time
    _lock(db, row)
    _need_draft(row)
    if actor.name in row.authors:
        raise Forbidden("warning_four_eyes", details={"authors": row.authors})
    warning, english = drafts.checked(row.body)
    earlier: list[WarningMessage] = []
    head: WarningMessage | None = None
    if row.msg_type != "Alert":
        earlier = [r for r in chain(db, row) if r.xml is not None]
        head = _head(earlier)
    message = CapMessage(
        identifier=new_identifier(who.domain),
        sender=who.sender,
        sent=now,
        warning=warning,
        msg_type=choice(row.msg_type, MSG_TYPES, "msg_type"),
        references=references_for(m for m in map(message_of, earlier) if m is not None),
        english=english,
        sender_name=who.sender_name,
    )
    xml = to_bytes(message)
    row.state, row.approved_by, row.published_at = "published", actor.name, now
    row.identifier, row.sender, row.sent = message.identifier, message.sender, message.sent
    row.cap_references = " ".join(str(r) for r in message.references)
    row.xml = xml.decode("utf-8")
    ended: dict[str, str] = {}
    if head is not None:
        row.previous_id = head.id
        head.state = "superseded" if row.msg_type == "Update" else "cancelled"
        head.ended_by, head.ended_at = actor.name, now
        ended = {head.state: head.id}
    db.flush()
    audit.record(db, actor, "warning.publish", target_type="warning", target_id=row.id,
                 after=_summary(row) | {"identifier": row.identifier,
                                        "references": row.cap_references} | ended)  # fmt: skip
    return row


def start_update(
    db: Session, actor: Actor, row: WarningMessage, patch: Any, now: datetime
) -> WarningMessage:
    """A draft ``Update`` of a published warning: its body with ``patch`` applied."""
    _need_live(row)
    rest, _ = drafts.split_source(patch)
    body = drafts.merged(row.body, rest)
    _same_status(row, body)
    warning, english = drafts.checked(body, now)
    return _follow_up(db, actor, row, "Update", warning, english, now)


def start_cancel(
    db: Session, actor: Actor, row: WarningMessage, patch: Any, now: datetime
) -> WarningMessage:
    """A draft ``Cancel`` of a published warning: its classification and area with urgency
    ``Past``, response ``AllClear`` and texts saying it is withdrawn (``patch`` may give the
    headline, description, instruction and an English block)."""
    _need_live(row)
    rest, _ = drafts.split_source(patch)
    _only_cancel_fields(rest)
    headline = f"Hủy cảnh báo: {row.headline}"
    limit = LIMITS["headline"]
    if len(headline) > limit:
        headline = headline[: limit - 1].rstrip() + "…"
    body = {k: v for k, v in row.body.items() if k != "english"} | {
        "headline": headline,
        "description": f"Cảnh báo “{row.headline}” ({row.identifier}) đã được hủy bỏ.",
        "instruction": "",
        "urgency": "Past",
        "response_types": ["AllClear"],
    }
    warning, english = drafts.checked(drafts.merged(body, rest))
    return _follow_up(db, actor, row, "Cancel", warning, english, now)


def discard(db: Session, actor: Actor, row: WarningMessage, now: datetime) -> None:
    """Give up a draft (it stays listed as ``discarded``; nothing was published)."""
    _lock(db, row)
    _need_draft(row)
    row.state, row.ended_by, row.ended_at, row.updated_at = "discarded", actor.name, now, now
    db.flush()
    audit.record(db, actor, "warning.discard", target_type="warning", target_id=row.id,
                 before={"state": "draft"}, after={"state": "discarded"})  # fmt: skip


# --- helpers -----------------------------------------------------------------------------


def _follow_up(
    db: Session,
    actor: Actor,
    row: WarningMessage,
    msg_type: str,
    warning: PublicWarning,
    english: Translation | None,
    now: datetime,
) -> WarningMessage:
    new = WarningMessage(msg_type=msg_type, state="draft", chain_id=row.chain_id,
                         previous_id=row.id, drafted_by=actor.name, drafted_at=now,
                         authors=[actor.name], org_code=row.org_code,
                         source_alert_id=row.source_alert_id, updated_at=now)  # fmt: skip
    _fill(new, warning, english)
    db.add(new)
    db.flush()
    action = "warning.update" if msg_type == "Update" else "warning.cancel"
    audit.record(db, actor, action, target_type="warning", target_id=new.id,
                 after=_summary(new) | {"previous": row.id})  # fmt: skip
    return new


def _fill(row: WarningMessage, warning: PublicWarning, english: Translation | None) -> None:
    row.body = drafts.normalised(warning, english)
    row.status, row.language = warning.status, warning.language
    row.event, row.headline = warning.event, warning.headline
    row.category, row.urgency = warning.category, warning.urgency
    row.severity, row.certainty = warning.severity, warning.certainty
    row.onset, row.expires = warning.onset, warning.expires


def _summary(row: WarningMessage) -> dict[str, Any]:
    return {"state": row.state, "msg_type": row.msg_type, "status": row.status,
            "event": row.event, "headline": row.headline, "severity": row.severity,
            "urgency": row.urgency, "expires": row.expires}  # fmt: skip


def _lock(db: Session, row: WarningMessage) -> None:
    # PostgreSQL: two approvers of one draft (or two Updates of one chain) take turns; the
    # second sees the first one's result. SQLite's writers already take turns.
    db.refresh(row, with_for_update=True)


def _first(db: Session, row: WarningMessage) -> WarningMessage:
    first = db.get(WarningMessage, row.chain_id)
    assert first is not None  # chain_id is the first message's id
    return first


def _head(published_rows: list[WarningMessage]) -> WarningMessage:
    """The chain's message in force (the last one published and not yet replaced)."""
    heads = [r for r in published_rows if r.state == "published"]
    if not heads or heads[-1].msg_type == "Cancel":
        raise Conflict("warning_chain_ended")
    return heads[-1]


def _need_draft(row: WarningMessage) -> None:
    if row.state != "draft":
        raise Conflict("warning_not_draft", details={"state": row.state}, state=row.state)


def _need_live(row: WarningMessage) -> None:
    if row.state != "published" or row.msg_type == "Cancel":
        raise Conflict(
            "warning_not_published",
            details={"state": row.state, "msg_type": row.msg_type},
            state=row.state,
        )


def _same_status(row: WarningMessage, body: dict[str, Any]) -> None:
    if body.get("status", row.status) != row.status:
        raise Invalid("warning_status_change", details={"field": "status", "status": row.status},
                      current=row.status)  # fmt: skip


def _only_cancel_fields(patch: Any) -> None:
    if isinstance(patch, dict):
        extra = sorted(str(k) for k in patch if k not in CANCEL_FIELDS)
        if extra:
            allowed = sorted(CANCEL_FIELDS)
            raise Invalid(
                "warning_cancel_fields", details={"fields": extra[:20], "allowed": allowed}
            )
