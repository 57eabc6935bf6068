"""Destinations as personal data: normalised, masked for display, blind-indexed for lookup.

The address itself is stored only encrypted (``core.crypto.encrypt``); operators see the
masked form and queries compare a keyed hash (``core.pii`` blind index under every data
key), so the table alone reveals neither the address nor a guessable digest.
"""

from __future__ import annotations

import re

from iocvn.core import pii

_PHONE = re.compile(r"^\+?[0-9][0-9 .()-]{5,}$")
INDEX_PURPOSE = "notify.destination"


def _is_phone(value: str) -> bool:
    return bool(_PHONE.match(value.strip()))


def normalise(channel: str, destination: str) -> str:
    """The canonical form of an address: e-mails lower-cased, phone numbers as 0xxxxxxxxx."""
    value = destination.strip()
    if channel == "email" or "@" in value:
        return pii.normalise_email(value)
    if _is_phone(value):
        return pii.normalise_phone(value)
    return value


def mask(destination: str) -> str:
    """A display form that identifies without revealing: ``h***@example.vn``, ``09******67``."""
    value = destination.strip()
    if "@" in value:
        return pii.mask_email(value)
    if _is_phone(value):
        return pii.mask_phone(pii.normalise_phone(value))
    return f"{value[:2]}***{value[-2:]}" if len(value) > 6 else "***"


def lookup_hashes(channel: str, destination: str, data_keys: str) -> list[str]:
    """The keyed hashes an address may be stored under, the current key's first."""
    return pii.blind_indexes(
        f"{channel}:{normalise(channel, destination)}", data_keys, INDEX_PURPOSE
    )
