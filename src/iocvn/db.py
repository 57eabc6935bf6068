"""Database wiring: the engine for the configured URL, sessions, and the migration runner."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from iocvn.config import get_settings
from iocvn.core.http import begin_writing

MIGRATIONS = Path(__file__).parent / "migrations"
POOL_SIZE, MAX_OVERFLOW = 10, 20  # connections per process: kept open, and more at peaks
# Requests in flight that may hold a connection at once (core.http.DbSession); the rest of
# the pool is left to the background loops (notifications, feedback jobs) of the process.
REQUEST_CONNECTIONS = POOL_SIZE + MAX_OVERFLOW - 4
_POOL: dict[str, Any] = {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
PING_IDLE_S = 5.0
_RETURNED = "iocvn.returned_at"


def make_engine(url: str) -> Engine:
    """An engine with the pragmas iocvn relies on (SQLite: WAL, foreign keys, busy wait)."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            # An in-memory database lives in one connection: SQLAlchemy's own pool for it.
            **({} if make_url(url).database in (None, "", ":memory:") else _POOL),
        )

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn: Any, _record: Any) -> None:
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

    else:
        engine = create_engine(url, pool_size=POOL_SIZE, max_overflow=MAX_OVERFLOW)
    _ping_when_idle(engine)
    return engine


def _ping_when_idle(engine: Engine) -> None:
    """Check a pooled connection before handing it out when it sat unused for ``PING_IDLE_S``
    or more (the server may have restarted or dropped it meanwhile); a dead one is replaced.

    SQLAlchemy's ``pool_pre_ping`` checks at every checkout, which is one more round trip per
    request; a connection returned a moment ago is very likely alive, and if the server went
    away in that moment the request fails once and the pool starts afresh.
    """

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_conn: Any, record: Any) -> None:
        record.info[_RETURNED] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
        returned = record.info.get(_RETURNED)
        if returned is None or time.monotonic() - returned < PING_IDLE_S:
            return  # just connected, or used a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except engine.dialect.loaded_dbapi.Error as error:
            if engine.dialect.is_disconnect(error, dbapi_conn, None):
                raise DisconnectionError() from error  # the pool connects again
            raise


@lru_cache(maxsize=4)
def engine_for(url: str) -> Engine:
    """One engine per URL per process."""
    return make_engine(url)


def get_engine() -> Engine:
    """The engine of the configured database."""
    return engine_for(get_settings().database_url)


def session_factory(engine: Engine | None = None) -> sessionmaker[Session]:
    """Sessions that keep loaded objects usable after commit."""
    return sessionmaker(bind=engine or get_engine(), expire_on_commit=False)


@contextmanager
def transaction(engine: Engine | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on any error (a writer on SQLite)."""
    session = session_factory(engine)()
    begin_writing(session)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(url: str) -> Config:
    """Alembic configuration pointing at the packaged migrations."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str | None = None) -> None:
    """Bring the schema to the newest migration."""
    command.upgrade(alembic_config(url or get_settings().database_url), "head")


def migrations_current(engine: Engine) -> bool:
    """True when the database is at the newest migration."""
    head = ScriptDirectory.from_config(
        alembic_config(engine.url.render_as_string(hide_password=False))
    ).get_current_head()
    with engine.connect() as conn:
        current = MigrationContext.configure(conn).get_current_revision()
    return current == head
