"""Audit: the append-only, hash-chained record of every change of state."""

from iocvn.audit import messages as _messages  # registers the domain's texts

__all__: list[str] = []
