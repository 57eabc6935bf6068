"""The public side of warnings, no login: ``/cap/alerts.atom`` and
``/cap/alerts/{identifier}.xml`` (OASIS CAP 1.2), for broadcasters, telecom gateways, apps
and aggregators.

A message is served as the bytes stored when it was published, never rebuilt, so it is the
same on every request; it never changes, and caches may keep it. The feed lists the newest
published messages (``warnings.FEED_SIZE``), Updates and Cancels as entries of their own.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import Response

from iocvn.alerts import sender, warnings
from iocvn.alerts.atom import ATOM_MEDIA_TYPE, feed
from iocvn.alerts.cap import MEDIA_TYPE
from iocvn.config import get_settings
from iocvn.core.http import DbSession
from iocvn.core.timeutil import utcnow

router = APIRouter(tags=["cap"])
FEED_MAX_AGE_S = 60
"""Feed readers may keep the feed this long (a new warning shows within a minute)."""
MESSAGE_MAX_AGE_S = 86_400
FEED_TITLE = "Cảnh báo công khai"


@router.get("/cap/alerts.atom", response_class=Response)
def alerts_feed(db: DbSession) -> Response:
    """The Atom 1.0 feed of published CAP messages, newest first."""
    settings = get_settings()
    who = sender.publisher(db, settings)
    body = feed(
        warnings.feed_messages(db),
        public_url=settings.public_url,
        title=f"{FEED_TITLE} — {who.sender_name}",
        author=who.sender_name,
        now=utcnow(),
    )
    return Response(
        body,
        media_type=f"{ATOM_MEDIA_TYPE}; charset=utf-8",
        headers={"Cache-Control": f"public, max-age={FEED_MAX_AGE_S}"},
    )


@router.get("/cap/alerts/{identifier}.xml", response_class=Response)
def alert_message(
    identifier: Annotated[str, Path(min_length=1, max_length=200)], db: DbSession
) -> Response:
    """One published message, exactly as published (404 ``warning_not_found`` otherwise)."""
    row = warnings.published(db, identifier)
    assert row.xml is not None  # published() returns only published messages
    return Response(
        row.xml.encode("utf-8"),
        media_type=MEDIA_TYPE,  # the XML declares its encoding (UTF-8)
        headers={"Cache-Control": f"public, max-age={MESSAGE_MAX_AGE_S}, immutable"},
    )
