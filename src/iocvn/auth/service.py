"""Account lifecycle: issue, change, lock, unlock, revoke (R15). Every change is audited.

Services flush; the request or command that called them commits.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.models import ApiToken, User, WebSession
from iocvn.auth.passwords import check_policy, hash_password
from iocvn.auth.roles import ROLE_LEVELS, ROLES
from iocvn.auth.scope import OrgScope
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.core.timeutil import utcnow
from iocvn.org.models import OrgUnit

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
STATUSES = ("active", "locked", "revoked")


@dataclass(frozen=True)
class NewUser:
    """What is needed to issue an account."""

    username: str
    role: str
    org_code: str
    password: str | None = None
    display_name: str = ""
    email: str | None = None  # where notifications (e.g. reminders) are sent


def summary(user: User) -> dict[str, Any]:
    """The audit/API summary of an account (never the secrets)."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "org_unit": user.org_code,
        "status": user.status,
        "mfa_enabled": user.mfa_enabled,
    }


def get_user(session: Session, username: str) -> User:
    """The account called ``username`` or ``NotFound("user_not_found")``."""
    user = session.execute(select(User).where(User.username == username)).scalar_one_or_none()
    if user is None:
        raise NotFound("user_not_found", username=username)
    return user


def list_users(
    session: Session, *, scope: OrgScope | None = None, q: str | None = None
) -> list[User]:
    """Accounts ordered by username, limited to what ``scope`` covers."""
    stmt = select(User).order_by(User.username)
    if scope is not None and not scope.is_province:
        stmt = stmt.where(User.org_code == scope.org_code)
    if q:
        stmt = stmt.where(User.username.contains(q.lower(), autoescape=True))
    return list(session.execute(stmt).scalars())


def _org(session: Session, code: str) -> OrgUnit:
    unit = session.get(OrgUnit, code)
    if unit is None:
        raise Invalid("unknown_org_unit", details={"org_unit": code}, code_value=code)
    return unit


def _check_role_org(role: str, unit: OrgUnit) -> None:
    if role not in ROLES:
        raise Invalid("unknown_role", details={"role": role, "allowed": list(ROLES)})
    if unit.level not in ROLE_LEVELS[role]:
        raise Invalid(
            "role_org_mismatch",
            details={"role": role, "org_level": unit.level, "allowed": sorted(ROLE_LEVELS[role])},
        )


def create_user(session: Session, actor: Actor, new: NewUser) -> User:
    """Issue an account; the password (when given) must meet the policy."""
    username = new.username.strip().lower()
    if not USERNAME.match(username):
        raise Invalid("invalid_username", details={"username": new.username})
    _check_role_org(new.role, _org(session, new.org_code))
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict("username_taken", details={"username": username})
    email = (new.email or "").strip() or None
    if email is not None and (len(email) > 254 or not EMAIL.match(email)):
        raise Invalid("invalid_email", details={"email": email})
    settings = get_settings()
    user = User(
        username=username,
        display_name=new.display_name.strip(),
        role=new.role,
        org_code=new.org_code,
        email=email,
    )
    if new.password is not None:
        check_policy(new.password, username, settings.password_min_length)
        user.password_hash = hash_password(new.password)
        user.password_changed_at = utcnow()
    session.add(user)
    session.flush()
    audit.record(
        session, actor, "user.create", target_type="user", target_id=username, after=summary(user)
    )
    return user


def update_user(
    session: Session,
    actor: Actor,
    user: User,
    *,
    role: str | None = None,
    org_code: str | None = None,
    display_name: str | None = None,
) -> User:
    """Change an account's role, unit or display name."""
    before = summary(user)
    new_role = role or user.role
    new_org = org_code or user.org_code
    _check_role_org(new_role, _org(session, new_org))
    user.role, user.org_code = new_role, new_org
    if display_name is not None:
        user.display_name = display_name.strip()
    session.flush()
    after = summary(user)
    if after != before:
        audit.record(
            session,
            actor,
            "user.update",
            target_type="user",
            target_id=user.username,
            before=before,
            after=after,
        )
    return user


def set_password(session: Session, actor: Actor, user: User, password: str) -> None:
    """Set a new password (policy applies) and end the account's other sessions."""
    check_policy(password, user.username, get_settings().password_min_length)
    user.password_hash = hash_password(password)
    user.password_changed_at = utcnow()
    session.flush()
    audit.record(session, actor, "user.password", target_type="user", target_id=user.username)


def end_sessions(session: Session, user: User) -> int:
    """Log the account out everywhere; returns how many sessions ended."""
    result = session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def _set_status(session: Session, actor: Actor, user: User, status: str, action: str) -> User:
    if status != "active" and actor.name == user.username:
        raise Conflict("own_account", username=user.username)  # nobody locks themselves out
    before = summary(user)
    user.status = status
    if status == "active":
        user.failed_logins = 0
        user.locked_until = None
    ended = 0
    revoked = 0
    if status in ("locked", "revoked"):
        ended = end_sessions(session, user)
    if status == "revoked":
        now = utcnow()
        result = session.execute(
            update(ApiToken)
            .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
            .values(revoked_at=now)
        )
        revoked = int(result.rowcount or 0)  # type: ignore[attr-defined]
    session.flush()
    after = summary(user) | {"sessions_ended": ended, "tokens_revoked": revoked}
    audit.record(
        session,
        actor,
        action,
        target_type="user",
        target_id=user.username,
        before=before,
        after=after,
    )
    return user


def lock_user(session: Session, actor: Actor, user: User) -> User:
    """Lock an account until unlocked; its sessions end now, its tokens stop working."""
    if user.status == "revoked":
        raise Conflict("user_revoked", username=user.username)
    return _set_status(session, actor, user, "locked", "user.lock")


def unlock_user(session: Session, actor: Actor, user: User) -> User:
    """Unlock an account (manual or automatic lock); a revoked account stays revoked."""
    if user.status == "revoked":
        raise Conflict("user_revoked", username=user.username)
    return _set_status(session, actor, user, "active", "user.unlock")


def revoke_user(session: Session, actor: Actor, user: User) -> User:
    """Revoke an account for good: sessions end and every API token is revoked at once."""
    return _set_status(session, actor, user, "revoked", "user.revoke")
