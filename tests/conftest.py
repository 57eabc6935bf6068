"""Test wiring: a fresh database per run (SQLite file, or a PostgreSQL database created and
dropped here), migrated once, emptied after every test.

Choose the database with ``IOCVN_TEST_DATABASE``: unset or ``sqlite`` for SQLite, or an admin
URL such as ``postgresql+psycopg://postgres@127.0.0.1/postgres`` for PostgreSQL.
"""

from __future__ import annotations

import copy
import gc
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import settings
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from iocvn.app import create_app, listen
from iocvn.config import Settings, get_settings
from iocvn.core.crypto import new_data_key
from iocvn.db import engine_for, migrate
from iocvn.feedback import clock, routing, suggest
from iocvn.migrations.metadata import metadata
from iocvn.org import geo

TEST_DB = os.environ.get("IOCVN_TEST_DATABASE", "sqlite")

# CI runs property tests on fixed examples (a red CI must mean a change broke something);
# developers' runs keep exploring new examples.
settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
IS_PG = TEST_DB.startswith("postgresql")


# The fixtures through which a test reaches the test database: ``engine`` and everything built
# on it (``db``, ``session``, ``app``, ``client``, ``live_server``, the domains' data fixtures);
# ``item.fixturenames`` is the closure, so ``engine`` alone is the test; ``empty_url`` makes a
# database of its own on the same server.
DATABASE_FIXTURES = {"engine", "empty_url"}
_NO_DATABASE = pytest.StashKey[int]()


def _uses_database(item: pytest.Item) -> bool:
    """Whether a test reaches the database: through a database fixture, or by its own means
    (marked ``db``: a URL of its own, a subprocess, ``db_url`` only), or it needs PostgreSQL."""
    fixtures = set(getattr(item, "fixturenames", ()))
    return bool(fixtures & DATABASE_FIXTURES) or any(
        item.get_closest_marker(name) for name in ("db", "postgres_only")
    )


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "db: reaches the database without the database fixtures (kept in the PostgreSQL pass)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Browser tests run in the SQLite pass only; PostgreSQL-only tests in the PG pass only.

    The PostgreSQL pass is there for the database's behaviour: tests that never reach a
    database (pure logic, parsers, property tests of pure functions, texts) are deselected
    from it, and counted, since they already ran in the SQLite pass.
    """
    for item in items:
        if IS_PG and "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="browser tests run in the SQLite pass"))
        if not IS_PG and "postgres_only" in item.keywords:
            item.add_marker(pytest.mark.skip(reason="needs PostgreSQL (the PG pass runs it)"))
    if IS_PG:
        kept = [item for item in items if _uses_database(item)]
        dropped = [item for item in items if not _uses_database(item)]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = kept
        config.stash[_NO_DATABASE] = len(dropped)
        if hasattr(config, "workeroutput"):  # an xdist worker: its controller prints the count
            config.workeroutput["no_database"] = len(dropped)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: object, error: object) -> None:
    """(xdist controller) Every worker collected the same tests: keep one's count."""
    count = getattr(node, "workeroutput", {}).get("no_database")
    if count is not None:
        node.config.stash[_NO_DATABASE] = count  # type: ignore[attr-defined]


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    count = terminalreporter.config.stash.get(_NO_DATABASE, None)
    if count is not None:
        terminalreporter.write_line(
            f"PostgreSQL pass: {count} tests that reach no database deselected "
            "(the SQLite pass runs them)"
        )


