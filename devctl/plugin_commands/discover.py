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
from pathlib import Path
from typing import TYPE_CHECKING

from devctl.errors import DevctlError
from devctl.plugin_commands import cache
from devctl.plugin_commands.names import Listing, add_declared, handshake_commands, parse_listing

if TYPE_CHECKING:
    from devctl.config import Config, PluginSpec
    from devctl.plugins import PluginClient

#: How long one plugin may take to answer `commands.list`.
COMMANDS_LIST_TIMEOUT = 3.0


async def list_one(spec: PluginSpec, repo_root: Path, *, timeout: float = COMMANDS_LIST_TIMEOUT) -> Listing:
    """What `spec` declares; never raises for a misbehaving plugin."""
    from devctl.plugins import start_plugin

    try:
        client = await start_plugin(spec, repo_root)
    except DevctlError as exc:
        return Listing(spec.id, spec.priority, error=exc.message)
    try:
        return await listing_from(client, timeout=timeout)
    finally:
        await client.close()


async def listing_from(client: PluginClient, *, timeout: float = COMMANDS_LIST_TIMEOUT) -> Listing:
    """Ask an already started plugin for its commands (so `plugins list` starts each plugin once)."""
    spec = client.spec
    mutates = client.supports("config.mutate")
    declared = handshake_commands(client.commands, client.handshake_sent)
    if not client.supports("commands.list"):
        listing = Listing(spec.id, spec.priority, mutates=mutates)
        add_declared(listing, declared)  # the handshake's list is the whole answer
        return listing
    if not client.supports("command.run"):
        return Listing(spec.id, spec.priority, mutates=mutates, error=(
            f"plugin {spec.id!r} declares commands.list but not command.run, so its commands "
            "could never run"))
    try:
        output = await client.request("commands.list", {}, timeout=timeout)
        listing = parse_listing(spec.id, spec.priority, output)
    except DevctlError as exc:
        listing = Listing(spec.id, spec.priority, error=exc.message)
    add_declared(listing, declared)
    listing.mutates = mutates
    return listing


async def discover(cfg: Config, *, timeout: float = COMMANDS_LIST_TIMEOUT) -> list[Listing]:
    import anyio

    listings: list[Listing | None] = [None] * len(cfg.plugins)

    async def one(index: int) -> None:
        listings[index] = await list_one(cfg.plugins[index], cfg.repo_root, timeout=timeout)

    async with anyio.create_task_group() as tg:
        for index in range(len(cfg.plugins)):
            tg.start_soon(one, index)
    return [item for item in listings if item is not None]


def refresh(cfg: Config, *, on_warning: Callable[[str], None] | None = None) -> cache.CommandCache:
    """Ask the plugins again, store the answers, report what went wrong; returns the new cache."""
    import anyio

    listings = anyio.run(discover, cfg) if cfg.plugins else []
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
