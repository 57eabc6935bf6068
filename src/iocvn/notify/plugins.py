"""The plugin manager of the notifiers: the built-in ones and those installed under the
``iocvn.plugins`` entry-point group, loaded once per process.

A plugin that fails to import is logged and left out; the others still load (a broken vendor
package must not stop e-mail). Messages for a channel without a notifier fail visibly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import entry_points
from typing import cast

import pluggy

from iocvn.config import Settings
from iocvn.notify import email, sms
from iocvn.notify.hooks import ENTRY_POINT_GROUP, PROJECT, Notifier, NotifySpec

log = logging.getLogger("iocvn.notify")


@lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager: the built-in notifiers (SMTP e-mail, HTTP SMS gateway)
    first, then installed plugins."""
    manager = pluggy.PluginManager(PROJECT)
    manager.add_hookspecs(NotifySpec)
    manager.register(email, name="iocvn.notify.email")
    manager.register(sms, name="iocvn.notify.sms")
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if manager.get_plugin(entry.name) is not None:
            continue
        try:
            manager.register(entry.load(), name=entry.name)
        except Exception:  # a vendor's broken package: log it, keep the other channels
            log.exception("notifier plugin failed to load", extra={"plugin": entry.name})
    return manager


def notifiers(settings: Settings) -> dict[str, Notifier]:
    """The configured notifier of each channel (a later-registered plugin wins a channel)."""
    found: dict[str, Notifier] = {}
    # Each plugin is asked on its own (pluggy's call order: the last registered first), so
    # one plugin raising costs only its own channels.
    for impl in reversed(plugin_manager().hook.iocvn_notifiers.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:  # wrappers only make sense inside pluggy's call
            continue
        try:
            offered = cast(
                "Sequence[Notifier] | None", impl.function(*(settings for _ in impl.argnames))
            )
        except Exception:
            log.exception("notifier plugin failed", extra={"plugin": impl.plugin_name})
            continue
        for notifier in offered or ():
            found.setdefault(notifier.channel, notifier)
    return found
