"""Ask every enabled plugin for its commands, and keep the answers in the cache.

A plugin's commands are those its handshake declares in `capabilities.commands` plus those
its `commands.list` answers (asked only when the handshake declares that op; its help text
wins). The Go devctl reads the handshake's list alone, its v1 protocol document both.

Plugins are asked concurrently; each gets the usual 2 s handshake and then 3 s for
`commands.list`. A plugin that fails, times out or answers junk becomes a Listing with an
error — it is reported and skipped, and the other plugins' commands still work.
"""

from __future__ import annotations

from collections.abc import Callable

from devctl.errors import DevctlError
from devctl.plugin_commands import cache
from devctl.plugin_commands.names import Listing, add_declared, handshake_commands, parse_listing

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: a plugin command imports this before its spawn
if TYPE_CHECKING:
    from devctl.config import Config, PluginSpec
    from devctl.plugins import PluginClient

#: How long one plugin may take to answer `commands.list`.
COMMANDS_LIST_TIMEOUT = 3.0


def listing_from(client: PluginClient, *, timeout: float = COMMANDS_LIST_TIMEOUT) -> Listing:
    """Ask an already started plugin for its commands (so `plugins list` starts each plugin once)."""
    return ask(client, timeout=timeout)()


def ask(client: PluginClient, *, timeout: float = COMMANDS_LIST_TIMEOUT) -> Callable[[], Listing]:
    """Send `commands.list` now (when the handshake declares it) and return what waits for the
    answer: asking every plugin first and then collecting the answers asks them all at once."""
    spec = client.spec
    mutates = client.supports("config.mutate")
    declared = handshake_commands(client.commands, client.handshake_sent)
    if not client.supports("commands.list"):
        listing = Listing(spec.id, spec.priority, mutates=mutates)
        add_declared(listing, declared)  # the handshake's list is the whole answer
        return lambda: listing
    if not client.supports("command.run"):
        refused = Listing(spec.id, spec.priority, mutates=mutates, error=(
            f"plugin {spec.id!r} declares commands.list but not command.run, so its commands "
            "could never run"))
        return lambda: refused
    try:
        call = client.send("commands.list", {}, timeout=timeout)
    except DevctlError as exc:
        failed = Listing(spec.id, spec.priority, error=exc.message)
        return lambda: failed

    def answer() -> Listing:
        try:
            listing = parse_listing(spec.id, spec.priority, call.result())
        except DevctlError as exc:
            listing = Listing(spec.id, spec.priority, error=exc.message)
        add_declared(listing, declared)
        listing.mutates = mutates
        return listing

    return answer


def discover(cfg: Config, *, timeout: float = COMMANDS_LIST_TIMEOUT) -> list[Listing]:
    """What every enabled plugin declares, all started and asked at once; never raises for a
    misbehaving plugin (it becomes a Listing with an error)."""
    from devctl.plugins import PluginClient, close_all, start_plugins

    started = start_plugins(cfg.plugins, cfg.repo_root)
    clients = [item for item in started if isinstance(item, PluginClient)]
    try:
        answers = [ask(item, timeout=timeout) if isinstance(item, PluginClient)
                   else _failed(spec, item) for spec, item in zip(cfg.plugins, started, strict=True)]
        return [answer() for answer in answers]
    finally:
        close_all(clients)


def _failed(spec: PluginSpec, error: DevctlError) -> Callable[[], Listing]:
    listing = Listing(spec.id, spec.priority, error=error.message)
    return lambda: listing


def refresh(cfg: Config, *, on_warning: Callable[[str], None] | None = None) -> cache.CommandCache:
    """Ask the plugins again, store the answers, report what went wrong; returns the new cache."""
    listings = discover(cfg) if cfg.plugins else []
    return store(cfg, listings, on_warning=on_warning)


def store(cfg: Config, listings: list[Listing], *,
          on_warning: Callable[[str], None] | None = None) -> cache.CommandCache:
    """Write fresh listings to the cache and report collisions and skipped entries."""
    from devctl.plugin_commands.names import BUILTIN_NAMES, resolve

    fresh = cache.build(cfg, listings)
    cache.write(cfg.repo_root, fresh)
    if on_warning is not None:
        for message in resolve(listings, BUILTIN_NAMES).warnings():
            on_warning(message)
    return fresh


def ensure_fresh(cfg: Config, *, on_warning: Callable[[str], None] | None = None) -> cache.CommandCache:
    """The cache if it still holds for `cfg`, else a refreshed one."""
    current = cache.read(cfg.repo_root)
    if current is not None and cache.is_fresh(current, cfg.path):
        return current
    return refresh(cfg, on_warning=on_warning)
