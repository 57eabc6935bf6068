"""Proving who you are: passwords with lockout, TOTP and recovery codes, web sessions and
API tokens. Secrets are stored hashed (tokens, codes) or encrypted (TOTP seeds).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

import pyotp
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.auth.models import ApiToken, RecoveryCode, User, WebSession
from iocvn.auth.passwords import hash_password, needs_rehash, verify_password
from iocvn.config import get_settings
from iocvn.core import rekey
from iocvn.core.context import Actor
from iocvn.core.crypto import decrypt, encrypt, new_token, same, token_hash
from iocvn.core.errors import Conflict, Invalid, NotFound
from iocvn.core.timeutil import as_utc, utcnow
from iocvn.org.models import OrgUnit

#: TOTP seeds as stored (encrypted), for a re-key.
ENCRYPTED = (rekey.Encrypted(User, "totp_secret", "fernet"),)

ISSUER = "iocvn"
TOKEN_PREFIX = "iocvn_"  # noqa: S105 - a marker, not a secret
TOKEN_SCOPES = ("read", "write")
RECOVERY_CODES = 10
PENDING_SESSION = timedelta(minutes=10)  # between the password and the second factor

LoginOutcome = Literal["ok", "mfa_required", "enrol_required", "failed"]


@dataclass(frozen=True)
class LoginResult:
    """What a password check decided; failures are audited before the caller answers 401."""

    outcome: LoginOutcome
    user: User | None = None


def _audit_actor(actor: Actor, user: User | None, username: str) -> Actor:
    return Actor(
        name=user.username if user else username[:64],
        org_code=user.org_code if user else "",
        request_id=actor.request_id,
        ip=actor.ip,
    )


def check_password(session: Session, actor: Actor, username: str, password: str) -> LoginResult:
    """First factor. Locks the account after too many failures; never says which part failed."""
    settings = get_settings()
    user = session.execute(
        select(User).where(User.username == username.strip().lower())
    ).scalar_one_or_none()
    now = utcnow()
    ok = verify_password(user.password_hash if user else None, password)
    who = _audit_actor(actor, user, username)
    if user is None:
        audit.record(
            session,
            who,
            "auth.login_failed",
            target_type="user",
            target_id=username[:64],
            after={"reason": "unknown_user"},
        )
        return LoginResult("failed")
    locked_now = user.locked_until is not None and as_utc(user.locked_until) > now
    if user.status != "active" or locked_now or not ok:
        reason = (
            user.status if user.status != "active" else ("locked" if locked_now else "bad_password")
        )
        if reason == "bad_password":
            user.failed_logins += 1
            if user.failed_logins >= settings.max_failed_logins:
                user.locked_until = now + timedelta(minutes=settings.lockout_minutes)
                user.failed_logins = 0
                reason = "bad_password_locked"
        session.flush()
        audit.record(
            session,
            who,
            "auth.login_failed",
            target_type="user",
            target_id=user.username,
            after={"reason": reason},
        )
        return LoginResult("failed", user)
    user.failed_logins = 0
    user.locked_until = None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    session.flush()
    if user.mfa_enabled:
        return LoginResult("mfa_required", user)
    if user.role == "admin":
        return LoginResult("enrol_required", user)
    return LoginResult("ok", user)


# --- TOTP -----------------------------------------------------------------------------------


def begin_enrolment(session: Session, user: User) -> str:
    """Give the account a new (not yet active) TOTP secret; returns the otpauth:// URI."""
    if user.mfa_enabled:
        raise Conflict("mfa_already_enabled")
    secret = pyotp.random_base32()
    user.totp_secret = encrypt(secret, get_settings().data_keys)
    session.flush()
    return provisioning_uri(user)


def provisioning_uri(user: User) -> str:
    """The otpauth:// URI of the account's pending or active secret."""
    if not user.totp_secret:
        raise NotFound("mfa_not_started")
    secret = decrypt(user.totp_secret, get_settings().data_keys)
    return pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)


