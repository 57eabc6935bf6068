"""The plugin manager of the device adapters: the built-in ones (iocvn JSON, FIWARE IoT Agent
JSON, ChirpStack v4) and those installed under the ``iocvn.plugins`` entry-point group, loaded
once per process.

A plugin that fails to import, or whose hook fails, is logged and left out; the others still
load (a vendor's broken package must not stop the province's river gauges).
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import TYPE_CHECKING

import pluggy

from iocvn.core import plugins as core_plugins
from iocvn.sensors import chirpstack, formats
from iocvn.sensors.adapters import AdapterSpec, DeviceAdapter

if TYPE_CHECKING:
    from iocvn.config import Settings

log = logging.getLogger("iocvn.sensors")


def builtin() -> list[DeviceAdapter]:
    """The built-in adapters, without plugins (what the pure functions of ``mqtt`` use)."""
    return [formats.IocvnJson(), formats.FiwareJson(), chirpstack.ChirpStackV4()]


@lru_cache(maxsize=1)
def plugin_manager() -> pluggy.PluginManager:
    """The process-wide manager: the built-in adapters first, then installed plugins."""
    return core_plugins.manager(
        AdapterSpec,
        [("iocvn.sensors.formats", formats), ("iocvn.sensors.chirpstack", chirpstack)],
        log,
    )


def device_adapters(settings: Settings) -> list[DeviceAdapter]:
    """The configured adapters, the last-registered plugin's first; one per name (a plugin's
    adapter replaces the built-in one of the same name)."""
    found: dict[str, DeviceAdapter] = {}
    hook = plugin_manager().hook.iocvn_device_adapters
    for adapter in core_plugins.offered(hook, log, settings):
        found.setdefault(str(adapter.name), adapter)
    return list(found.values())
