"""A plugin command as the CLI runs it, without typer: cache lookup and the run itself.

`devctl <plugin-command>` is answered by two paths that must behave alike: the typer command
(`devctl.cli.plugin_commands.PluginCommand`) and, for a name the repo's command cache knows
and holds fresh, the fast path in `devctl.cli.fastpath`, which skips importing typer and
building the command tree (~45 ms). Both call `run()` here, and both read the cache through
`cached()` / `resolved()`, so there is one reading of the cache and one way to run.
"""

from __future__ import annotations

from pathlib import Path

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: a plugin command imports this before its spawn
if TYPE_CHECKING:
    from typing import Any

    from devctl.cli.context import AppContext


def split_plugin_args(args: list[str]) -> tuple[list[str], list[str]]:
    """(arguments before the first `--`, arguments after it); the `--` itself is dropped."""
    if "--" not in args:
        return list(args), []
    cut = args.index("--")
    return list(args[:cut]), list(args[cut + 1:])


def cached(app: AppContext) -> tuple[Any, bool, Path] | None:
    """(cache or None, fresh?, repo root); None when there is no repo to speak of."""
    from devctl.plugin_commands import cache as cache_mod

    try:
        root = app.repo_root()
    except OSError:
        return None
    config_file = cache_mod.expected_config(root, app.config_opt)
    if config_file is None and not (root / "plugins").is_dir():
        return None  # no config and nothing to discover: no plugin commands, no hint
    cache = cache_mod.read(root)
    if cache is None:
        return None, False, root
    return cache, cache_mod.is_fresh(cache, config_file), root


def resolved(cache: Any) -> dict[str, Any]:
    """The usable commands of a cache: {name: PluginCommand(name, help, plugin)}."""
    from devctl.plugin_commands.names import BUILTIN_NAMES, resolve

    return resolve(cache.listings, BUILTIN_NAMES).commands


def run(app: AppContext, name: str, args: list[str], timeout: float | None, known: Any = None) -> int:
    """Run plugin command `name` with `args` (the separator already dropped); its exit code.

    `timeout` bounds command.run only when the user gave `--timeout` (None: no deadline).
    `known`: the command cache the caller has just found fresh (`cached`), so it is not read
    and checked again; it is used only if it was built from the config file loaded here."""
    from devctl.cli.output import spinner, warn
    from devctl.plugin_commands import cache
    from devctl.plugin_commands.discover import refresh
    from devctl.plugin_commands.run import run_plugin_command

    cfg = app.load_config()
    current = known if known is not None and known.config == str(cfg.path) else cache.read(cfg.repo_root)
    if current is None or (current is not known and not cache.is_fresh(current, cfg.path)):
        with spinner("asking plugins for their commands…"):  # a file changed: re-ask
            current = refresh(cfg, on_warning=warn)
    return run_plugin_command(
        cfg, name, args, strict=app.effective_strict(), dry_run=app.dry_run, timeout=timeout,
        verbose=app.verbose, on_warning=warn, commands=current,
    )
