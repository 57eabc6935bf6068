"""Time: stored in UTC, shown in Asia/Ho_Chi_Minh as dd/mm/yyyy."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    """Treat a naive datetime as UTC; convert an aware one to UTC."""
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def to_local(value: datetime) -> datetime:
    """The same instant in Vietnam's time zone."""
    return as_utc(value).astimezone(LOCAL_TZ)


def format_datetime(value: datetime | None) -> str:
    """``22/11/2026 20:35`` in Vietnam's time, or an empty string."""
    if value is None:
        return ""
    return to_local(value).strftime("%d/%m/%Y %H:%M")


def format_date(value: date | None) -> str:
    """``22/11/2026``, or an empty string."""
    if value is None:
        return ""
    return value.strftime("%d/%m/%Y")


def parse_day(text: str) -> date:
    """``22/11/2026`` (as shown) or ``2026-11-22`` (as date inputs send); ValueError otherwise."""
    raw = text.strip()
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return datetime.strptime(raw, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"not a date: {text!r}")


def local_midnight(day: date) -> datetime:
    """The first instant of ``day`` in Vietnam, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=LOCAL_TZ)
