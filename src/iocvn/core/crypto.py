"""Field encryption at rest (AES via Fernet, with key rotation) and token hashing.

Personal data and secrets (TOTP seeds) are stored encrypted with the keys in
``IOCVN_DATA_KEYS``; the first key encrypts, every key decrypts, so keys can rotate.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from iocvn.core.errors import IocError


class KeyMissing(IocError):
    """No data-encryption key is configured."""

    status = 500
    code = "data_key_missing"


def new_data_key() -> str:
    """A fresh Fernet key (urlsafe base64, 32 bytes)."""
    return Fernet.generate_key().decode()


def _fernets(keys: str) -> list[Fernet]:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise KeyMissing()
    return [Fernet(k.encode()) for k in parts]


def _fernet(keys: str) -> MultiFernet:
    return MultiFernet(_fernets(keys))


def encrypt(plaintext: str, keys: str) -> str:
    """Encrypt ``plaintext`` with the first of ``keys``."""
    return _fernet(keys).encrypt(plaintext.encode()).decode()


def decrypt(token: str, keys: str) -> str:
    """Decrypt a value written by :func:`encrypt` with any of ``keys``."""
    try:
        return _fernet(keys).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise KeyMissing("data_key_wrong") from exc


def encrypted_with_current_key(token: str, keys: str) -> bool:
    """True when ``token`` opens with the first (current) key: no re-key needed."""
    try:
        _fernets(keys)[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def new_token(nbytes: int = 32) -> str:
    """A random URL-safe secret."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """SHA-256 of a high-entropy token (how sessions and API tokens are stored)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time comparison."""
    return hmac.compare_digest(a.encode(), b.encode())
