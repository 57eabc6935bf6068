"""JSON routes of the identity and access domain (``/api/v1/me``, users, tokens)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from iocvn.auth import credentials
from iocvn.auth import service as users
from iocvn.auth.deps import CurrentPrincipal, Principal, require
from iocvn.auth.roles import PERMISSIONS
from iocvn.auth.schemas import (
    MeOut,
    PasswordIn,
    ScopeOut,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
    UserPatch,
)
from iocvn.core.http import DbSession
from iocvn.org.models import OrgUnit

router = APIRouter(tags=["auth"])
UserReader = Annotated[Principal, Depends(require("user.read"))]
UserWriter = Annotated[Principal, Depends(require("user.write"))]
TokenWriter = Annotated[Principal, Depends(require("token.write"))]


@router.get("/me", response_model=MeOut)
def me(principal: CurrentPrincipal, db: DbSession) -> MeOut:
    """The caller: username, role, org unit, scope and permissions."""
    user = principal.user
    unit = db.get(OrgUnit, user.org_code)
    return MeOut(
        username=user.username,
        display_name=user.display_name,
        role=user.role,
        org_unit=user.org_code,
        org_unit_name=unit.name if unit else "",
        scope=ScopeOut(**principal.scope.as_dict()),
        mfa_enabled=user.mfa_enabled,
        auth=principal.via,
        permissions=sorted(p for p in PERMISSIONS if principal.can(p)),
    )


@router.get("/users", response_model=list[UserOut])
def list_users(
    principal: UserReader, db: DbSession, q: Annotated[str | None, Query(max_length=64)] = None
) -> list[UserOut]:
    """Accounts in the caller's scope."""
    return [UserOut.model_validate(u) for u in users.list_users(db, scope=principal.scope, q=q)]


@router.post("/users", response_model=UserOut, status_code=201)
def create_user(body: UserCreate, principal: UserWriter, db: DbSession) -> UserOut:
    """Issue an account (without a password the user cannot log in until one is set)."""
    user = users.create_user(
        db,
        principal.actor(),
        users.NewUser(
            username=body.username,
            role=body.role,
            org_code=body.org_unit,
            password=body.password,
            display_name=body.display_name,
        ),
    )
    return UserOut.model_validate(user)


@router.get("/users/{username}", response_model=UserOut)
def get_user(username: str, principal: UserReader, db: DbSession) -> UserOut:
    """One account."""
    return UserOut.model_validate(users.get_user(db, username))


@router.patch("/users/{username}", response_model=UserOut)
def update_user(username: str, body: UserPatch, principal: UserWriter, db: DbSession) -> UserOut:
    """Change an account's role, unit or display name."""
    user = users.update_user(
        db,
        principal.actor(),
        users.get_user(db, username),
        role=body.role,
        org_code=body.org_unit,
        display_name=body.display_name,
    )
    return UserOut.model_validate(user)


@router.post("/users/{username}/lock", response_model=UserOut)
def lock_user(username: str, principal: UserWriter, db: DbSession) -> UserOut:
    """Lock an account: its sessions end and its tokens stop working at once."""
    return UserOut.model_validate(
        users.lock_user(db, principal.actor(), users.get_user(db, username))
    )


@router.post("/users/{username}/unlock", response_model=UserOut)
def unlock_user(username: str, principal: UserWriter, db: DbSession) -> UserOut:
    """Unlock an account."""
    user = users.unlock_user(db, principal.actor(), users.get_user(db, username))
    return UserOut.model_validate(user)


@router.post("/users/{username}/revoke", response_model=UserOut)
def revoke_user(username: str, principal: UserWriter, db: DbSession) -> UserOut:
    """Revoke an account for good: sessions end, every token is revoked."""
    user = users.revoke_user(db, principal.actor(), users.get_user(db, username))
    return UserOut.model_validate(user)


@router.post("/users/{username}/password", status_code=204)
def set_password(username: str, body: PasswordIn, principal: UserWriter, db: DbSession) -> None:
    """Set an account's password (the policy applies)."""
    users.set_password(db, principal.actor(), users.get_user(db, username), body.password)


@router.post("/users/{username}/mfa-reset", status_code=204)
def reset_mfa(username: str, principal: UserWriter, db: DbSession) -> None:
    """Remove an account's authenticator (lost phone); it must enrol again."""
    credentials.reset_mfa(db, principal.actor(), users.get_user(db, username))


@router.get("/tokens", response_model=list[TokenOut])
def list_tokens(
    principal: TokenWriter, db: DbSession, username: str | None = None
) -> list[TokenOut]:
    """API tokens (metadata only), optionally of one account."""
    user = users.get_user(db, username) if username else None
    return [TokenOut.model_validate(t) for t in credentials.list_tokens(db, user)]


@router.post("/tokens", response_model=TokenCreated, status_code=201)
def create_token(body: TokenCreate, principal: TokenWriter, db: DbSession) -> TokenCreated:
    """Issue a bearer token; the secret is in this answer only."""
    plain, row = credentials.create_token(
        db,
        principal.actor(),
        users.get_user(db, body.username),
        name=body.name,
        expires_days=body.expires_days,
        scopes=tuple(body.scopes),
    )
    return TokenCreated(token=plain, **TokenOut.model_validate(row).model_dump())


@router.delete("/tokens/{token_id}", response_model=TokenOut)
def revoke_token(token_id: str, principal: TokenWriter, db: DbSession) -> TokenOut:
    """Revoke a token at once."""
    return TokenOut.model_validate(credentials.revoke_token(db, principal.actor(), token_id))
