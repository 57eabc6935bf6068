"""Web pages of the identity and access domain: login with TOTP, enrolment, logout,
language switch, and the administrators' account pages."""

from __future__ import annotations

import hashlib
import hmac
from typing import Annotated
from urllib.parse import urlparse

import segno
from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from starlette.concurrency import run_in_threadpool

from iocvn.audit import service as audit
from iocvn.auth import credentials
from iocvn.auth import service as users
from iocvn.auth.deps import (
    SESSION_COOKIE,
    CsrfFailed,
    CurrentPrincipal,
    Principal,
    check_csrf,
    require,
)
from iocvn.auth.models import User, WebSession
from iocvn.auth.roles import ROLE_LEVELS, ROLES
from iocvn.config import get_settings
from iocvn.core.context import Actor
from iocvn.core.crypto import new_token, same
from iocvn.core.errors import IocError, Unauthenticated
from iocvn.core.http import DbSession, anonymous_actor, client_ip, request_id
from iocvn.core.i18n import t
from iocvn.core.templating import render
from iocvn.org.models import OrgUnit

router = APIRouter()
PRE_COOKIE = "iocvn_pre"
LANG_COOKIE = "iocvn_lang"
Admin = Annotated[Principal, Depends(require("user.write"))]


def _secure(request: Request) -> bool:
    setting = get_settings().secure_cookies
    return request.url.scheme == "https" if setting is None else setting


def _safe_next(target: str | None) -> str:
    """Only same-site paths: never redirect to another host after login."""
    if not target:
        return "/"
    parsed = urlparse(target)
    if parsed.scheme or parsed.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return target


def _pre_token(pre: str) -> str:
    key = get_settings().secret_key.encode()
    return hmac.new(key, f"login:{pre}".encode(), hashlib.sha256).hexdigest()


def _set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        cookie,
        httponly=True,
        samesite="lax",
        secure=_secure(request),
        max_age=get_settings().session_hours * 3600,
        path="/",
    )


def _pending(request: Request, db: DbSession) -> tuple[WebSession, User]:
    """The half-open session between password and second factor (or a full one)."""
    cookie = request.cookies.get(SESSION_COOKIE)
    loaded = credentials.load_session(db, cookie) if cookie else None
    if loaded is None:
        raise Unauthenticated("session_expired")
    return loaded


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: str | None = None, error: str | None = None) -> Response:
    """The login form; a pre-session cookie backs its CSRF token."""
    pre = request.cookies.get(PRE_COOKIE) or new_token(24)
    request.state.csrf_token = _pre_token(pre)
    response = render(
        request,
        "auth/login.html",
        {"next": _safe_next(next), "error": error},
        401 if error else 200,
    )
    response.set_cookie(PRE_COOKIE, pre, httponly=True, samesite="strict", secure=_secure(request))
    return response


@router.post("/login")
def login(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=256)],
    csrf_token: Annotated[str, Form(max_length=128)] = "",
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the password; go on to the second factor, to enrolment, or straight in."""
    pre = request.cookies.get(PRE_COOKIE, "")
    if not pre or not same(csrf_token, _pre_token(pre)):
        raise CsrfFailed()
    result = credentials.check_password(db, anonymous_actor(request), username, password)
    if result.outcome == "failed" or result.user is None:
        db.commit()  # the failure, the counter and the audit entry must stay
        return login_form(request, next, error="invalid_credentials")
    user = result.user
    full = result.outcome == "ok"
    cookie, _ = credentials.open_session(
        db,
        user,
        mfa_passed=full,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    if full:
        _audit_login(request, db, user)
        target = _safe_next(next)
    elif result.outcome == "enrol_required":
        target = f"/mfa/enrol?next={_safe_next(next)}"
    else:
        target = f"/login/mfa?next={_safe_next(next)}"
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(request, response, cookie)
    response.delete_cookie(PRE_COOKIE)
    return response


def _user_actor(request: Request, user: User) -> Actor:
    return Actor(user.username, user.org_code, request_id(request), client_ip(request))


def _audit_login(request: Request, db: DbSession, user: User) -> None:
    audit.record(
        db, _user_actor(request, user), "auth.login", target_type="user", target_id=user.username
    )


@router.get("/login/mfa", response_class=HTMLResponse)
def mfa_form(request: Request, db: DbSession, next: str | None = None) -> Response:
    """Ask for the second factor."""
    web_session, _ = _pending(request, db)
    request.state.csrf_token = web_session.csrf_token
    return render(request, "auth/mfa.html", {"next": _safe_next(next), "error": None})


@router.post("/login/mfa")
async def mfa_submit(
    request: Request,
    db: DbSession,
    code: Annotated[str, Form(max_length=64)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Check the TOTP or recovery code and open the full session."""
    web_session, user = await run_in_threadpool(_pending, request, db)
    await check_csrf(request, web_session.csrf_token)
    actor = _user_actor(request, user)
    ok = await run_in_threadpool(credentials.check_second_factor, db, actor, user, code)
    if not ok:
        db.commit()
        request.state.csrf_token = web_session.csrf_token
        return render(
            request, "auth/mfa.html", {"next": _safe_next(next), "error": "mfa_code_wrong"}, 401
        )
    return await run_in_threadpool(_promote, request, db, web_session, user, _safe_next(next))


