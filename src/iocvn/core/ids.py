"""Record identifiers: ULIDs (sortable by time, safe in URLs)."""

from __future__ import annotations

from ulid import ULID


def new_id() -> str:
    """A new ULID as its 26-character string."""
    return str(ULID())
