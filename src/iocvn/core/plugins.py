"""What every pluggy extension point of iocvn does the same way (notifiers, device adapters):
build a manager with the built-in plugins first and those installed under the ``iocvn.plugins``
entry-point group after them, and ask each plugin on its own for what it offers.

A plugin that fails to import, or whose hook raises, is logged and left out; the others still
load (a vendor's broken package must not stop e-mail or the river gauges).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Sequence
from importlib.metadata import entry_points
from typing import Any

import pluggy

PROJECT = "iocvn"
ENTRY_POINT_GROUP = "iocvn.plugins"


def manager(
    spec: type, builtins: Iterable[tuple[str, object]], log: logging.Logger
) -> pluggy.PluginManager:
    """A manager of ``spec``'s hooks: ``builtins`` (name, module) first, then installed plugins."""
    found = pluggy.PluginManager(PROJECT)
    found.add_hookspecs(spec)
    for name, plugin in builtins:
        found.register(plugin, name=name)
    for entry in entry_points(group=ENTRY_POINT_GROUP):
        if found.get_plugin(entry.name) is not None:
            continue
        try:
            found.register(entry.load(), name=entry.name)
        except Exception:  # a vendor's broken package: log it, keep the others
            log.exception("plugin failed to load", extra={"plugin": entry.name})
    return found


def offered(hook: Any, log: logging.Logger, *args: Any) -> Iterator[Any]:
    """What each plugin's implementation of ``hook`` offers, the last registered first (a
    third-party plugin before the built-in one); each is called on its own, so one plugin
    raising costs only its own offer. Every hook argument receives ``args[0]``."""
    for impl in reversed(hook.get_hookimpls()):
        if impl.hookwrapper or impl.wrapper:  # wrappers only make sense inside pluggy's call
            continue
        try:
            items: Sequence[Any] | None = impl.function(*(args[0] for _ in impl.argnames))
            yield from list(items or ())
        except Exception:
            log.exception("plugin failed", extra={"plugin": impl.plugin_name})
