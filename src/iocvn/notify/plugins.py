"""The plugin manager of the notifiers: the built-in ones and those installed under the
``iocvn.plugins`` entry-point group, loaded once per process.

A plugin that fails to import is logged and left out; the others still load (a broken vendor
package must not stop e-mail). Messages for a channel without a notifier fail visibly.
"""

from __future__ import annotations

import logging
from functools import lru_cache

import pluggy

from iocvn.config import Settings
from iocvn.core import plugins as core_plugins
from iocvn.notify import email, sms, webhook
from iocvn.notify.hooks import Notifier, NotifySpec

log = logging.getLogger("iocvn.notify")


@lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager: the built-in notifiers (SMTP e-mail, HTTP SMS gateway,
    webhook) first, then installed plugins."""
    builtins = [("iocvn.notify.email", email), ("iocvn.notify.sms", sms),
                ("iocvn.notify.webhook", webhook)]  # fmt: skip
    return core_plugins.manager(NotifySpec, builtins, log)


def notifiers(settings: Settings) -> dict[str, Notifier]:
    """The configured notifier of each channel (a later-registered plugin wins a channel)."""
    found: dict[str, Notifier] = {}
    for notifier in core_plugins.offered(plugin_manager().hook.iocvn_notifiers, log, settings):
        found.setdefault(notifier.channel, notifier)
    return found
