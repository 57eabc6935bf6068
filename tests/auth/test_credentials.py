"""Passwords with lockout, TOTP with recovery codes, sessions and API tokens."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit.models import AuditEntry
from iocvn.auth import credentials
from iocvn.auth.models import ApiToken, RecoveryCode, User
from iocvn.core.context import Actor
from iocvn.core.errors import Invalid
from iocvn.core.timeutil import utcnow
from tests.factories.auth import ADMIN_ACTOR, PASSWORD, add_units, add_user, next_code, totp_of

WEB = Actor("anonymous", request_id="r1", ip="203.0.113.9")


@pytest.fixture
def units(session: Session) -> Session:
    add_units(session)
    return session


def test_login_outcomes(units: Session) -> None:
    add_user(units, "canbo", "commune_officer", "05977")
    add_user(units, "quantri", "admin", "20")
    add_user(units, "quantri2", "admin", "20", mfa=True)
    assert credentials.check_password(units, WEB, "canbo", PASSWORD).outcome == "ok"
    assert credentials.check_password(units, WEB, "QUANTRI", PASSWORD).outcome == "enrol_required"
    assert credentials.check_password(units, WEB, "quantri2", PASSWORD).outcome == "mfa_required"


def test_unknown_user_and_wrong_password_look_the_same(units: Session) -> None:
    add_user(units, "canbo", "commune_officer", "05977")
    a = credentials.check_password(units, WEB, "khongco", PASSWORD)
    b = credentials.check_password(units, WEB, "canbo", "sai-mat-khau")
    assert a.outcome == b.outcome == "failed"
    reasons = [
        e.after["reason"]
        for e in units.execute(
            select(AuditEntry).where(AuditEntry.action == "auth.login_failed")
        ).scalars()
    ]
    assert reasons == ["unknown_user", "bad_password"]


def test_five_failures_lock_for_fifteen_minutes(units: Session) -> None:
    user = add_user(units, "canbo", "commune_officer", "05977")
    for _ in range(5):
        assert credentials.check_password(units, WEB, "canbo", "wrong").outcome == "failed"
    assert user.locked_until is not None
    remaining = user.locked_until - utcnow()
    assert timedelta(minutes=14) < remaining <= timedelta(minutes=15)
    # Even the right password fails while locked.
    assert credentials.check_password(units, WEB, "canbo", PASSWORD).outcome == "failed"
    user.locked_until = utcnow() - timedelta(seconds=1)
    assert credentials.check_password(units, WEB, "canbo", PASSWORD).outcome == "ok"


def test_four_failures_then_success_resets_the_counter(units: Session) -> None:
    user = add_user(units, "canbo", "commune_officer", "05977")
    for _ in range(4):
        credentials.check_password(units, WEB, "canbo", "wrong")
    assert credentials.check_password(units, WEB, "canbo", PASSWORD).outcome == "ok"
    assert user.failed_logins == 0 and user.locked_until is None


def test_totp_enrolment_stores_secret_encrypted(units: Session) -> None:
    user = add_user(units, "quantri", "admin", "20")
    uri = credentials.begin_enrolment(units, user)
    secret = credentials.totp_secret(user)
    assert uri.startswith("otpauth://totp/iocvn:quantri?secret=")
    assert user.totp_secret is not None and secret not in user.totp_secret
    with pytest.raises(Invalid):
        credentials.confirm_enrolment(units, ADMIN_ACTOR, user, "000000")
    codes = credentials.confirm_enrolment(units, ADMIN_ACTOR, user, totp_of(user).now())
    assert user.mfa_enabled and len(codes) == 10 and len(set(codes)) == 10
    stored = units.execute(select(RecoveryCode.code_hash)).scalars().all()
    assert not set(codes) & set(stored)


def test_totp_code_cannot_be_replayed(units: Session) -> None:
    user = add_user(units, "quantri", "admin", "20", mfa=True)
    code = next_code(user)
    assert credentials.check_second_factor(units, WEB, user, code)
    assert not credentials.check_second_factor(units, WEB, user, code)


def test_recovery_code_works_once(units: Session) -> None:
    user = add_user(units, "quantri", "admin", "20")
    credentials.begin_enrolment(units, user)
    codes = credentials.confirm_enrolment(units, ADMIN_ACTOR, user, totp_of(user).now())
    assert credentials.check_second_factor(units, WEB, user, codes[3])
    assert not credentials.check_second_factor(units, WEB, user, codes[3])


def test_guessing_codes_locks_the_account(units: Session) -> None:
    user = add_user(units, "quantri", "admin", "20", mfa=True)
    for _ in range(5):
        assert not credentials.check_second_factor(units, WEB, user, "123456")
    assert user.locked_until is not None
    assert not credentials.check_second_factor(units, WEB, user, next_code(user))


def test_session_expires_when_idle(units: Session) -> None:
    user = add_user(units, "canbo", "commune_officer", "05977")
    cookie, row = credentials.open_session(units, user, mfa_passed=True)
    assert credentials.load_session(units, cookie) is not None
    row.last_seen_at = utcnow() - timedelta(hours=2)
    units.flush()
    assert credentials.load_session(units, cookie) is None


def test_pending_session_lasts_ten_minutes(units: Session) -> None:
    user = add_user(units, "quantri", "admin", "20", mfa=True)
    _, row = credentials.open_session(units, user, mfa_passed=False)
    assert row.expires_at - row.created_at == timedelta(minutes=10)


def test_token_is_stored_hashed_and_expires(units: Session) -> None:
    user = add_user(units, "tichhop", "integration", "20", password=None)
    plain, row = credentials.create_token(units, ADMIN_ACTOR, user, expires_days=1)
    assert plain.startswith("iocvn_") and plain not in row.token_hash
    assert units.execute(select(ApiToken.token_hash)).scalar_one() == row.token_hash
    assert credentials.load_token(units, plain) is not None
    row.expires_at = utcnow() - timedelta(seconds=1)
    assert credentials.load_token(units, plain) is None
    assert credentials.load_token(units, "iocvn_not-a-real-token") is None
    assert credentials.load_token(units, "Bearer something") is None


def test_revoked_token_stops_at_once(units: Session) -> None:
    user = add_user(units, "tichhop", "integration", "20", password=None)
    plain, row = credentials.create_token(units, ADMIN_ACTOR, user)
    credentials.revoke_token(units, ADMIN_ACTOR, row.id)
    assert credentials.load_token(units, plain) is None


def test_token_scopes_and_expiry_are_validated(units: Session) -> None:
    user = add_user(units, "tichhop", "integration", "20", password=None)
    with pytest.raises(Invalid):
        credentials.create_token(units, ADMIN_ACTOR, user, scopes=("admin",))
    with pytest.raises(Invalid):
        credentials.create_token(units, ADMIN_ACTOR, user, expires_days=0)


def test_mfa_reset_requires_enrolment_again(units: Session) -> None:
    user = add_user(units, "quantri", "admin", "20", mfa=True)
    credentials.reset_mfa(units, ADMIN_ACTOR, user)
    assert not user.mfa_enabled and user.totp_secret is None
    assert units.execute(select(RecoveryCode)).first() is None
    assert credentials.check_password(units, WEB, "quantri", PASSWORD).outcome == "enrol_required"
    assert isinstance(units.get(User, user.id), User)
