"""Who is acting and from where: passed to every service that changes state (for audit)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The person, integration or command behind a change."""

    name: str
    org_code: str = ""
    request_id: str = ""
    ip: str = ""

    @classmethod
    def system(cls, name: str = "system", request_id: str = "") -> Actor:
        """An actor for changes made by iocvn itself or its command line."""
        return cls(name=name, request_id=request_id)
