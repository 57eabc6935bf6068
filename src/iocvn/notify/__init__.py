"""Notifications (thông báo): messages to people over pluggable channels (e-mail, SMS, Zalo…)
with tracked delivery — every message is pending, sent, failed or dead, never silently lost."""

from iocvn.notify import messages  # noqa: F401  (registers the domain's texts)
