"""API tokens as this process last saw them: who a bearer token acts for, kept for a few
seconds so that an integration posting many requests is not looked up on every one.

An entry is a snapshot — the token's scopes and expiry, a detached copy of its account, the
scope of its unit — read by :func:`iocvn.auth.credentials.load_token` (which also notes the
token's use). It is trusted for ``SECONDS`` and then read again; expiry is checked on every
use. Any change this process makes to tokens, accounts or units (an ORM flush, or an UPDATE
or DELETE statement on their tables) forgets every entry at once, so revoking a token or
locking an account here takes effect on the next request. Another server process sees such a
change within ``SECONDS`` (decision 0012).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import event, inspect
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from iocvn.auth import credentials
from iocvn.auth.models import ApiToken, User
from iocvn.auth.scope import OrgScope
from iocvn.core.crypto import token_hash
from iocvn.core.models import detached_copy
from iocvn.core.timeutil import as_utc, utcnow
from iocvn.org.models import OrgUnit

SECONDS = 5.0
SIZE = 1000  # tokens remembered per process; beyond that the oldest half is dropped


@dataclass(frozen=True)
class Holder:
    """What a live token acts as: ``user`` is a detached, fully loaded copy (callers put it
    in their session with ``Session.merge(..., load=False)``), ``scope`` that of its unit."""

    scopes: frozenset[str]
    expires_at: datetime | None
    user: User
    scope: OrgScope | None
    read_at: float


_ENTRIES: dict[tuple[str, str], Holder] = {}
_LOCK = threading.Lock()
_WATCHED = (ApiToken, User, OrgUnit)
_TABLES = frozenset(m.__table__ for m in _WATCHED)


def _key(session: Session, plain: str) -> tuple[str, str]:
    return str(session.get_bind().engine.url), token_hash(plain)


def remembered(session: Session, plain: str) -> Holder | None:
    """The holder of ``plain`` when read less than ``SECONDS`` ago and not expired; no SQL."""
    with _LOCK:
        found = _ENTRIES.get(_key(session, plain))
    if found is None or time.monotonic() - found.read_at >= SECONDS:
        return None
    if found.expires_at is not None and as_utc(found.expires_at) <= utcnow():
        return None
    return found


def load(session: Session, plain: str) -> Holder | None:
    """Read the token (noting its use) and remember what it acts as; None when it is not live."""
    read_at = time.monotonic()
    found = credentials.load_token(session, plain)
    if found is None:
        return None
    token, user, unit = found
    holder = Holder(
        scopes=frozenset(token.scopes),
        expires_at=token.expires_at,
        user=detached_copy(user),
        scope=OrgScope.of(unit) if unit is not None else None,
        read_at=read_at,
    )
    key = _key(session, plain)
    with _LOCK:
        if len(_ENTRIES) >= SIZE:
            for old in sorted(_ENTRIES, key=lambda k: _ENTRIES[k].read_at)[: SIZE // 2]:
                del _ENTRIES[old]
        _ENTRIES[key] = holder
    return holder


def forget() -> None:
    """Drop every entry (a token, an account or a unit changed)."""
    with _LOCK:
        _ENTRIES.clear()


def _changes_identity(obj: object) -> bool:
    """A dirty row that changes what a token may do (noting its use, ``last_used_at``, does
    not)."""
    if not isinstance(obj, _WATCHED):
        return False
    if not isinstance(obj, ApiToken):
        return True
    return any(a.key != "last_used_at" and a.history.has_changes() for a in inspect(obj).attrs)


# Forgotten when the change is written and again when it commits: a request reading the
# token in between (it still sees the old row) must not keep it cached past the commit.
_CHANGED = "iocvn.live_tokens.changed"


@event.listens_for(Session, "after_flush")
def _forget_on_flush(session: Session, _flush: UOWTransaction) -> None:
    # ``new``, ``dirty`` and ``deleted`` still show what this flush wrote.
    added_or_removed = chain(session.new, session.deleted)
    if any(isinstance(o, _WATCHED) for o in added_or_removed) or any(
        _changes_identity(o) for o in session.dirty
    ):
        session.info[_CHANGED] = True
        forget()


@event.listens_for(Session, "do_orm_execute")
def _forget_on_statement(state: ORMExecuteState) -> None:
    if not (state.is_update or state.is_delete):
        return
    table: Any = getattr(state.statement, "table", None)
    if table in _TABLES:
        state.session.info[_CHANGED] = True
        forget()


@event.listens_for(Session, "after_commit")
def _forget_on_commit(session: Session) -> None:
    if session.info.pop(_CHANGED, False):
        forget()


@event.listens_for(Session, "after_rollback")
def _nothing_changed(session: Session) -> None:
    session.info.pop(_CHANGED, None)