def _promote(
    request: Request, db: DbSession, pending: WebSession, user: User, target: str
) -> Response:
    """Replace the pending session with a full one (a new id: no session fixation)."""
    db.delete(pending)
    cookie, _ = credentials.open_session(
        db,
        user,
        mfa_passed=True,
        ip=client_ip(request),
        user_agent=request.headers.get("user-agent", ""),
    )
    _audit_login(request, db, user)
    response = RedirectResponse(target, status_code=303)
    _set_session_cookie(request, response, cookie)
    return response


@router.get("/mfa/enrol", response_class=HTMLResponse)
def enrol_form(request: Request, db: DbSession, next: str | None = None) -> Response:
    """Show the QR code and secret of a new authenticator enrolment."""
    web_session, user = _pending(request, db)
    if user.mfa_enabled:
        return RedirectResponse(_safe_next(next), status_code=303)
    if not user.totp_secret:
        credentials.begin_enrolment(db, user)
    uri = credentials.provisioning_uri(user)
    request.state.csrf_token = web_session.csrf_token
    qr_svg = segno.make(uri, error="m").svg_inline(scale=5, border=2)
    return render(
        request,
        "auth/enrol.html",
        {
            "next": _safe_next(next),
            "qr_svg": qr_svg,
            "otpauth_uri": uri,
            "secret": credentials.totp_secret(user),
            "error": None,
        },
    )


@router.post("/mfa/enrol")
async def enrol_submit(
    request: Request,
    db: DbSession,
    code: Annotated[str, Form(max_length=16)],
    next: Annotated[str, Form(max_length=500)] = "/",
) -> Response:
    """Confirm the first code; show the recovery codes once and open the full session."""
    web_session, user = await run_in_threadpool(_pending, request, db)
    await check_csrf(request, web_session.csrf_token)
    actor = _user_actor(request, user)
    try:
        codes = await run_in_threadpool(credentials.confirm_enrolment, db, actor, user, code)
    except IocError as exc:
        if exc.code != "mfa_code_wrong":
            raise
        return RedirectResponse(f"/mfa/enrol?next={_safe_next(next)}&error=1", status_code=303)

    def finish() -> Response:
        db.delete(web_session)
        cookie, fresh = credentials.open_session(
            db,
            user,
            mfa_passed=True,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent", ""),
        )
        if not web_session.mfa_passed:
            _audit_login(request, db, user)
        request.state.csrf_token = fresh.csrf_token
        response = render(request, "auth/recovery.html", {"codes": codes, "next": _safe_next(next)})
        _set_session_cookie(request, response, cookie)
        return response

    return await run_in_threadpool(finish)


