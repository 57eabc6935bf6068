"""Which commune does a typed address name? Current names first, then the pre-2025 units each
commune was formed from (a citizen still writes "phường Vĩnh Trại", merged into Đông Kinh).

Matching is accent-insensitive and needs the unit type before the name ("phường", "xã",
"thị trấn", "đặc khu", or the short "p.", "x.", "tt."), so "đường Hoàng Văn Thụ" does not
match a commune called Hoàng Văn Thụ. The longest matching name wins; a current name beats a
former one of the same length. This module only reads.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from iocvn.org.models import OrgUnit
from iocvn.org.official import fold

_SHORT = [
    (re.compile(r"(?<![a-z])tt\.\s*"), "thi tran "),
    (re.compile(r"(?<![a-z])p\.\s*"), "phuong "),
    (re.compile(r"(?<![a-z])x\.\s*"), "xa "),
]
_TYPES = ("phuong", "xa", "thi tran", "dac khu")
_PUNCT = re.compile(r"[^a-z0-9 ]+")


@dataclass(frozen=True)
class Place:
    """The commune an address names, and the words that named it."""

    code: str
    name: str
    matched: str
    former: bool  # matched a pre-2025 unit's name


def _key(text: str) -> str:
    folded = fold(text)
    for pattern, replacement in _SHORT:
        folded = pattern.sub(replacement, folded)
    return " " + " ".join(_PUNCT.sub(" ", folded).split()) + " "


def commune_from_address(session: Session, province_code: str, address: str) -> Place | None:
    """The current commune of ``province_code`` that ``address`` names, if any."""
    text = _key(address)
    if len(text) < 4:
        return None
    rows = session.execute(
        select(OrgUnit.code, OrgUnit.name, OrgUnit.formed_from).where(
            OrgUnit.province_code == province_code,
            OrgUnit.level == "commune",
            OrgUnit.valid_to.is_(None),
        )
    ).all()
    best: tuple[int, int, str, Place] | None = None
    for code, name, formed_from in rows:
        labels = [(name, False)] + [(old, True) for old in _labels(formed_from)]
        for label, former in labels:
            key = _key(label).strip()
            if not key.startswith(_TYPES) or f" {key} " not in text:
                continue
            rank = (len(key), 0 if former else 1, code)
            if best is None or rank > best[:3]:
                best = (*rank, Place(code, name, label, former))
    return best[3] if best else None


_DISTRICT = re.compile(r"\s*\([^)]*\)\s*")


def _labels(formed_from: object) -> list[str]:
    """Former units' names without their former district: ``Xã Mai Pha (Thành phố …)``."""
    if isinstance(formed_from, str):
        parts = formed_from.split(",")
    elif isinstance(formed_from, list):
        parts = [str(p) for p in formed_from]
    else:
        return []
    return [label for p in parts if (label := _DISTRICT.sub(" ", p).strip())]
