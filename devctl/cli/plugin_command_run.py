"""`devctl <plugin-command> ARGS...` without typer: what the typer command does, callable alone.

`devctl.cli.plugin_commands.PluginCommand.invoke` calls `run_command`; a typer-free fast path
(`devctl.cli.fastpath`) can call it as well, for a name that `cached_command` finds in a fresh
cache, and print exactly the same. Only the standard library is imported at module level.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from devctl.cli.global_options import HELP_FLAGS

if TYPE_CHECKING:
    from devctl.cli.context import AppContext


def split_plugin_args(args: list[str]) -> tuple[list[str], list[str]]:
    """(arguments before the first `--`, arguments after it); the `--` itself is dropped."""
    if "--" not in args:
        return list(args), []
    cut = args.index("--")
    return list(args[:cut]), list(args[cut + 1:])


def wants_help(args: list[str]) -> bool:
    """True when `args` asks for devctl's help of the command (`-h`/`--help` before any `--`)."""
    return any(arg in HELP_FLAGS for arg in split_plugin_args(args)[0])


def plugin_argv(args: list[str]) -> list[str]:
    """What reaches the plugin as `argv`: every argument as typed, without the first `--`."""
    before, after = split_plugin_args(args)
    return [*before, *after]


def cached_command(repo_root: Path, config_opt: Path | None, name: str) -> bool:
    """True when `name` is a plugin command in a fresh cache that needs no refresh — the case a
    fast path may answer (`run_command` then starts no plugin just to list commands). Reads
    `.devctl/cache/commands.json` and stats the files it was built from; parses no YAML."""
    from devctl.plugin_commands import cache
    from devctl.plugin_commands.names import BUILTIN_NAMES, resolve

    if name in BUILTIN_NAMES:
        return False
    current = cache.read(repo_root)
    if current is None or current.has_failures():
        return False
    if not cache.is_fresh(current, cache.expected_config(repo_root, config_opt)):
        return False
    return name in resolve(current.listings, BUILTIN_NAMES).commands


def run_command(app: AppContext, name: str, argv: list[str], *, timeout: float | None) -> int:
    """Run plugin command `name` with the plugin's `argv` (`plugin_argv` of the arguments after
    the name: a fast path checks `wants_help` first and leaves help to typer); its exit code.

    `timeout`: `--timeout` only when the user gave it (command.run has no deadline by default).
    Refreshes the command cache first if a file changed. Raises DevctlError like every command.
    """
    from devctl.cli.output import err, warn
    from devctl.plugin_commands import cache
    from devctl.plugin_commands.discover import refresh
    from devctl.plugin_commands.run import run_plugin_command

    cfg = app.load_config()
    current = cache.read(cfg.repo_root)
    if current is None or not cache.is_fresh(current, cfg.path):
        with err().status("asking plugins for their commands…"):  # a file changed: re-ask
            refresh(cfg, on_warning=warn)
    return run_plugin_command(
        cfg, name, list(argv), strict=app.effective_strict(), dry_run=app.dry_run,
        timeout=timeout, verbose=app.verbose, on_warning=warn,
    )
