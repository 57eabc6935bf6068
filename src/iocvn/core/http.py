"""HTTP plumbing shared by every domain's routes: the unit-of-work session and request info.

The request owns the transaction: the session is committed after the route returns and
before the response is sent, and rolled back if anything raised.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Annotated, Any, Protocol

import anyio
from fastapi import Depends, Request
from sqlalchemy import ColumnElement
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from iocvn.core.context import Actor
from iocvn.core.errors import Forbidden, Unauthenticated


def begin_writing(session: Session) -> None:
    """Start the transaction of a unit of work that will write.

    On SQLite it takes the write lock at once (``BEGIN IMMEDIATE``): a deferred transaction
    that reads and then writes fails straight away with "database is locked" when another
    writer committed in between, whatever the busy timeout, while an immediate one waits its
    turn. Issued on the driver's connection, so query counters do not see it. PostgreSQL's
    row locks need no such care.
    """
    conn = session.connection()
    if conn.dialect.name != "sqlite":
        return
    driver = conn.connection.driver_connection
    if driver is not None and not driver.in_transaction:
        driver.execute("BEGIN IMMEDIATE")


class _Slots:
    """How many requests of a process may hold a database session at once, and how many of
    them may write; waiting for a slot is asynchronous, so it never occupies a worker thread.

    Without a bound, under load every worker thread can end up blocked waiting for a pooled
    connection (or, on SQLite, for the write lock) while the requests that hold them wait for
    a thread to finish in — the server stalls until the pool's time-out. With at most as many
    sessions as connections, a thread that runs database work always gets its connection.
    Writers are bounded tighter: on SQLite one at a time (it has one write lock); on
    PostgreSQL a few, because every writer queues for the audit chain at commit, and a commit
    holding the chain must get the GIL back quickly after each round trip — more writing
    threads in one process only lengthen that queue (measured in docs/performance.md).
    """

    def __init__(self, sessions: int, writers: int) -> None:
        self.sessions, self.writers = sessions, max(1, min(writers, sessions))
        self._loop: asyncio.AbstractEventLoop | None = None
        self._read = self._write = asyncio.Semaphore(1)

    def for_request(self, writing: bool) -> tuple[asyncio.Semaphore, ...]:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # semaphores belong to one event loop (tests run several)
            self._loop = loop
            self._read = asyncio.Semaphore(self.sessions)
            self._write = asyncio.Semaphore(self.writers)
        return (self._write, self._read) if writing else (self._read,)


def configure_sessions(
    state: Any, sessions: sessionmaker[Session], capacity: int, *, writers: int
) -> None:
    """Give the app its session factory and its slots (see ``_Slots``; called by the app)."""
    state.sessions = sessions
    state.db_slots = _Slots(capacity, writers)


def _finish(session: Session, commit: bool) -> None:
    try:
        if commit:
            session.commit()
            return
        # Error pages are rendered after this and read the caller's rows (user, web session):
        # detach them with their loaded state, or the rollback would expire them for good.
        session.expunge_all()
        session.rollback()
    finally:
        session.close()


async def _db(request: Request) -> AsyncIterator[Session]:
    factory: sessionmaker[Session] = request.app.state.sessions
    writing = request.method not in ("GET", "HEAD", "OPTIONS")
    async with AsyncExitStack() as slots:
        for slot in request.app.state.db_slots.for_request(writing):
            await slots.enter_async_context(slot)
        session = factory()
        try:
            if writing and session.get_bind().dialect.name == "sqlite":  # a no-op elsewhere
                await run_in_threadpool(begin_writing, session)
            yield session
        except BaseException:
            with anyio.CancelScope(shield=True):  # roll back even when the client went away
                await run_in_threadpool(_finish, session, False)
            raise
        await run_in_threadpool(_finish, session, True)


DbSession = Annotated[Session, Depends(_db, scope="function")]


def request_id(request: Request) -> str:
    """The id the request-id middleware gave this request."""
    return str(getattr(request.state, "request_id", ""))


def client_ip(request: Request) -> str:
    """The client address (the proxy middleware has already applied X-Forwarded-For)."""
    return request.client.host if request.client else ""


def anonymous_actor(request: Request, name: str = "anonymous") -> Actor:
    """An actor for requests made before anyone is logged in."""
    return Actor(name=name, request_id=request_id(request), ip=client_ip(request))


class Scope(Protocol):
    """What part of the province a caller sees (implemented by ``auth.scope.OrgScope``)."""

    level: str
    org_code: str
    province_code: str

    def area_clause(self, column: Any) -> ColumnElement[bool]:
        """Filter on a column holding the commune/province code of a record."""

    def sector_clause(self, column: Any) -> ColumnElement[bool]:
        """Filter on a column holding the owning agency's code."""

    def org_unit_clause(self) -> ColumnElement[bool]:
        """Which org units the caller may see."""

    def covers_unit(self, unit: Any) -> bool:
        """True when the caller may see ``unit``."""

    def may_edit_unit(self, unit: Any) -> bool:
        """True when the caller may edit ``unit``."""


class Caller(Protocol):
    """The authenticated caller (implemented by ``auth.deps.Principal``).

    Domains below ``auth`` (org, audit) see the caller through this protocol; the app wires
    their routers behind ``auth``'s resolver, which puts the principal on ``request.state``.
    """

    scope: Scope

    @property
    def role(self) -> str:
        """The caller's role code."""

    def can(self, permission: str) -> bool:
        """True when the caller's role holds ``permission``."""

    def actor(self) -> Actor:
        """The audit actor for this caller's changes."""


def requires(permission: str) -> Callable[[Request], Awaitable[Caller]]:
    """A guard for routes of domains below ``auth``: the resolved caller must hold
    ``permission``. Fails closed (401) when no resolver ran before it.
    """

    async def _guard(request: Request) -> Caller:  # async: no thread for this
        caller: Caller | None = getattr(request.state, "principal", None)
        if caller is None:
            raise Unauthenticated()
        if not caller.can(permission):
            raise Forbidden(details={"permission": permission})
        return caller

    _guard.permission = permission  # type: ignore[attr-defined]
    return _guard
