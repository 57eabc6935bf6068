"""One exception family for every domain; one handler (in ``app``) turns it into JSON.

Services raise these, never ``HTTPException``. The message is an i18n key so the client gets
Vietnamese by default and English with ``Accept-Language: en``.
"""

from __future__ import annotations

from typing import Any


class IocError(Exception):
    """A failure the caller can understand and act on: ``{"error", "message", "details"}``."""

    status: int = 400
    code: str = "bad_request"

    def __init__(
        self,
        code: str | None = None,
        *,
        message_key: str | None = None,
        status: int | None = None,
        details: Any = None,
        **params: Any,
    ) -> None:
        self.code = code or self.code
        self.status = status or self.status
        self.message_key = message_key or f"error.{self.code}"
        self.details = details
        self.params = params
        super().__init__(self.code)


class NotFound(IocError):
    """The thing asked for does not exist (or is outside the caller's scope)."""

    status = 404
    code = "not_found"


class Conflict(IocError):
    """The change clashes with what is stored (a duplicate, a stale state)."""

    status = 409
    code = "conflict"


class Invalid(IocError):
    """The input is well-formed but not acceptable."""

    status = 422
    code = "invalid"


class Unauthenticated(IocError):
    """No valid credentials were presented."""

    status = 401
    code = "unauthenticated"


class Forbidden(IocError):
    """The caller is known but may not do this."""

    status = 403
    code = "forbidden"
