"""Password hashing (argon2id) and the password policy."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from iocvn.core.errors import Invalid

_HASHER = PasswordHasher()
# Verified against when the username is unknown, so both paths cost the same time.
_DUMMY_HASH = _HASHER.hash("iocvn-timing-equaliser")

COMMON = frozenset(
    {
        "123456789012",
        "1234567890123",
        "matkhau12345",
        "password1234",
        "password12345",
        "qwertyuiop12",
        "admin1234567",
        "iocvn1234567",
        "abc123456789",
        "123456abcdef",
    }
)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password``."""
    return _HASHER.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    """Check ``password`` against ``stored`` in constant-ish time (also when ``stored`` is None)."""
    try:
        return _HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str) -> bool:
    """True when the hash was made with weaker parameters than today's."""
    return _HASHER.check_needs_rehash(stored)


def policy_problems(password: str, username: str, min_length: int) -> list[str]:
    """Why ``password`` is weak (empty list when it is acceptable)."""
    problems: list[str] = []
    if len(password) < min_length:
        problems.append("too_short")
    if len(password) > 256:
        problems.append("too_long")
    classes = sum(
        [
            any(c.islower() for c in password),
            any(c.isupper() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
    )
    # A long passphrase is strong without symbols; a short password needs variety.
    if classes < 3 and len(password) < 20:
        problems.append("too_simple")
    if username and username.lower() in password.lower():
        problems.append("contains_username")
    if password.lower() in COMMON or len(set(password)) < 5:
        problems.append("too_common")
    return problems


def check_policy(password: str, username: str, min_length: int) -> None:
    """Raise ``Invalid("weak_password")`` listing the problems, if there are any."""
    problems = policy_problems(password, username, min_length)
    if problems:
        raise Invalid("weak_password", details={"problems": problems, "min_length": min_length})
