"""Test helpers for accounts: a few real org units, users with passwords and TOTP."""

from __future__ import annotations

import time
from datetime import date

import pyotp
from sqlalchemy.orm import Session

from iocvn.auth import credentials
from iocvn.auth import service as users
from iocvn.auth.models import User
from iocvn.core.context import Actor
from iocvn.org.models import OrgUnit

PASSWORD = "Đúng-Mật-Khẩu-2026"
ADMIN_ACTOR = Actor("test-admin", "20", "req-test", "127.0.0.1")

UNITS = [
    ("20", "Tỉnh Lạng Sơn", "province", None),
    ("05977", "Phường Đông Kinh", "commune", "20"),
    ("06187", "Phường Kỳ Lừa", "commune", "20"),
    ("20.SYT", "Sở Y tế", "agency", "20"),
    ("20.SGDDT", "Sở Giáo dục và Đào tạo", "agency", "20"),
]


def add_units(session: Session) -> None:
    """Insert a province, two communes and two agencies (real names and codes)."""
    for code, name, level, parent in UNITS:
        session.add(
            OrgUnit(
                code=code,
                name=name,
                level=level,
                parent_code=parent,
                province_code="20",
                valid_from=date(2025, 7, 1),
                search_key=name.lower(),
            )
        )
    session.flush()


def add_user(
    session: Session,
    username: str,
    role: str,
    org: str,
    *,
    password: str | None = PASSWORD,
    mfa: bool = False,
) -> User:
    """An account; with ``mfa`` its TOTP is enrolled (read the secret with ``totp_of``)."""
    user = users.create_user(
        session, ADMIN_ACTOR, users.NewUser(username, role, org, password, username.title())
    )
    if mfa:
        credentials.begin_enrolment(session, user)
        credentials.confirm_enrolment(session, ADMIN_ACTOR, user, totp_of(user).now())
    return user


def totp_of(user: User) -> pyotp.TOTP:
    """The authenticator of an enrolled account."""
    return pyotp.TOTP(credentials.totp_secret(user))


def next_code(user: User) -> str:
    """A code the account has not used yet (each 30 s step is accepted once)."""
    totp = totp_of(user)
    step = (user.totp_last_step or 0) + 1
    now_step = int(time.time()) // 30
    return totp.at(max(step, now_step - 1) * 30)


def bearer(
    session: Session, username: str, role: str, org: str, *, read_only: bool = False
) -> dict[str, str]:
    """Create an account (no password: fast) with a token; return the Authorization header."""
    user = add_user(session, username, role, org, password=None)
    plain, _ = credentials.create_token(
        session, ADMIN_ACTOR, user, scopes=("read",) if read_only else ("read", "write")
    )
    return {"Authorization": f"Bearer {plain}"}
