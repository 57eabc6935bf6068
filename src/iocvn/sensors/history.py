"""Reading a device's history: raw readings or rollups of one step over a time window, in
time order, a page at a time (keyset paging on (ts, quantity), so a page costs the same
however deep; on PostgreSQL the window prunes the monthly partitions).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from iocvn.core.errors import Invalid
from iocvn.core.timeutil import as_utc, utcnow
from iocvn.sensors.kinds import STEPS
from iocvn.sensors.models import OUT_OF_RANGE, Device, Reading, Rollup

MAX_PAGE = 10_000
DEFAULT_PAGE = 1_000
# The window when ``since`` is absent: a day of raw or 1-minute data, a month of hours, a year
# of days.
DEFAULT_SPAN = {"raw": timedelta(days=1), "1m": timedelta(days=1), "1h": timedelta(days=31),
                "1d": timedelta(days=366)}  # fmt: skip


@dataclass(frozen=True)
class Window:
    """What to read: a step (``raw`` or a rollup step), a window, maybe one quantity."""

    step: str
    since: datetime
    until: datetime
    quantity: str | None = None


@dataclass
class Page:
    """One page of history and the cursor of the next (None: the last page)."""

    items: list[dict[str, Any]]
    next_cursor: str | None


def window(
    device: Device,
    step: str | None,
    since: datetime | None,
    until: datetime | None,
    quantity: str | None,
) -> Window:
    """Check and complete the query's parameters (422 when they make no sense)."""
    step = step or "raw"
    if step != "raw" and step not in STEPS:
        raise Invalid("readings_step")
    if quantity is not None and quantity not in device.quantities:
        raise Invalid("readings_quantity", quantity=quantity[:64])
    try:
        end = as_utc(until) if until is not None else utcnow()
        start = as_utc(since) if since is not None else end - DEFAULT_SPAN[step]
    except (OverflowError, ValueError) as exc:
        raise Invalid("readings_window") from exc
    if start >= end:
        raise Invalid("readings_window")
    return Window(step, start, end, quantity)


def _cursor(ts: datetime, quantity: str) -> str:
    return f"{as_utc(ts).isoformat()}|{quantity}"


def _parse_cursor(cursor: str) -> tuple[datetime, str]:
    ts, sep, quantity = cursor.partition("|")
    try:
        parsed = as_utc(datetime.fromisoformat(ts))
    except (ValueError, OverflowError) as exc:
        raise Invalid("invalid", details={"cursor": cursor[:80]}) from exc
    if not sep or not quantity:
        raise Invalid("invalid", details={"cursor": cursor[:80]})
    return parsed, quantity


def read(
    session: Session, device: Device, win: Window, *, limit: int, cursor: str | None = None
) -> Page:
    """Raw readings (``step`` raw) or rollups from ``since`` (included) to ``until``
    (excluded), in (ts, quantity) order."""
    if win.step == "raw":
        table: Any = Reading
        time_col = Reading.ts
        stmt: Any = select(Reading).where(Reading.device_id == device.id)
    else:
        table, time_col = Rollup, Rollup.bucket
        stmt = select(Rollup).where(Rollup.device_id == device.id, Rollup.step == STEPS[win.step])
    stmt = stmt.where(time_col >= win.since, time_col < win.until)
    if win.quantity is not None:
        stmt = stmt.where(table.quantity == win.quantity)
    if cursor:
        ts, quantity = _parse_cursor(cursor)
        stmt = stmt.where(or_(time_col > ts, and_(time_col == ts, table.quantity > quantity)))
    rows = list(session.execute(stmt.order_by(time_col, table.quantity).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    if win.step == "raw":
        items = [{"quantity": r.quantity, "ts": r.ts, "value": r.value,
                  "out_of_range": bool(r.flags & OUT_OF_RANGE), "received_at": r.received_at}
                 for r in rows]  # fmt: skip
    else:
        items = [{"quantity": r.quantity, "ts": r.bucket, "min": r.min, "max": r.max,
                  "avg": r.sum / r.count, "sum": r.sum, "count": r.count}
                 for r in rows]  # fmt: skip
    last = rows[-1] if rows else None
    next_cursor = None
    if more and last is not None:
        next_cursor = _cursor(last.ts if win.step == "raw" else last.bucket, last.quantity)
    return Page(items, next_cursor)