def pytest_collection_finish(session: pytest.Session) -> None:
    """What collection built (modules, test items) lives as long as the run: moved out of the
    garbage collector's reach (``gc.freeze``, as ``app.server_app`` does), and collections
    made rarer. With the defaults a full collection walked ≈ 550 000 objects every few tests,
    250 ms each: a fifth of the suite's time (tests/feedback: 15 s of 64 s; now 4 s)."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)


@pytest.fixture
def gc_unfrozen() -> Iterator[None]:
    """The garbage collector as in a new process, nothing frozen (for tests of ``gc.freeze``);
    frozen again afterwards."""
    gc.unfreeze()
    yield
    gc.collect()
    gc.freeze()


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of this run's own database."""
    if not IS_PG:
        yield f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
        return
    name = f"iocvn_test_{secrets.token_hex(6)}"
    admin = create_engine(TEST_DB, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(TEST_DB).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        engine_for.cache_clear()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session", autouse=True)
def _settings(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Point iocvn's settings at the test database with fresh keys."""
    os.environ["IOCVN_DATABASE_URL"] = db_url
    os.environ["IOCVN_SECRET_KEY"] = secrets.token_urlsafe(32)
    os.environ["IOCVN_DATA_KEYS"] = new_data_key()
    os.environ["IOCVN_PROVINCE_CODE"] = "20"
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture(scope="session")
def engine(db_url: str, _settings: None) -> Engine:
    """The migrated test database."""
    migrate(db_url)
    return engine_for(db_url)


def reset(engine: Engine) -> None:
    """Empty every table and restart the audit chain (the PG guard is lifted only here)."""
    tables = [t.name for t in reversed(metadata.sorted_tables)]
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            # DELETE, children first, in one round trip, then the used sequences restarted:
            # 7 ms, where TRUNCATE … RESTART IDENTITY of every table took 330–450 ms a test.
            conn.execute(text("ALTER TABLE audit_log DISABLE TRIGGER USER"))
            conn.exec_driver_sql("; ".join(f"DELETE FROM {name}" for name in tables))
            conn.execute(text("ALTER TABLE audit_log ENABLE TRIGGER USER"))
            used = conn.execute(
                text(
                    "SELECT quote_ident(sequencename) FROM pg_sequences "
                    "WHERE schemaname = current_schema() AND last_value IS NOT NULL"
                )
            ).scalars()
            restarts = [f"ALTER SEQUENCE {name} RESTART" for name in used]
            if restarts:
                conn.exec_driver_sql("; ".join(restarts))
        else:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
        conn.execute(
            text("INSERT INTO audit_head (id, last_seq, last_hash) VALUES (1, 0, :h)"),
            {"h": "0" * 64},
        )
    # What services keep between requests was built from the rows just deleted.
    geo.invalidate()
    clock.invalidate()
    routing.invalidate()
    suggest.invalidate()


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The test database, emptied after the test."""
    yield engine
    reset(engine)


@pytest.fixture
def statements(db: Engine) -> Iterator[list[str]]:
    """Every SQL statement the test database is sent while the test runs (request threads
    included); clear it to count from a point on."""
    sent: list[str] = []

    def _note(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        sent.append(statement)

    event.listen(db, "before_cursor_execute", _note)
    yield sent
    event.remove(db, "before_cursor_execute", _note)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session for service tests; the test commits what it wants to keep."""
    with Session(db, expire_on_commit=False) as s:
        yield s


@pytest.fixture
def empty_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A database of this run's kind with nothing in it: an SQLite file not made yet, or a new
    PostgreSQL database, dropped afterwards (restores, migrations from scratch)."""
    if not IS_PG:
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"iocvn_empty_{secrets.token_hex(4)}"
    admin = create_engine(make_url(db_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(db_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def repo_root() -> Path:
    """The repository's root directory."""
    return Path(__file__).resolve().parent.parent


@pytest.fixture
def shared_data(repo_root: Path) -> Path:
    """``../shared/data`` beside the checkout (real reference data)."""
    return repo_root.parent / "shared" / "data"


_built: list[tuple[Settings, dict[str, Any], FastAPI, int]] = []


@pytest.fixture
def app(db: Engine) -> FastAPI:
    """The application on the test database, as ``create_app(get_settings())`` makes it.

    Building an app is quick, but its first requests build every route's dependency tree
    (150–300 ms an app: a fifth of the suite's time when every test built its own). So an app
    is reused while the settings are the very same object with the same values and no test
    changed the app (routes, dependency overrides); what a new app has fresh is made fresh:
    the event listeners subscribed (``listen``) and the HTTP metrics empty.
    """
    settings = get_settings()
    values = settings.model_dump()
    if _built:
        kept, kept_values, built, routes = _built[0]
        if (
            kept is settings
            and kept_values == values
            and len(built.router.routes) == routes
            and not built.dependency_overrides
        ):
            listen()
            built.state.metrics.requests.clear()
            built.state.metrics.latency.clear()
            return built
    built = create_app(settings)
    _built[:] = [(settings, copy.deepcopy(values), built, len(built.router.routes))]
    return built


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTP client for the API (no cookies kept between tests)."""
    with TestClient(app, base_url="http://testserver") as c:
        yield c
