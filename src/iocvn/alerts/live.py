"""The live alert list: the alerts of a view and what changed since the last look, sent as
server-sent events (``text/event-stream``) by ``GET /alerts/stream`` (:mod:`.pages_alerts`).

Each connection polls the database every :data:`POLL_S` seconds with a short session of its
own — the request's session is closed before streaming starts, and none is held between
polls — and sends:

- ``retry: 3000`` first (how long the browser waits before it reconnects);
- ``event: snapshot`` at the first poll: every alert of the view (``{"alerts": [...]}``);
- ``event: changed`` when alerts appeared, changed (state, acknowledgement, silence, value)
  or left the view (``{"alerts": [...], "removed": [ids]}``);
- a ``: keep-alive`` comment after :data:`HEARTBEAT_S` without news, so a client that went
  away is noticed;

and ends when the client disconnects or after :data:`LIFETIME_S` (the browser reconnects,
and its login is checked again). Alerts are machine values (ISO instants, plain numbers).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime
from typing import Any, Final

from sqlalchemy.orm import Session

from iocvn.alerts import instances
from iocvn.alerts.engine import ACTIVE, STATES, is_silenced
from iocvn.alerts.models_rules import AlertInstance
from iocvn.alerts.silences import active_silences
from iocvn.auth.scope import OrgScope

VIEWS: Final = ("active", "all", *STATES)
SHOWN: Final = 200  # alerts of a view (most recently changed first)
POLL_S: Final = 2.0
HEARTBEAT_S: Final = 15.0
LIFETIME_S: Final = 300.0
RETRY_MS: Final = 3000

Alert = dict[str, Any]


def view_of(text: str | None) -> str:
    """A view of the list: ``active`` (pending or active states, the default), ``all``, or
    one state."""
    return text if text in VIEWS else "active"


def select_alerts(
    session: Session, scope: OrgScope | None, view: str, limit: int = SHOWN
) -> list[AlertInstance]:
    """The alerts of a view in the caller's scope, most recently changed first."""
    if view in STATES:
        return instances.list_alerts(session, scope, state=view, limit=limit)
    if view == "all":
        return instances.list_alerts(session, scope, limit=limit)
    found = instances.list_alerts(session, scope, limit=limit * 5)
    return [r for r in found if r.state in ACTIVE or r.state == "pending"][:limit]


def _iso(at: datetime | None) -> str | None:
    return at.isoformat() if at is not None else None


def summary(row: AlertInstance, silenced: bool) -> Alert:
    """What the list shows of an alert, as JSON."""
    labels = dict(row.labels)
    return {
        "id": row.id, "name": labels.get("alertname", ""), "severity": labels.get("severity", ""),
        "state": row.state, "device": row.device, "since": _iso(row.since),
        "value": row.value, "acknowledged_by": row.acknowledged_by, "silenced": silenced,
    }  # fmt: skip


def snapshot(session: Session, scope: OrgScope | None, view: str, now: datetime) -> list[Alert]:
    """The alerts of a view as the stream sends them."""
    silences = active_silences(session, now)
    at = now.timestamp()
    return [
        summary(r, is_silenced(r.labels, silences, at)) for r in select_alerts(session, scope, view)
    ]


def message(event: str, data: Any) -> str:
    """One server-sent event."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return f"event: {event}\ndata: {text}\n\n"


async def stream(
    poll: Callable[[], Awaitable[list[Alert]]],
    disconnected: Callable[[], Awaitable[bool]],
    *,
    poll_s: float = POLL_S,
    heartbeat_s: float = HEARTBEAT_S,
    lifetime_s: float = LIFETIME_S,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
) -> AsyncIterator[str]:
    """The events of one connection: ``poll()`` gives the view's alerts now (it opens and
    closes its own session); ends when ``disconnected()`` or after ``lifetime_s``."""
    yield f"retry: {RETRY_MS}\n\n"
    started = last_sent = clock()
    seen: dict[str, Alert] | None = None
    while not await disconnected():
        alerts = await poll()
        now = {a["id"]: a for a in alerts}
        if seen is None:
            yield message("snapshot", {"alerts": alerts})
            last_sent = clock()
        else:
            changed = [a for a in alerts if seen.get(a["id"]) != a]
            removed = [i for i in seen if i not in now]
            if changed or removed:
                yield message("changed", {"alerts": changed, "removed": removed})
                last_sent = clock()
            elif clock() - last_sent >= heartbeat_s:
                yield ": keep-alive\n\n"
                last_sent = clock()
        seen = now
        if clock() - started >= lifetime_s:
            return
        await sleep(poll_s)
