"""The devctl NDJSON v1 plugin host (see docs/protocol.md for what it enforces).

`start_plugin` / `start_plugins` / `open_plugins` spawn plugins and return `PluginClient`s; a
client sends requests (`request`, `send`, `open_stream`) and is stopped with `close()`
(`close_all` for several). Every failure is a `devctl.errors.PluginError` whose message carries
a stable code from `devctl.plugins.codes`. The host is synchronous: one blocking selector loop
per thread (`devctl.procs.reactor`) reads every plugin's pipes while devctl waits for any of them.

The names below are loaded on first use: importing a submodule (say `devctl.plugins.early`,
which must spawn the plugins *before* the host and the pipeline are imported, so that their
start-up overlaps devctl's) runs this package's `__init__` first, and an eager re-export here
would import the whole host ahead of the spawn.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: `devctl.plugins.early` runs this before the spawn
if TYPE_CHECKING:
    from typing import Any

    from devctl.plugins.client import PluginClient, begin_close, close_all
    from devctl.plugins.codes import ALL_CODES, Failure
    from devctl.plugins.launch import (
        HANDSHAKE_TIMEOUT,
        STOP_GRACE,
        open_plugins,
        plugin_env,
        start_plugin,
        start_plugins,
    )
    from devctl.plugins.streams import MAX_BUFFERED_BYTES, MAX_BUFFERED_EVENTS, PluginStream

#: Each exported name → the submodule that owns it.
_OWNER = {
    "PluginClient": "client",
    "begin_close": "client",
    "close_all": "client",
    "ALL_CODES": "codes",
    "Failure": "codes",
    "HANDSHAKE_TIMEOUT": "launch",
    "STOP_GRACE": "launch",
    "open_plugins": "launch",
    "plugin_env": "launch",
    "start_plugin": "launch",
    "start_plugins": "launch",
    "MAX_BUFFERED_BYTES": "streams",
    "MAX_BUFFERED_EVENTS": "streams",
    "PluginStream": "streams",
}


def __getattr__(name: str) -> Any:
    owner = _OWNER.get(name)
    if owner is None:
        raise AttributeError(f"module 'devctl.plugins' has no attribute {name!r}")
    from importlib import import_module

    value = getattr(import_module(f"devctl.plugins.{owner}"), name)
    globals()[name] = value  # the next lookup is a plain global
    return value


__all__ = [
    "ALL_CODES",
    "HANDSHAKE_TIMEOUT",
    "MAX_BUFFERED_BYTES",
    "MAX_BUFFERED_EVENTS",
    "STOP_GRACE",
    "Failure",
    "PluginClient",
    "PluginStream",
    "begin_close",
    "close_all",
    "open_plugins",
    "plugin_env",
    "start_plugin",
    "start_plugins",
]
