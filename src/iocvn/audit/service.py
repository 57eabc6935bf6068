"""Append to and verify the hash-chained audit log.

``record`` keeps the entry with the session, and the entries of a transaction are chained
when it commits (or earlier, when the transaction itself reads the log). Chaining updates
the single ``audit_head`` row first: PostgreSQL holds its row lock and SQLite its write lock
until the transaction ends, so two writers never chain onto the same tip. Taking that lock at
commit rather than at the first ``record`` means it is held for one round trip, not for the
whole request: concurrent writers queue only for the append, and a request never holds the
chain while it waits for a thread or a connection. The log's order is therefore the order in
which changes became durable; ``at`` is when each change was made. Callers own the
transaction; this module only flushes.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import (
    Select,
    Table,
    bindparam,
    event,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction
from sqlalchemy.orm.util import identity_key

from iocvn.audit.models import AuditEntry, AuditHead
from iocvn.core.context import Actor
from iocvn.core.ids import new_id
from iocvn.core.timeutil import as_utc, utcnow

GENESIS = "0" * 64
# Lone surrogates (a JSON body may carry "\ud800") cannot be encoded as UTF-8 for hashing.
_SURROGATE = re.compile("[\ud800-\udfff]")


def canonical(entry: AuditEntry) -> bytes:
    """The bytes that are hashed: every field but ``hash``, as sorted compact JSON."""
    body = {
        "seq": entry.seq,
        "id": entry.id,
        "at": as_utc(entry.at).strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
        "actor": entry.actor,
        "actor_org": entry.actor_org,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "before": entry.before,
        "after": entry.after,
        "request_id": entry.request_id,
        "ip": entry.ip,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    """``sha256(prev_hash || canonical(entry))`` as hex."""
    return hashlib.sha256(entry.prev_hash.encode() + canonical(entry)).hexdigest()


def _head(session: Session) -> AuditHead:
    head = session.get(AuditHead, 1)
    if head is None:
        head = AuditHead(id=1, last_seq=0, last_hash=GENESIS)
        session.add(head)
        session.flush()
    return head


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    target_type: str = "",
    target_id: str = "",
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEntry:
    """Record one entry in the caller's transaction; it is chained when the transaction
    commits (``seq`` and ``hash`` are set then) and discarded if it rolls back."""
    entry = AuditEntry(
        id=new_id(),
        at=utcnow(),
        actor=actor.name,
        actor_org=actor.org_code,
        action=action,
        target_type=target_type,
        target_id=target_id,
        before=_jsonable(before),
        after=_jsonable(after),
        request_id=actor.request_id,
        ip=actor.ip,
    )
    session.info.setdefault(_PENDING, []).append(entry)
    return entry


def append_pending(session: Session) -> int:
    """Chain the entries recorded in this transaction now (commit does it by itself)."""
    pending: list[AuditEntry] = session.info.pop(_PENDING, [])
    if not pending:
        return 0
    session.flush()  # the transaction's other rows first: the chain is locked for its own
    # Lock the tip and read it in one round trip (see module docstring).
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        # Queue for the chain on an advisory lock, taken by the same statement before the
        # row: waiters on the head row itself would all wake and re-check the updated row at
        # each append (a herd that costs PostgreSQL more CPU the longer the queue). Once the
        # lock is ours the previous holder has committed, and the update reads its tip.
        row = session.execute(_LOCK_AND_READ, {"key": _CHAIN_LOCK}).first()
    else:
        row = session.execute(
            update(_HEAD)
            .where(_HEAD.c.id == 1)
            .values(last_seq=_HEAD.c.last_seq)
            .returning(_HEAD.c.last_seq, _HEAD.c.last_hash)
        ).first()
    seq, prev = (row[0], row[1]) if row is not None else (_head(session).last_seq, GENESIS)
    for entry in pending:
        seq += 1
        entry.seq, entry.prev_hash = seq, prev
        entry.hash = prev = entry_hash(entry)
    # One entry (the usual case) is written with the head's move in one statement where
    # PostgreSQL allows it: the chain is held for one round trip less before commit. The
    # entries are written with Core, not as ORM rows.
    rows = [{c: getattr(entry, c) for c in _COLUMNS} for entry in pending]
    if row is not None and len(rows) == 1 and postgresql:
        first = {f"entry_{c}": v for c, v in rows[0].items()}  # no name the head's columns
        session.execute(_APPEND_ONE, {**first, "head_seq": seq, "head_hash": prev})
    else:
        session.execute(insert(_LOG), rows)
        session.execute(update(_HEAD).where(_HEAD.c.id == 1).values(last_seq=seq, last_hash=prev))
    held = session.identity_map.get(identity_key(AuditHead, 1))
    if held is not None:  # an ORM copy of the head loaded earlier is now out of date
        session.expire(held)
    return len(pending)


_PENDING = "iocvn.audit.pending"
_CHAIN_LOCK = 0x10C_A0D1  # the advisory lock key of the chain (any constant, unique to it)
_LOCK_AND_READ = text(
    "UPDATE audit_head SET last_seq = audit_head.last_seq"
    " FROM (SELECT pg_advisory_xact_lock(:key)) AS chain"
    " WHERE audit_head.id = 1 RETURNING audit_head.last_seq, audit_head.last_hash"
)
_MARKS = "iocvn.audit.savepoints"
_COLUMNS = tuple(c.name for c in AuditEntry.__table__.columns)
_HEAD = cast("Table", AuditHead.__table__)
_LOG = cast("Table", AuditEntry.__table__)
# Built once: a statement with a data-modifying CTE is compiled anew each time otherwise.
_APPEND_ONE = (
    insert(_LOG)
    .values({c: bindparam(f"entry_{c}") for c in _COLUMNS})
    .add_cte(
        update(_HEAD)
        .where(_HEAD.c.id == 1)
        .values(last_seq=bindparam("head_seq"), last_hash=bindparam("head_hash"))
        .cte("moved")
    )
)


_AUDIT_TABLES = frozenset({AuditEntry.__table__, AuditHead.__table__})


@event.listens_for(Session, "before_commit")
def _append_on_commit(session: Session) -> None:
    append_pending(session)


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[transaction] = len(session.info.get(_PENDING, []))


@event.listens_for(Session, "after_soft_rollback")
def _discard_on_rollback(session: Session, previous: SessionTransaction) -> None:
    # A rolled-back SAVEPOINT drops what was recorded inside it; a rollback drops everything.
    mark = session.info.get(_MARKS, {}).get(previous) if previous.nested else None
    if mark is None:
        session.info.pop(_PENDING, None)
    elif _PENDING in session.info:
        del session.info[_PENDING][mark:]


@event.listens_for(Session, "after_transaction_end")
def _forget_savepoints(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # the outermost transaction ended
        session.info.pop(_MARKS, None)


@event.listens_for(Session, "do_orm_execute")
def _append_before_reading_log(state: ORMExecuteState) -> None:
    # A transaction that reads the log sees its own entries, as it would any other row.
    if not state.session.info.get(_PENDING) or not state.is_select:
        return
    statement = state.statement
    froms = statement.get_final_froms() if isinstance(statement, Select) else []
    if any(f in _AUDIT_TABLES for f in froms) or any(
        m.local_table in _AUDIT_TABLES for m in state.all_mappers
    ):
        append_pending(state.session)


def _jsonable(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """Round-trip through JSON so what is hashed equals what the database gives back."""
    if value is None:
        return None
    text = _SURROGATE.sub("\ufffd", json.dumps(value, default=str, ensure_ascii=False))
    loaded: dict[str, Any] = json.loads(text)
    return loaded


@dataclass(frozen=True)
class Verification:
    """The result of walking the chain.

    ``reason`` of a failure: ``missing_entry`` (a seq is absent), ``broken_link`` (prev_hash
    is not the previous entry's hash: removed, inserted or reordered entries),
    ``altered_entry`` (the stored hash does not match the content), ``truncated_tail``
    (entries the head records are gone), ``head_mismatch`` (the last entry is not the one the
    head records), ``entry_after_head`` (entries beyond the head's tip), ``head_missing``.
    """

    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def _tip(session: Session) -> tuple[int, str, int] | None:
    """``(last_seq, last_hash, max stored seq)`` read in one statement, so one snapshot.

    Reading the head and the entries in separate statements would race a concurrent append
    (READ COMMITTED) and report a healthy log as truncated. ``None`` when the head is gone.
    """
    max_seq = select(func.coalesce(func.max(AuditEntry.seq), 0)).scalar_subquery()
    row = session.execute(
        select(AuditHead.last_seq, AuditHead.last_hash, max_seq).where(AuditHead.id == 1)
    ).first()
    if row is None:
        return None
    return int(row[0]), str(row[1]), int(row[2])


def _entries(session: Session, upto: int, batch: int = 2000) -> Iterator[AuditEntry]:
    """Entries with ``seq <= upto`` in order, as detached copies of what is stored.

    Rows are read as columns, not through the session's identity map, so an object the caller
    already holds can neither hide a change made in the database nor be expunged by us.
    """
    table = AuditEntry.__table__
    last = 0
    while True:
        rows = (
            session.execute(
                select(table)
                .where(table.c.seq > last, table.c.seq <= upto)
                .order_by(table.c.seq)
                .limit(batch)
            )
            .mappings()
            .all()
        )
        if not rows:
            return
        for row in rows:
            yield AuditEntry(**row)
        last = rows[-1]["seq"]


def verify(session: Session) -> Verification:
    """Recompute every hash; report the first entry that was changed, removed or inserted."""
    append_pending(session)
    tip = _tip(session)
    if tip is None:
        has_entries = session.execute(select(func.count()).select_from(AuditEntry)).scalar_one()
        if has_entries:
            return Verification(False, 0, 1, "head_missing")
        return Verification(True, 0)
    last_seq, last_hash, max_seq = tip
    prev_hash = GENESIS
    expected_seq = 1
    checked = 0
    for entry in _entries(session, last_seq):
        if entry.seq != expected_seq:
            return Verification(False, checked, expected_seq, "missing_entry")
        if entry.prev_hash != prev_hash:
            return Verification(False, checked, entry.seq, "broken_link")
        if entry_hash(entry) != entry.hash:
            return Verification(False, checked, entry.seq, "altered_entry")
        prev_hash = entry.hash
        expected_seq += 1
        checked += 1
    if checked < last_seq:
        return Verification(False, checked, checked + 1, "truncated_tail")
    if prev_hash != last_hash:
        return Verification(False, checked, max(checked, 1), "head_mismatch")
    if max_seq > last_seq:
        return Verification(False, checked, last_seq + 1, "entry_after_head")
    return Verification(True, checked)


def search(
    session: Session,
    *,
    actor: str | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    target_id: str | None = None,
    limit: int = 100,
    before_seq: int | None = None,
) -> list[AuditEntry]:
    """Newest entries first, filtered; ``action`` matches a prefix (``user.`` finds all)."""
    stmt = select(AuditEntry).order_by(AuditEntry.seq.desc()).limit(limit)
    if actor:
        stmt = stmt.where(AuditEntry.actor == actor)
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if since:
        stmt = stmt.where(AuditEntry.at >= since)
    if until:
        stmt = stmt.where(AuditEntry.at < until)
    if target_id:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if before_seq:
        stmt = stmt.where(AuditEntry.seq < before_seq)
    return list(session.execute(stmt).scalars())
