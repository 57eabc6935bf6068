"""Who is calling: resolve the session cookie or bearer token into a :class:`Principal`, and
guard routes with :func:`require`. Routes never check roles or scopes themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Annotated, Literal

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from iocvn.auth import credentials, live_tokens
from iocvn.auth.models import User, WebSession
from iocvn.auth.roles import has_permission
from iocvn.auth.scope import OrgScope
from iocvn.core.context import Actor
from iocvn.core.crypto import same
from iocvn.core.errors import Forbidden, IocError, Unauthenticated
from iocvn.core.http import DbSession, client_ip, request_id
from iocvn.org.models import OrgUnit

SESSION_COOKIE = "iocvn_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfFailed(IocError):
    """A cookie-authenticated change arrived without the session's CSRF token."""

    status = 403
    code = "csrf_failed"


@dataclass
class Principal:
    """The authenticated caller of one request."""

    user: User
    scope: OrgScope
    via: Literal["session", "token"]
    request_id: str = ""
    ip: str = ""
    web_session: WebSession | None = None
    token_scopes: frozenset[str] = field(default_factory=frozenset)

    @property
    def role(self) -> str:
        """The caller's role code."""
        return self.user.role

    def can(self, permission: str) -> bool:
        """True when the caller's role holds ``permission``."""
        return has_permission(self.user.role, permission)

    def actor(self) -> Actor:
        """The audit actor for changes this caller makes."""
        return Actor(
            name=self.user.username,
            org_code=self.user.org_code,
            request_id=self.request_id,
            ip=self.ip,
        )

    @property
    def csrf_token(self) -> str:
        """The token forms must echo back (empty for bearer tokens)."""
        return self.web_session.csrf_token if self.web_session else ""


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def resolve(request: Request, db: DbSession) -> Principal | None:
    """The caller, or None when anonymous. A session still waiting for its second factor
    counts as anonymous here; the login flow reads it directly.
    """
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    bearer = _bearer(request)
    principal: Principal | None = None
    if bearer is not None:
        holder = live_tokens.remembered(db, bearer) or live_tokens.load(db, bearer)
        if holder is None:
            raise Unauthenticated("invalid_token")
        principal = _token_principal(request, db, holder)
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        loaded = credentials.load_session(db, cookie) if cookie else None
        if loaded is not None and loaded[0].mfa_passed:
            web_session, user = loaded
            principal = Principal(
                user=user,
                scope=_scope(db, user),
                via="session",
                request_id=request_id(request),
                ip=client_ip(request),
                web_session=web_session,
            )
    request.state.principal = principal
    return principal


def _token_principal(request: Request, db: DbSession, holder: live_tokens.Holder) -> Principal:
    principal = Principal(
        user=db.merge(holder.user, load=False),  # this request's copy, in its session
        scope=holder.scope or _scope(db, holder.user),
        via="token",
        request_id=request_id(request),
        ip=client_ip(request),
        token_scopes=holder.scopes,
    )
    request.state.principal = principal
    return principal


def _scope(db: DbSession, user: User) -> OrgScope:
    unit = db.get(OrgUnit, user.org_code)
    if unit is None:  # the FK makes this impossible; refuse rather than widen the scope
        raise Forbidden("org_unit_missing")
    return OrgScope.of(unit)


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def check_csrf(request: Request, expected: str) -> None:
    """Refuse an unsafe request that does not echo ``expected`` (header or form field)."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER, "")
    if not sent and request.headers.get("content-type", "").startswith(FORM_TYPES):
        value = (await request.form()).get("csrf_token")
        sent = value if isinstance(value, str) else ""
    if not sent or not expected or not same(sent, expected):
        raise CsrfFailed()


async def current(request: Request, db: DbSession) -> Principal:
    """The authenticated caller (401 otherwise), with CSRF and token-scope checks applied.

    A bearer token this process read a moment ago is resolved here, without a thread or a
    query (``live_tokens``); anything else is read from the database in a worker thread.
    """
    principal: Principal | None = getattr(request.state, "principal", None)
    if principal is None:
        bearer = _bearer(request)
        holder = live_tokens.remembered(db, bearer) if bearer is not None else None
        if holder is not None:
            principal = _token_principal(request, db, holder)
        else:
            principal = await run_in_threadpool(resolve, request, db)
    if principal is None:
        raise Unauthenticated()
    if principal.via == "session":
        await check_csrf(request, principal.csrf_token)
    read_only = "write" not in principal.token_scopes
    if principal.via == "token" and request.method not in SAFE_METHODS and read_only:
        raise Forbidden("token_read_only")
    return principal


CurrentPrincipal = Annotated[Principal, Depends(current)]


def require(permission: str) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting callers whose role holds ``permission``.

    Use as ``principal: Annotated[Principal, Depends(require("org.write"))]``; the guard
    carries ``.permission`` so the generated permission tests find every guarded route.
    """

    async def _guard(principal: CurrentPrincipal) -> Principal:  # async: no thread for this
        if not principal.can(permission):
            raise Forbidden(details={"permission": permission})
        return principal

    _guard.permission = permission  # type: ignore[attr-defined]
    return _guard
