"""Run one plugin stream on its own (what `devctl stream` does): start the plugin, open the
stream, hand each event to a printer as it arrives, and close everything.

The plugin is started alone (streams are not pipeline phases). Each event is given to the
`printer` with `idle` = no further event is waiting, so a printer can flush then and a fast
stream is still written in large chunks; how events look is the CLI's business
(`devctl.cli.stream_cmd`). A stream that ends with ok:false is reported as its end event
(ok false with its error) and a failed `StreamResult`; a plugin that fails raises PluginError.
Ctrl-C stops the plugin's process group (the client's close finishes before Ctrl-C is raised).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from devctl.errors import ConfigError, PluginError

if TYPE_CHECKING:
    from devctl.config import Config

_FAILED_END = re.compile(r"ended with ok:false: (?P<code>[A-Z][A-Z0-9_]*): (?P<message>.*)$", re.S)


@dataclass
class StreamResult:
    ok: bool
    events: int
    error: str = ""


def run_stream(cfg: Config, plugin_id: str, op: str, input: dict[str, Any], *, timeout: float,
               dry_run: bool, printer: Callable[[dict[str, Any], bool], None],
               on_stderr: Callable[[str, str], None] | None = None, strict: bool = False) -> StreamResult:
    from devctl.plugins import start_plugin

    spec = cfg.plugin(plugin_id)
    if spec is None:
        known = ", ".join(p.id for p in cfg.all_plugins) or "none"
        raise ConfigError(f"--plugin {plugin_id!r}: no such plugin (configured: {known})")
    if not spec.enabled:
        raise ConfigError(f"--plugin {plugin_id!r}: the plugin is disabled in the config")

    client = start_plugin(spec, cfg.repo_root, on_stderr=on_stderr, strict=strict)
    try:
        if op not in client.streams and op not in client.ops:
            streams = ", ".join(sorted(client.streams)) or "none"
            raise ConfigError(f"plugin {plugin_id!r} declares no stream {op!r} (its streams: {streams})")
        return _consume(client.open_stream(op, input, timeout=timeout, dry_run=dry_run), printer)
    finally:
        client.close()


def _consume(stream: Any, printer: Callable[[dict[str, Any], bool], None]) -> StreamResult:
    count = 0
    try:
        for event in stream:
            count += 1
            printer(event, stream.buffered == 0)
    except PluginError as exc:
        found = _FAILED_END.search(exc.message)
        if not found:
            raise  # the plugin failed (crash, contamination, ...): exit 1 with its message
        end = {"type": "event", "stream_id": stream.stream_id, "event": "end", "ok": False,
               "error": {"code": found["code"], "message": found["message"]}}
        printer(end, True)
        return StreamResult(False, count + 1, f"{found['code']}: {found['message']}")
    finally:
        stream.close()
    return StreamResult(True, count)
