"""The devctl NDJSON v1 plugin host (see docs/protocol.md for what it enforces).

`start_plugin` / `open_plugins` spawn plugins and return `PluginClient`s; a client sends
requests (`request`, `open_stream`) and is stopped with `close()`. Every failure is a
`devctl.errors.PluginError` whose message carries a stable code from `devctl.plugins.codes`.
"""

from devctl.plugins.client import PluginClient
from devctl.plugins.codes import ALL_CODES, Failure
from devctl.plugins.launch import HANDSHAKE_TIMEOUT, STOP_GRACE, open_plugins, plugin_env, start_plugin
from devctl.plugins.streams import MAX_BUFFERED_BYTES, MAX_BUFFERED_EVENTS, PluginStream

__all__ = [
    "ALL_CODES",
    "HANDSHAKE_TIMEOUT",
    "MAX_BUFFERED_BYTES",
    "MAX_BUFFERED_EVENTS",
    "STOP_GRACE",
    "Failure",
    "PluginClient",
    "PluginStream",
    "open_plugins",
    "plugin_env",
    "start_plugin",
]
