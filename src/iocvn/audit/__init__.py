"""Audit: the append-only, hash-chained record of every change of state."""

from iocvn.audit import messages  # noqa: F401  (registers the domain's texts)
