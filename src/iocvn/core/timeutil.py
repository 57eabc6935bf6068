"""Time: stored in UTC, shown in Asia/Ho_Chi_Minh as dd/mm/yyyy."""

from __future__ import annotations

from datetime import UTC, date, datetime
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
