"""`devctl plugins …`: what the repo's plugins are and what they say they can do.

`list` starts every enabled plugin just long enough to read its handshake, all at once, and
closes it. One broken plugin is shown with its error while the others still show.
Other `plugins` subcommands (new, check) register on `app` from their own module.
"""

from __future__ import annotations

from typing import Any

import typer

app = typer.Typer(
    help="Inspect the repo's plugins: their handshakes, ops, streams and commands.",
    no_args_is_help=True,
    add_completion=False,
)


@app.callback()
def plugins() -> None:
    """Inspect the repo's plugins: their handshakes, ops, streams and commands."""
    # A callback keeps `plugins` a group even while `list` is its only subcommand.


@app.command("list")
def list_plugins(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print {\"plugins\": [...]} as JSON on stdout."),
) -> None:
    """List every plugin with its handshake (name, protocol, ops, streams, commands).

    Each enabled plugin is started, its handshake read, and then closed. A plugin that fails
    to start is listed with its error; the exit code is then 1.
    """
    from devctl.cli.context import app_context
    from devctl.cli.output import print_json, spinner, warn
    from devctl.plugin_commands.discover import store as store_commands

    app_ctx = app_context(ctx)
    cfg = app_ctx.load_config()
    on_stderr = _stderr_printer() if app_ctx.verbose else None
    with spinner("reading plugin handshakes…"):
        probed = _probe_all(cfg, on_stderr)
    entries = [entry for entry, _ in probed]
    # Each plugin was started once: its handshake and its commands.list answer refresh
    # .devctl/cache/commands.json, which plugin commands and `devctl --help` read.
    store_commands(cfg, [listing for _, listing in probed if listing is not None], on_warning=warn)
    if json_out:
        print_json({"plugins": entries})
    else:
        _render(entries)
    if any(e["error"] for e in entries):
        raise typer.Exit(1)


def _probe_all(cfg, on_stderr) -> list[tuple[dict, Any]]:  # noqa: ANN001
    """(entry, commands Listing or None) per configured plugin: every enabled plugin started at
    once, asked for its commands at once, then closed."""
    from devctl.plugin_commands.discover import ask
    from devctl.plugin_commands.names import Listing
    from devctl.plugins import PluginClient, close_all, start_plugins

    entries = [_entry(spec) for spec in cfg.all_plugins]
    enabled = [i for i, spec in enumerate(cfg.all_plugins) if spec.enabled]
    started = start_plugins([cfg.all_plugins[i] for i in enabled], cfg.repo_root, on_stderr=on_stderr,
                            on_warning=_ignore)
    clients = [item for item in started if isinstance(item, PluginClient)]
    probed: list[tuple[dict, Any]] = [(entry, None) for entry in entries]
    try:
        answers = {}
        for i, item in zip(enabled, started, strict=True):
            entry = entries[i]
            if not isinstance(item, PluginClient):
                entry["error"] = item.message
                entry["details"] = list(item.details)
                probed[i] = (entry, Listing(entry["id"], entry["priority"], error=item.message))
                continue
            handshake = item.handshake
            entry.update(name=handshake.get("plugin_name"), protocol=handshake.get("protocol_version"),
                         ops=sorted(item.ops), streams=sorted(item.streams))
            answers[i] = (item, ask(item))
        for i, (client, answer) in answers.items():
            listing = answer()
            entries[i]["commands"] = [c["name"] for c in listing.commands] or list(client.commands)
            entries[i]["warnings"] = list(client.warnings)  # non-fatal protocol problems seen so far
            probed[i] = (entries[i], listing)
    finally:
        close_all(clients)
    return probed


def _entry(spec) -> dict:  # noqa: ANN001
    return {
        "id": spec.id, "name": None, "protocol": None, "ops": [], "streams": [], "commands": [],
        "priority": spec.priority, "path": spec.path, "args": list(spec.args), "source": spec.source,
        "enabled": spec.enabled, "error": None, "warnings": [],
    }


def _ignore(plugin: str, text: str) -> None:
    """Protocol warnings are collected from `client.warnings` instead of logged."""


def _stderr_printer():  # noqa: ANN202
    from rich.text import Text

    from devctl.cli.output import err

    def show(plugin: str, line: str) -> None:
        err().print(Text(f"{plugin} | {line}", style="dim"))

    return show


def _render(entries: list[dict]) -> None:
    from rich.table import Table
    from rich.text import Text

    from devctl.cli.output import error, out, warn

    if not entries:
        out().print("No plugins: add some to .devctl.yaml, or put executables in plugins/devctl-*.")
        return
    table = Table(title="Plugins", title_justify="left", title_style="bold")
    table.add_column("ID", no_wrap=True)
    table.add_column("Name", no_wrap=True)
    table.add_column("Priority", no_wrap=True, justify="right")
    table.add_column("Provides", overflow="fold", ratio=3)
    table.add_column("Path", overflow="fold", ratio=2)
    table.add_column("Status", no_wrap=True)
    for e in entries:
        provides = list(e["ops"])
        provides += [f"stream {s}" for s in e["streams"]] + [f"command {c}" for c in e["commands"]]
        path = " ".join([e["path"], *e["args"]]) + ("" if e["source"] == "config" else f" ({e['source']})")
        if e["error"]:
            status = "error"
        elif not e["enabled"]:
            status = "disabled"
        else:
            status = f"ok ({e['protocol']})"
        cells = [e["id"], e["name"] or "-", str(e["priority"]), "\n".join(provides) or "-", path, status]
        table.add_row(*(Text(c) for c in cells))
    out().print(table)
    for e in entries:
        for text in e.get("warnings", []):
            warn(text)
        if e["error"]:
            error(e["error"], e.get("details"))


# `plugins new` and `plugins check` (the plugin author's kit) live in their own module.
from devctl.cli.plugins_author import register as _register_author  # noqa: E402

_register_author(app)
