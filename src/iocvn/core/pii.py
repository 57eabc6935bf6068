"""Citizens' personal data at rest: AES-256-GCM sealing, blind indexes, masking.

A reporter's name, phone, e-mail and ID number are *sealed* (AES-GCM, a fresh 96-bit nonce
per value, the field's name as associated data so a ciphertext cannot be moved to another
column) with a key derived (HKDF-SHA256) from each of ``IOCVN_DATA_KEYS``: the first key
seals, every key opens, so keys rotate like the Fernet fields of :mod:`.crypto`. Each sealed
value names the key that sealed it (``v1.<kid>.<base64>``), so a re-key knows what to redo.

Search by phone number uses a *blind index*: HMAC-SHA256 of the normalised number under a
second derived key. A lookup computes the index under every configured key, so rows written
before a rotation are still found. Neither the plaintext nor an unkeyed hash is ever stored.

This module never logs or returns plaintext except from :func:`open_sealed`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import unicodedata
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from iocvn.core.crypto import KeyMissing

VERSION = "v1"
_SEAL_INFO = b"iocvn pii aes-256-gcm v1"
_INDEX_INFO = b"iocvn pii blind index v1"


def _raw_keys(keys: str) -> list[bytes]:
    parts = [k.strip() for k in keys.split(",") if k.strip()]
    if not parts:
        raise KeyMissing()
    return [base64.urlsafe_b64decode(p.encode()) for p in parts]


@lru_cache(maxsize=32)
def _derived(keys: str, info: bytes) -> tuple[tuple[str, bytes], ...]:
    """(key id, 32-byte key) for each configured data key, first = current."""
    out = []
    for raw in _raw_keys(keys):
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(raw)
        out.append((hashlib.sha256(key).hexdigest()[:8], key))
    return tuple(out)


def seal(plaintext: str, keys: str, field: str) -> str:
    """Encrypt ``plaintext`` for the column ``field`` with the current key."""
    kid, key = _derived(keys, _SEAL_INFO)[0]
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), field.encode())
    return f"{VERSION}.{kid}.{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def open_sealed(token: str, keys: str, field: str) -> str:
    """Decrypt a value written by :func:`seal` for ``field`` (any configured key)."""
    try:
        version, kid, body = token.split(".", 2)
    except ValueError:
        raise KeyMissing("data_key_wrong") from None
    candidates = [k for i, k in _derived(keys, _SEAL_INFO) if i == kid]
    if version != VERSION or not candidates:
        raise KeyMissing("data_key_wrong")
    blob = base64.urlsafe_b64decode(body.encode())
    try:
        return AESGCM(candidates[0]).decrypt(blob[:12], blob[12:], field.encode()).decode()
    except InvalidTag:
        raise KeyMissing("data_key_wrong") from None


def sealed_with_current_key(token: str, keys: str) -> bool:
    """True when ``token`` was sealed with the first (current) key: no re-key needed."""
    return token.split(".", 2)[1:2] == [_derived(keys, _SEAL_INFO)[0][0]]


def key_ids(keys: str) -> list[str]:
    """Each configured key's short fingerprint (the ``kid`` sealed values carry), first =
    current: how operators tell keys apart without showing them."""
    return [kid for kid, _ in _derived(keys, _SEAL_INFO)]


def blind_index(value: str, keys: str, purpose: str) -> str:
    """The keyed hash stored to find ``value`` (already normalised) under the current key."""
    return blind_indexes(value, keys, purpose)[0]


def blind_indexes(value: str, keys: str, purpose: str) -> list[str]:
    """The keyed hashes of ``value`` under every configured key (for lookups)."""
    msg = f"{purpose}\x00{value}".encode()
    return [
        hmac.new(key, msg, hashlib.sha256).hexdigest() for _, key in _derived(keys, _INDEX_INFO)
    ]


_NOT_DIGIT = re.compile(r"\D")


def normalise_phone(raw: str) -> str:
    """A Vietnamese phone number in its national form: ``+84 912-345-678`` → ``0912345678``.

    Other numbers keep their digits (with a leading ``+`` when given one)."""
    text = raw.strip()
    digits = _NOT_DIGIT.sub("", text)
    international = text.startswith("+") and digits.startswith("84") and len(digits) > 2
    if international or (digits.startswith("84") and len(digits) == 11):
        return "0" + digits[2:]
    if text.startswith("+"):
        return "+" + digits
    return digits


def normalise_email(raw: str) -> str:
    """An e-mail address for lookups: trimmed, lower case."""
    return raw.strip().lower()


def mask_phone(phone: str) -> str:
    """``0912345678`` → ``09******78``."""
    digits = phone.strip()
    if len(digits) <= 4:
        return "*" * len(digits)
    return digits[:2] + "*" * (len(digits) - 4) + digits[-2:]


def mask_email(email: str) -> str:
    """``hoa.nt@example.vn`` → ``h***@example.vn``."""
    local, _, domain = email.strip().partition("@")
    if not domain:
        return mask_name(email)
    return f"{local[:1]}***@{domain}"


def mask_name(name: str) -> str:
    """``Nguyễn Thị Hoa`` → ``N. T. H.`` (initials only)."""
    words = unicodedata.normalize("NFC", name).split()
    return " ".join(f"{w[0]}." for w in words) if words else ""


def mask_id_number(number: str) -> str:
    """``001203004567`` → ``********4567``."""
    text = number.strip()
    return "*" * max(len(text) - 4, 0) + text[-4:]
