"""Pooled connections are checked before use only when they sat unused for ``PING_IDLE_S``
(``db._ping_when_idle``): a dead one is then replaced; one used a moment ago is not pinged."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.exc import DBAPIError

from iocvn import db as iocvn_db

IDLE = 0.2  # PING_IDLE_S in these tests


@pytest.fixture
def pings(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Make idle mean ``IDLE`` seconds; the times of the pings of engines made afterwards are
    collected by :func:`_own_engine`."""
    monkeypatch.setattr(iocvn_db, "PING_IDLE_S", IDLE)
    return []


def _own_engine(url: str, pings: list[float], monkeypatch: pytest.MonkeyPatch) -> Engine:
    """A new engine as ``make_engine`` builds it (its own pool), its pings counted."""
    engine: Engine = iocvn_db.make_engine(url)
    ping = engine.dialect.do_ping

    def _counted(dbapi_conn: Any) -> bool:
        pings.append(time.monotonic())
        return bool(ping(dbapi_conn))

    monkeypatch.setattr(engine.dialect, "do_ping", _counted)
    return engine


def _backend(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


@pytest.fixture
def pg(
    db_url: str, db: Engine, pings: list[float], monkeypatch: pytest.MonkeyPatch
) -> Iterator[Engine]:
    engine = _own_engine(db_url, pings, monkeypatch)
    yield engine
    engine.dispose()


def _terminate(killer: Engine, pid: int) -> None:
    """End backend ``pid`` from another connection, as a server restart or an idle timeout
    would, and wait until it is gone."""
    with killer.connect() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
        for _ in range(100):
            gone = conn.execute(
                text("SELECT count(*) = 0 FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar()
            conn.rollback()  # a new snapshot of pg_stat_activity each time
            if gone:
                return
            time.sleep(0.02)
    raise AssertionError(f"backend {pid} still there")


@pytest.mark.postgres_only
def test_an_idle_connection_the_server_dropped_is_replaced(
    pg: Engine, db: Engine, pings: list[float]
) -> None:
    dead = _backend(pg)
    assert pings == []  # a new connection is not pinged
    _terminate(db, dead)
    time.sleep(IDLE + 0.05)
    with pg.connect() as conn:  # checked before use: found dead, replaced, no error
        assert conn.execute(text("SELECT pg_backend_pid()")).scalar_one() != dead
    assert len(pings) == 1  # the dead one; its replacement is new, so not checked
    assert _backend(pg) != dead and len(pings) == 1  # the replacement stays in the pool


@pytest.mark.postgres_only
def test_a_connection_used_a_moment_ago_is_not_pinged(
    pg: Engine, db: Engine, pings: list[float]
) -> None:
    first = _backend(pg)
    assert _backend(pg) == first and pings == []  # the same connection, not checked
    time.sleep(IDLE + 0.05)
    assert _backend(pg) == first and len(pings) == 1  # idle: checked once, alive
    assert _backend(pg) == first and len(pings) == 1
    # Without a ping, a connection the server dropped a moment ago is handed out as it is:
    # its first statement fails (SQLAlchemy then drops the pool) and the next one works.
    _terminate(db, first)
    with pytest.raises(DBAPIError) as failed, pg.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert failed.value.connection_invalidated
    assert _backend(pg) != first and len(pings) == 1


@pytest.fixture
def lite(tmp_path: Path, pings: list[float], monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    engine = _own_engine(f"sqlite:///{tmp_path / 'ping.db'}", pings, monkeypatch)
    yield engine
    engine.dispose()


def test_sqlite_pings_only_a_connection_idle_for_ping_idle_s(
    lite: Engine, pings: list[float]
) -> None:
    for _ in range(3):
        with lite.connect() as conn:
            conn.execute(text("SELECT 1"))
    assert pings == []  # new, then used a moment ago
    time.sleep(IDLE + 0.05)
    with lite.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(pings) == 1
    with lite.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert len(pings) == 1  # returned a moment ago by the checkout above


def test_sqlite_replaces_a_closed_idle_connection(lite: Engine, pings: list[float]) -> None:
    with lite.connect() as conn:
        raw = conn.connection.driver_connection
    assert raw is not None
    raw.close()  # as if the driver had lost it while pooled
    time.sleep(IDLE + 0.05)
    with lite.connect() as conn:
        assert conn.execute(text("SELECT 1")).scalar_one() == 1
        assert conn.connection.driver_connection is not raw
    assert len(pings) == 1  # the closed one; the new connection is not pinged
