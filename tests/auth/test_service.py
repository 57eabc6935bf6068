"""Account lifecycle: issue, update, lock, unlock, revoke — and the audit each writes."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.audit import service as audit
from iocvn.audit.models import AuditEntry
from iocvn.auth import credentials
from iocvn.auth import service as users
from iocvn.auth.models import User, WebSession
from iocvn.core.context import Actor
from iocvn.core.errors import Conflict, Invalid
from tests.factories.auth import ADMIN_ACTOR, PASSWORD, add_units, add_user


@pytest.fixture
def units(session: Session) -> Session:
    add_units(session)
    return session


def actions(session: Session) -> list[str]:
    return list(session.execute(select(AuditEntry.action).order_by(AuditEntry.seq)).scalars())


def test_create_user_hashes_password_and_audits(units: Session) -> None:
    user = add_user(units, "Can.Bo-01", "commune_officer", "05977")
    assert user.username == "can.bo-01"
    assert user.password_hash and user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    entry = units.execute(select(AuditEntry)).scalar_one()
    assert (entry.action, entry.actor, entry.target_id) == (
        "user.create",
        "test-admin",
        "can.bo-01",
    )
    assert entry.after == {
        "username": "can.bo-01",
        "display_name": "Can.Bo-01",
        "role": "commune_officer",
        "org_unit": "05977",
        "status": "active",
        "mfa_enabled": False,
    }


def test_duplicate_username_conflicts_and_writes_nothing(units: Session) -> None:
    add_user(units, "lanhdao", "leader", "20")
    units.commit()
    with pytest.raises(Conflict) as err:
        add_user(units, "LanhDao", "leader", "20")
    assert err.value.code == "username_taken"
    units.rollback()
    assert units.execute(select(User)).scalars().all().__len__() == 1
    assert actions(units) == ["user.create"]


@pytest.mark.parametrize(
    ("role", "org", "code"),
    [
        ("commune_officer", "20", "role_org_mismatch"),
        ("agency_officer", "05977", "role_org_mismatch"),
        ("admin", "20.SYT", "role_org_mismatch"),
        ("mayor", "20", "unknown_role"),
        ("viewer", "99999", "unknown_org_unit"),
    ],
)
def test_role_must_fit_org_unit(units: Session, role: str, org: str, code: str) -> None:
    with pytest.raises(Invalid) as err:
        add_user(units, "someone", role, org)
    assert err.value.code == code


@pytest.mark.parametrize(
    ("password", "problem"),
    [
        ("Short1!", "too_short"),
        ("alllowercaseletters", "too_simple"),
        ("Someone-Password-2026", "contains_username"),
        ("aaaaaaaaaaaaaaaaaaaaaaa", "too_common"),
    ],
)
def test_weak_passwords_are_refused(units: Session, password: str, problem: str) -> None:
    with pytest.raises(Invalid) as err:
        add_user(units, "someone", "viewer", "20", password=password)
    assert err.value.code == "weak_password"
    assert problem in err.value.details["problems"]


def test_long_passphrase_without_symbols_is_accepted(units: Session) -> None:
    user = add_user(units, "someone", "viewer", "20", password="mua xuan tren dinh mau son")
    assert user.password_hash


@pytest.mark.parametrize("name", ["ab", "has space", "Ứng", "-dash", "x" * 65])
def test_invalid_usernames(units: Session, name: str) -> None:
    with pytest.raises(Invalid) as err:
        add_user(units, name, "viewer", "20")
    assert err.value.code == "invalid_username"


def test_lock_ends_sessions_and_unlock_restores(units: Session) -> None:
    user = add_user(units, "canbo", "commune_officer", "05977")
    cookie, _ = credentials.open_session(units, user, mfa_passed=True)
    users.lock_user(units, ADMIN_ACTOR, user)
    assert user.status == "locked"
    assert units.execute(select(WebSession)).first() is None
    assert credentials.load_session(units, cookie) is None
    users.unlock_user(units, ADMIN_ACTOR, user)
    assert user.status == "active"
    assert actions(units) == ["user.create", "user.lock", "user.unlock"]


def test_revoke_ends_tokens_for_good(units: Session) -> None:
    user = add_user(units, "tichhop", "integration", "20", password=None)
    plain, _ = credentials.create_token(units, ADMIN_ACTOR, user, name="hệ thống báo cáo")
    assert credentials.load_token(units, plain) is not None
    users.revoke_user(units, ADMIN_ACTOR, user)
    assert credentials.load_token(units, plain) is None
    with pytest.raises(Conflict):
        users.unlock_user(units, ADMIN_ACTOR, user)
    last = units.execute(select(AuditEntry).order_by(AuditEntry.seq.desc())).scalars().first()
    assert last is not None and last.action == "user.revoke"
    assert last.after is not None and last.after["tokens_revoked"] == 1
    assert audit.verify(units).ok


def test_update_user_audits_before_and_after(units: Session) -> None:
    user = add_user(units, "canbo", "commune_officer", "05977")
    users.update_user(units, ADMIN_ACTOR, user, org_code="06187", display_name="Nguyễn Thị Hoa")
    entry = units.execute(select(AuditEntry).where(AuditEntry.action == "user.update")).scalar_one()
    assert entry.before is not None and entry.after is not None
    assert (entry.before["org_unit"], entry.after["org_unit"]) == ("05977", "06187")
    assert entry.after["display_name"] == "Nguyễn Thị Hoa"


def test_update_without_change_writes_no_audit(units: Session) -> None:
    user = add_user(units, "canbo", "commune_officer", "05977")
    users.update_user(units, ADMIN_ACTOR, user, org_code="05977")
    assert actions(units) == ["user.create"]


def test_nobody_locks_or_revokes_themselves(units: Session) -> None:
    user = add_user(units, "quantri", "admin", "20")
    me = Actor("quantri", "20")
    for change in (users.lock_user, users.revoke_user):
        with pytest.raises(Conflict) as err:
            change(units, me, user)
        assert err.value.code == "own_account"
    assert user.status == "active"
