"""Plugin-defined commands as real CLI commands (the hooks `devctl.cli.lazy.LazyGroup` calls).

Listing and resolving names only reads `.devctl/cache/commands.json` and stats the files it
was built from — no YAML, no plugin — so `devctl --help` and every built-in stay fast and
never start a plugin. When the cache is missing or stale, `--help` shows what it has plus a
hint; `devctl <name>` with a name the cache does not know refreshes the cache once (that
starts the plugins) before click says "No such command".

A plugin command passes its arguments verbatim to the plugin as `argv` (`--flags` included),
with two exceptions: `-h`/`--help` before a `--` prints devctl's help of the command (its name,
help text and providing plugin) and runs nothing — a plugin that ignores its arguments would
otherwise perform its action — and the first `--` is a separator, not an argument: everything
after it reaches the plugin as typed, so `devctl db-reset -- --help` asks the plugin. (The Go
devctl's cobra commands treat `--` the same way.) `devctl --help` lists each command with its
one-line help and the plugin that provides it.

This hook can run before the root callback (click resolves the command name first, and
`--help` is handled eagerly), so the global options are then read from what `main()` read of
its argv (`devctl.cli.global_options`), else from the root params click parsed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand

from devctl.cli.context import AppContext
from devctl.cli.global_options import HELP_FLAGS
from devctl.cli.plugin_invoke import cached, resolved, run, split_plugin_args

__all__ = ["PluginCommand", "get_plugin_command", "plugin_command_names", "split_plugin_args"]

PANEL = "Plugin commands"
#: ctx.meta key: the user asked for the command's help (so it must not run).
_HELP_KEY = "devctl.plugin_command.help"


class PluginCommand(TyperCommand):
    """`devctl <name> ARGS...` for a command declared by plugin `plugin`."""

    def __init__(self, name: str, help_text: str, plugin: str):
        first = help_text.strip().splitlines()[0] if help_text.strip() else ""
        source = f"[dim](plugin: {_escape(plugin)})[/dim]"
        short = f"{_escape(first)} {source}" if first else source
        super().__init__(
            name,
            help=(_escape(help_text) or "The plugin gives no help text for this command.")
            + f"\n\nProvided by plugin [bold]{_escape(plugin)}[/bold]; every argument is passed to it. "
            + f"To pass --help to the plugin: [bold]devctl {_escape(name)} -- --help[/bold].",
            short_help=short,
            options_metavar="[ARGS]...",
            add_help_option=False,
            context_settings={"ignore_unknown_options": True, "allow_extra_args": True},
            rich_help_panel=PANEL,
            rich_markup_mode="rich",
        )
        self.plugin = plugin

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        # No parsing beyond help and the separator (see the module docstring).
        before, after = split_plugin_args(args)
        ctx.meta[_HELP_KEY] = any(arg in HELP_FLAGS for arg in before)
        ctx.args = [*before, *after]
        return []

    def invoke(self, ctx: Any) -> Any:
        if ctx.meta.get(_HELP_KEY):
            text = ctx.get_help()  # typer's rich help prints itself and returns ""
            if text:
                typer.echo(text, color=ctx.color)
            raise typer.Exit(0)
        from devctl.cli.context import app_context

        app = app_context(ctx)
        # The same function as the fast path for cached names (cli/fastpath.py).
        raise typer.Exit(run(app, self.name or "", list(ctx.args), _explicit_timeout(ctx, app)))


def plugin_command_names(ctx: Any) -> list[str]:
    """Names for `--help` (cached only: never starts a plugin), with a hint when out of date."""
    state = _cached(ctx)
    if state is None:
        return []
    cache, fresh, root = state
    if cache is None:
        _hint(ctx, "Plugin commands are not discovered yet: run [bold]devctl plugins list[/bold] to list "
                   "them here.")
        return []
    if not fresh:
        _hint(ctx, "Plugin commands may be out of date (.devctl.yaml or a plugin changed): "
                   "[bold]devctl plugins list[/bold] refreshes them.")
    return list(_resolved(cache))


def get_plugin_command(ctx: Any, name: str) -> Any | None:
    """The command for `name`, or None. Refreshes the cache once for a name it does not know."""
    from devctl.plugin_commands.names import BUILTIN_NAMES

    if name in BUILTIN_NAMES:
        return None  # a reserved name is never a plugin's to take
    state = _cached(ctx)
    if state is None:
        return None
    cache, fresh, root = state
    commands = _resolved(cache) if cache is not None else {}
    if name in commands:
        return PluginCommand(name, commands[name].help, commands[name].plugin)
    settled = cache is not None and fresh and not cache.has_failures()
    if settled or getattr(ctx, "resilient_parsing", False):
        return None
    refreshed = _refresh(ctx)
    if refreshed is None:
        return None
    commands = _resolved(refreshed)
    if name in commands:
        return PluginCommand(name, commands[name].help, commands[name].plugin)
    return None


# -- helpers -----------------------------------------------------------------------------------


def _app(ctx: Any) -> AppContext:
    """The global options, also before the root callback ran (see the module docstring)."""
    root = ctx.find_root()
    if isinstance(root.obj, AppContext):
        return root.obj  # the callback's, or before it ran, main()'s reading of its argv
    params = dict(root.params)
    repo_root = params.get("repo_root")
    config = params.get("config")
    return AppContext(  # click keeps paths as str here: typer converts them only for the callback
        repo_root_opt=Path(repo_root) if repo_root else None,
        config_opt=Path(config) if config else None,
        strict=bool(params.get("strict", False)),
        dry_run=bool(params.get("dry_run", False)),
        timeout=float(params.get("timeout") or 30.0),
        verbose=int(params.get("verbose") or 0),
    )


def _cached(ctx: Any) -> tuple[Any, bool, Path] | None:
    """(cache or None, fresh?, repo root); None when there is no repo to speak of."""
    return cached(_app(ctx))


_resolved = resolved


def _refresh(ctx: Any) -> Any | None:
    from devctl.cli.output import spinner, warn
    from devctl.errors import DevctlError
    from devctl.plugin_commands.discover import refresh

    app = _app(ctx)
    try:
        cfg = app.load_config()
        if not cfg.plugins:
            return None
        with spinner("asking plugins for their commands…"):
            return refresh(cfg, on_warning=warn)
    except DevctlError as exc:
        warn(f"plugin commands unavailable: {exc.message}")
        return None


def _hint(ctx: Any, text: str) -> None:
    command = getattr(ctx, "command", None)
    if command is not None and not command.epilog:
        command.epilog = text


def _explicit_timeout(ctx: Any, app: AppContext) -> float | None:
    """`--timeout` only when the user gave it: command.run has no deadline by default."""
    root = ctx.find_root()
    try:
        source = root.get_parameter_source("timeout")
    except (AttributeError, KeyError):
        return None
    return app.timeout if source is not None and source.name == "COMMANDLINE" else None


def _escape(text: str) -> str:
    """Plugin text is shown literally: '[' would start rich markup."""
    return text.replace("[", "\\[")