@router.post("/logout")
async def logout(request: Request, db: DbSession) -> Response:
    """End this browser's session."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        loaded = await run_in_threadpool(credentials.load_session, db, cookie)
        if loaded is not None:
            web_session, user = loaded
            await check_csrf(request, web_session.csrf_token)
            await run_in_threadpool(credentials.close_session, db, cookie)
            if web_session.mfa_passed:
                actor = _user_actor(request, user)
                await run_in_threadpool(
                    audit.record,
                    db,
                    actor,
                    "auth.logout",
                    target_type="user",
                    target_id=user.username,
                )
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/lang/{code}")
def switch_language(code: str, request: Request, next: str | None = None) -> Response:
    """Switch the interface language (vi or en) and go back."""
    response = RedirectResponse(_safe_next(next or request.headers.get("referer")), 303)
    if code in ("vi", "en"):
        response.set_cookie(LANG_COOKIE, code, samesite="lax", max_age=365 * 86400, path="/")
    return response


# --- administrators' account pages ----------------------------------------------------------


def _org_choices(db: DbSession) -> list[OrgUnit]:
    rows = db.execute(select(OrgUnit).where(OrgUnit.valid_to.is_(None))).scalars()
    order = {"province": 0, "agency": 1, "commune": 2}
    return sorted(rows, key=lambda u: (order.get(u.level, 3), u.search_key or u.name))


@router.get("/admin/users", response_class=HTMLResponse)
def users_page(
    request: Request, principal: Admin, db: DbSession, q: str | None = None, flash: str = ""
) -> Response:
    """Accounts list with the form to issue a new one."""
    return render(
        request,
        "auth/users.html",
        {
            "users": users.list_users(db, scope=principal.scope, q=q),
            "roles": ROLES,
            "role_levels": {r: sorted(v) for r, v in ROLE_LEVELS.items()},
            "orgs": _org_choices(db),
            "q": q or "",
            "flash": flash,
            "error": None,
        },
    )


@router.post("/admin/users")
def create_user_page(
    request: Request,
    principal: Admin,
    db: DbSession,
    username: Annotated[str, Form(max_length=64)],
    role: Annotated[str, Form(max_length=32)],
    org_unit: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=256)],
    display_name: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Issue an account from the form."""
    try:
        user = users.create_user(
            db,
            principal.actor(),
            users.NewUser(username, role, org_unit, password or None, display_name),
        )
    except IocError as exc:
        db.rollback()
        lang = str(request.state.lang)
        message = t(exc.message_key, lang, **exc.params)
        return render(
            request,
            "auth/users.html",
            {
                "users": users.list_users(db, scope=principal.scope),
                "roles": ROLES,
                "role_levels": {r: sorted(v) for r, v in ROLE_LEVELS.items()},
                "orgs": _org_choices(db),
                "q": "",
                "flash": "",
                "error": message,
                "form": {
                    "username": username,
                    "role": role,
                    "org_unit": org_unit,
                    "display_name": display_name,
                },
            },
            exc.status if exc.status < 500 else 400,
        )
    return RedirectResponse(f"/admin/users/{user.username}?flash=created", status_code=303)


@router.get("/admin/users/{username}", response_class=HTMLResponse)
def user_page(
    username: str, request: Request, principal: Admin, db: DbSession, flash: str = ""
) -> Response:
    """One account: status, actions, tokens."""
    user = users.get_user(db, username)
    return render(
        request,
        "auth/user.html",
        {
            "user": user,
            "org": db.get(OrgUnit, user.org_code),
            "tokens": credentials.list_tokens(db, user),
            "flash": flash,
        },
    )


ACTIONS = {
    "lock": (users.lock_user, "locked"),
    "unlock": (users.unlock_user, "unlocked"),
    "revoke": (users.revoke_user, "revoked"),
    "mfa-reset": (credentials.reset_mfa, "mfa_reset"),
}


@router.post("/admin/users/{username}/{action}")
def user_action(username: str, action: str, principal: Admin, db: DbSession) -> Response:
    """Lock, unlock, revoke or reset the second factor of an account."""
    if action not in ACTIONS:
        raise IocError("route_not_found", status=404)
    func, flash = ACTIONS[action]
    func(db, principal.actor(), users.get_user(db, username))
    return RedirectResponse(f"/admin/users/{username}?flash={flash}", status_code=303)


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, principal: CurrentPrincipal, db: DbSession) -> Response:
    """The caller's own account and two-factor status."""
    return render(
        request,
        "auth/account.html",
        {"user": principal.user, "org": db.get(OrgUnit, principal.user.org_code)},
    )
