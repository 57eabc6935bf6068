"""The ORM base and column types shared by every domain's tables."""

from __future__ import annotations

from datetime import datetime
from typing import Any, TypeVar, cast

from sqlalchemy import DateTime, MetaData, inspect
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.session import make_transient_to_detached
from sqlalchemy.types import TypeDecorator

from iocvn.core.timeutil import as_utc

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every iocvn table."""

    metadata = MetaData(naming_convention=NAMING)


B = TypeVar("B", bound=Base)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware (SQLite has no tz)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        utc = as_utc(value)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return as_utc(value)


def new_row(obj: Base) -> dict[str, Any]:
    """The column values to insert for ``obj`` (not yet in a session): each attribute as
    set, else its column's Python-side default, else NULL — for a hot path that writes the
    row with one Core statement of its own (e.g. ``INSERT … ON CONFLICT DO NOTHING``). A
    column whose value the database would choose (a server default, an auto-incremented key)
    must be set on ``obj``: that is refused rather than written as NULL."""
    state = inspect(obj)
    row: dict[str, Any] = {}
    for prop in state.mapper.column_attrs:
        column = prop.columns[0]
        default = column.default
        if prop.key in state.dict:
            value = state.dict[prop.key]
        elif default is None and (column.server_default is not None or column.primary_key):
            raise ValueError(f"{column} is chosen by the database; set it on the object")
        elif default is None:
            value = None
        elif default.is_callable:
            value = default.arg(None)
        elif default.is_scalar:
            value = default.arg
        else:
            raise ValueError(f"{column} has a default new_row cannot compute")
        row[column.key] = value
    return row


def attach_written(session: Session, obj: Base, row: dict[str, Any]) -> None:
    """Make ``obj`` (never added to a session) the persistent object of the row a Core
    INSERT just wrote with ``row``: loaded, unchanged, and not written a second time."""
    _as_stored(obj, {p.key: row[p.columns[0].key] for p in inspect(obj).mapper.column_attrs})
    session.add(obj)


def detached_copy(obj: B) -> B:
    """A detached copy of a loaded row, every column set: merging it into a session with
    ``load=False`` costs no query, and the copy itself never belongs to a session."""
    mapper = inspect(obj).mapper
    copy = cast("B", mapper.class_manager.new_instance())
    _as_stored(copy, {p.key: getattr(obj, p.key) for p in mapper.column_attrs})
    return copy


def _as_stored(obj: Base, values: dict[str, Any]) -> None:
    for key, value in values.items():
        set_committed_value(obj, key, value)
    make_transient_to_detached(obj)