def totp_secret(user: User) -> str:
    """The account's TOTP secret in clear (shown on the enrolment page only)."""
    if not user.totp_secret:
        raise NotFound("mfa_not_started")
    return decrypt(user.totp_secret, get_settings().data_keys)


def _check_totp(user: User, code: str) -> bool:
    """Accept the code of the current 30 s step or a neighbour, each step only once."""
    if not user.totp_secret:
        return False
    code = code.strip().replace(" ", "")
    if not (code.isdigit() and len(code) == 6):
        return False
    totp = pyotp.TOTP(decrypt(user.totp_secret, get_settings().data_keys))
    now = utcnow()
    step_now = int(now.timestamp()) // 30
    for offset in (-1, 0, 1):
        step = step_now + offset
        if same(totp.at(step * 30), code) and (user.totp_last_step or 0) < step:
            user.totp_last_step = step
            return True
    return False


def confirm_enrolment(session: Session, actor: Actor, user: User, code: str) -> list[str]:
    """Activate TOTP when ``code`` matches; returns the recovery codes, shown once."""
    if user.mfa_enabled:
        raise Conflict("mfa_already_enabled")
    if not _check_totp(user, code):
        raise Invalid("mfa_code_wrong")
    user.mfa_enabled = True
    codes = _new_recovery_codes(session, user)
    session.flush()
    audit.record(session, actor, "auth.mfa_enrol", target_type="user", target_id=user.username)
    return codes


def _new_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [f"{secrets.token_hex(4)}-{secrets.token_hex(4)}" for _ in range(RECOVERY_CODES)]
    for code in codes:
        session.add(RecoveryCode(user_id=user.id, code_hash=token_hash(code)))
    return codes


def check_second_factor(session: Session, actor: Actor, user: User, code: str) -> bool:
    """A TOTP code or an unused recovery code; audits the outcome. A locked account fails."""
    locked = user.locked_until is not None and as_utc(user.locked_until) > utcnow()
    ok = not locked and _check_totp(user, code)
    used_recovery = False
    if not ok and not locked and "-" in code:
        row = session.execute(
            select(RecoveryCode).where(
                RecoveryCode.user_id == user.id,
                RecoveryCode.code_hash == token_hash(code.strip().lower()),
                RecoveryCode.used_at.is_(None),
            )
        ).scalar_one_or_none()
        if row is not None:
            row.used_at = utcnow()
            ok = used_recovery = True
    if ok:
        user.failed_logins = 0
    else:  # guessing codes counts towards the same lock as guessing passwords
        settings = get_settings()
        user.failed_logins += 1
        if user.failed_logins >= settings.max_failed_logins:
            user.locked_until = utcnow() + timedelta(minutes=settings.lockout_minutes)
            user.failed_logins = 0
    session.flush()
    audit.record(
        session,
        actor,
        "auth.mfa_ok" if ok else "auth.mfa_failed",
        target_type="user",
        target_id=user.username,
        after={"recovery_code": used_recovery} if ok else None,
    )
    return ok


def reset_mfa(session: Session, actor: Actor, user: User) -> None:
    """Remove an account's TOTP (lost phone); an admin must enrol again at next login."""
    user.mfa_enabled = False
    user.totp_secret = None
    user.totp_last_step = None
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    session.flush()
    audit.record(session, actor, "auth.mfa_reset", target_type="user", target_id=user.username)


# --- web sessions ---------------------------------------------------------------------------


def open_session(
    session: Session, user: User, *, mfa_passed: bool, ip: str = "", user_agent: str = ""
) -> tuple[str, WebSession]:
    """Start a browser session; returns the cookie value (only its hash is stored)."""
    settings = get_settings()
    cookie = new_token()
    now = utcnow()
    row = WebSession(
        id=token_hash(cookie),
        user_id=user.id,
        csrf_token=new_token(24),
        mfa_passed=mfa_passed,
        created_at=now,
        last_seen_at=now,
        expires_at=now
        + (timedelta(hours=settings.session_hours) if mfa_passed else PENDING_SESSION),
        ip=ip[:64],
        user_agent=user_agent[:300],
    )
    session.add(row)
    if mfa_passed:
        user.last_login_at = now
    session.flush()
    return cookie, row


