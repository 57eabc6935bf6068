"""Who public warnings come from: CAP's ``sender`` and ``senderName``.

``IOCVN_CAP_SENDER`` and ``IOCVN_CAP_SENDER_NAME`` when set; otherwise made from the
province's name (``Tỉnh Lạng Sơn`` → ``ioc@langson.gov.vn``, "Trung tâm Điều hành thông minh
tỉnh Lạng Sơn"), the pattern of Vietnamese provinces' domains.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Final

from sqlalchemy.orm import Session

from iocvn.config import Settings
from iocvn.org.geo import home_province
from iocvn.org.models import OrgUnit

CENTRE: Final = "Trung tâm Điều hành thông minh"
_PREFIXES = ("thành phố ", "tỉnh ", "tp. ", "tp ")


@dataclass(frozen=True)
class Publisher:
    """Who the messages come from: CAP's ``sender`` and ``senderName``."""

    sender: str
    sender_name: str

    @property
    def domain(self) -> str:
        """The sender's domain: the start of every identifier."""
        return self.sender.partition("@")[2] or self.sender


def publisher(db: Session, settings: Settings) -> Publisher:
    """The configured sender, or one made from the province's name (``ioc@langson.gov.vn``)."""
    code = home_province(db)
    unit = db.get(OrgUnit, code) if code else None
    name = unit.name if unit is not None else ""
    place = name[:1].lower() + name[1:]  # "Tỉnh Lạng Sơn" → "tỉnh Lạng Sơn"
    return Publisher(
        sender=settings.cap_sender or f"ioc@{_domain_of(name)}",
        sender_name=settings.cap_sender_name or f"{CENTRE} {place}".strip(),
    )


def _domain_of(name: str) -> str:
    plain = name.strip().lower()
    for prefix in _PREFIXES:
        plain = plain.removeprefix(prefix)
    plain = unicodedata.normalize("NFD", plain.replace("đ", "d"))
    slug = re.sub(r"[^a-z0-9]", "", "".join(c for c in plain if not unicodedata.combining(c)))
    return f"{slug}.gov.vn" if slug else "localhost"
