"""Test helpers for public warnings (CAP 1.2): an API body, a warning and a message at Đông
Kinh (Lạng Sơn), each with keyword overrides, and a parser of what the XML says."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from lxml import etree

from iocvn.alerts.cap import NS, CapMessage
from iocvn.alerts.warning import PublicWarning, Translation, warning_from_api
from iocvn.core.timeutil import LOCAL_TZ

SENDER = "ioc@langson.gov.vn"
SENT = datetime(2026, 11, 30, 8, 55, 12, tzinfo=LOCAL_TZ)
# Around Đông Kinh ward, Lạng Sơn: GeoJSON order (lon, lat), ring left open as the map sends it.
RING = [[106.75, 21.85], [106.78, 21.85], [106.78, 21.87], [106.75, 21.87]]


def body(**overrides: Any) -> dict[str, Any]:
    """A ``POST /api/v1/warnings`` body: a flash flood on the Kỳ Cùng river."""
    data: dict[str, Any] = {
        "event": "Lũ quét",
        "headline": "Cảnh báo lũ trên sông Kỳ Cùng",
        "description": "Mực nước sông Kỳ Cùng tại trạm Lạng Sơn vượt báo động 3 và đang lên.",
        "instruction": "Người dân ven sông di chuyển lên vùng cao, không qua ngầm tràn.",
        "category": "Met",
        "urgency": "Immediate",
        "severity": "Severe",
        "certainty": "Observed",
        "area": {
            "description": "Phường Đông Kinh, tỉnh Lạng Sơn",
            "polygon": {"type": "Polygon", "coordinates": [RING]},
        },
        "onset": "2026-11-30T09:00:00+07:00",
        "expires": "2026-11-30T21:00:00+07:00",
        "status": "Actual",
        "language": "vi-VN",
    }
    data.update(overrides)
    return data


def warning(**overrides: Any) -> PublicWarning:
    """The warning of ``body(**overrides)``."""
    return warning_from_api(body(**overrides))


def english() -> Translation:
    """The English block of the flash flood warning."""
    return Translation(
        event="Flash flood",
        headline="Flood warning on the Ky Cung river",
        description="The Ky Cung river at Lang Son is above alarm level 3 and rising.",
        instruction="Riverside residents move to higher ground.",
        area_description="Dong Kinh ward, Lang Son province",
    )


def message(w: PublicWarning | None = None, **overrides: Any) -> CapMessage:
    """An ``Alert`` of ``w`` (the flash flood by default) sent at 08:55:12 on 30/11/2026."""
    base = CapMessage(
        identifier="langson.gov.vn-01JDX0A2B3C4D5E6F7G8H9J0K1",
        sender=SENDER,
        sent=SENT,
        warning=w or warning(),
        sender_name="Trung tâm Điều hành thông minh tỉnh Lạng Sơn",
    )
    return replace(base, **overrides)


def parse(xml: bytes) -> Any:
    """The root element of ``xml``."""
    return etree.fromstring(xml)


def texts(root: Any, path: str) -> list[str]:
    """The texts at ``path`` (CAP element names, ``/``-separated, without the namespace)."""
    q = "/".join(f"cap:{part}" for part in path.split("/"))
    return [str(e.text) for e in root.xpath(q, namespaces={"cap": NS})]
