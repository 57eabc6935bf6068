"""API shapes of the identity and access domain."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from iocvn.auth.roles import ROLES

RoleCode = Literal[
    "admin",
    "leader",
    "operator",
    "agency_officer",
    "commune_officer",
    "data_steward",
    "viewer",
    "integration",
]
assert set(RoleCode.__args__) == set(ROLES)  # type: ignore[attr-defined]


class ScopeOut(BaseModel):
    """The caller's org scope."""

    level: Literal["province", "commune", "agency"]
    org_unit: str
    province: str


class MeOut(BaseModel):
    """``GET /api/v1/me``."""

    username: str
    display_name: str
    role: RoleCode
    org_unit: str
    org_unit_name: str
    scope: ScopeOut
    mfa_enabled: bool
    auth: Literal["session", "token"]
    permissions: list[str]


class UserOut(BaseModel):
    """An account as administrators see it."""

    model_config = ConfigDict(from_attributes=True)

    username: str
    display_name: str
    role: RoleCode
    org_unit: str = Field(validation_alias="org_code")
    status: Literal["active", "locked", "revoked"]
    locked_until: datetime | None
    mfa_enabled: bool
    created_at: datetime
    last_login_at: datetime | None


class UserCreate(BaseModel):
    """``POST /api/v1/users``."""

    model_config = ConfigDict(extra="forbid")

    username: str = Field(min_length=3, max_length=64)
    role: RoleCode
    org_unit: str = Field(min_length=1, max_length=32)
    password: str | None = Field(default=None, max_length=256)
    display_name: str = Field(default="", max_length=200)


class UserPatch(BaseModel):
    """``PATCH /api/v1/users/{username}``."""

    model_config = ConfigDict(extra="forbid")

    role: RoleCode | None = None
    org_unit: str | None = Field(default=None, max_length=32)
    display_name: str | None = Field(default=None, max_length=200)


class PasswordIn(BaseModel):
    """A new password."""

    model_config = ConfigDict(extra="forbid")

    password: str = Field(max_length=256)


class TokenCreate(BaseModel):
    """``POST /api/v1/tokens``."""

    model_config = ConfigDict(extra="forbid")

    username: str
    name: str = Field(default="", max_length=100)
    expires_days: int | None = Field(default=None, ge=1, le=3650)
    scopes: list[Literal["read", "write"]] = Field(default=["read", "write"], min_length=1)


class TokenOut(BaseModel):
    """A token's metadata (never its secret)."""

    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    prefix: str
    scopes: list[str]
    created_at: datetime
    expires_at: datetime | None
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    """The answer to a token creation: the only time the secret is shown."""

    token: str