def load_session(session: Session, cookie: str) -> tuple[WebSession, User] | None:
    """The live session behind a cookie, or None (expired, idle, or the account not active)."""
    row = session.get(WebSession, token_hash(cookie))
    if row is None:
        return None
    now = utcnow()
    idle = timedelta(minutes=get_settings().session_idle_minutes)
    user = session.get(User, row.user_id)
    if (
        user is None
        or user.status != "active"
        or as_utc(row.expires_at) <= now
        or as_utc(row.last_seen_at) + idle <= now
    ):
        session.delete(row)
        session.flush()
        return None
    if now - as_utc(row.last_seen_at) > timedelta(minutes=1):
        row.last_seen_at = now  # throttled so reads do not write on every request
    return row, user


def close_session(session: Session, cookie: str) -> None:
    """Log out this browser."""
    session.execute(delete(WebSession).where(WebSession.id == token_hash(cookie)))


# --- API tokens -----------------------------------------------------------------------------


def create_token(
    session: Session,
    actor: Actor,
    user: User,
    *,
    name: str = "",
    expires_days: int | None = None,
    scopes: tuple[str, ...] = TOKEN_SCOPES,
) -> tuple[str, ApiToken]:
    """Issue a bearer token for ``user``; the plaintext is returned once and never stored."""
    if user.status != "active":
        raise Conflict("user_not_active", username=user.username)
    bad = [s for s in scopes if s not in TOKEN_SCOPES]
    if bad or not scopes:
        raise Invalid("unknown_token_scope", details={"scopes": bad, "allowed": TOKEN_SCOPES})
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise Invalid("token_expiry_range", details={"expires_days": expires_days})
    secret = new_token()
    plain = f"{TOKEN_PREFIX}{secret}"
    row = ApiToken(
        user_id=user.id,
        name=name.strip()[:100],
        token_hash=token_hash(plain),
        prefix=plain[: len(TOKEN_PREFIX) + 6],
        scopes=list(scopes),
        expires_at=utcnow() + timedelta(days=expires_days) if expires_days else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        actor,
        "token.create",
        target_type="token",
        target_id=row.id,
        after={
            "user": user.username,
            "name": row.name,
            "scopes": row.scopes,
            "expires_at": row.expires_at.isoformat() if row.expires_at else None,
        },
    )
    return plain, row


def load_token(session: Session, plain: str) -> tuple[ApiToken, User, OrgUnit | None] | None:
    """The live token, its account and the account's unit, or None (unknown, revoked,
    expired, account inactive). One round trip: this runs on every API call."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    found = session.execute(
        select(ApiToken, User, OrgUnit)
        .join(User, User.id == ApiToken.user_id)
        .outerjoin(OrgUnit, OrgUnit.code == User.org_code)
        .where(ApiToken.token_hash == token_hash(plain))
    ).first()
    if found is None:
        return None
    row, user, unit = found
    if row.revoked_at is not None or user.status != "active":
        return None
    now = utcnow()
    if row.expires_at is not None and as_utc(row.expires_at) <= now:
        return None
    if row.last_used_at is None or now - as_utc(row.last_used_at) > timedelta(minutes=1):
        row.last_used_at = now
    return row, user, unit


def list_tokens(session: Session, user: User | None = None) -> list[ApiToken]:
    """Tokens, newest first, optionally of one account."""
    stmt = select(ApiToken).order_by(ApiToken.created_at.desc())
    if user is not None:
        stmt = stmt.where(ApiToken.user_id == user.id)
    return list(session.execute(stmt).scalars())


def revoke_token(session: Session, actor: Actor, token_id: str) -> ApiToken:
    """Revoke one token at once."""
    row = session.get(ApiToken, token_id)
    if row is None:
        raise NotFound("token_not_found")
    if row.revoked_at is None:
        row.revoked_at = utcnow()
        session.flush()
        audit.record(session, actor, "token.revoke", target_type="token", target_id=row.id)
    return row
