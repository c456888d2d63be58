"""`devctl <plugin-command> ARGS...`: run one command that a plugin declared.

1. Make sure the command is still declared (the cache is refreshed if a file changed), and
   apply the collision policy (strict mode: a collision is an error).
2. Start the providing plugin — it is the only one that stays up — and run the config.mutate
   phase over the plugins (as every command does). The phase skips plugins whose (cached)
   handshake does not declare config.mutate: the pipeline would not call them anyway, and not
   starting them is most of a plugin command's start-up cost. A provider that declares
   config.mutate answers it from the same process (one interpreter start, not two); its stderr
   is shown as the command's output only from `command.run` on, as before. Every plugin
   needed is spawned before the plugin host and the pipeline are imported
   (`devctl.plugins.early`), so their start-up overlaps devctl's.
3. Send `command.run` with {name, argv, config}; the plugin's stderr goes to the terminal
   as it arrives, unprefixed: it is the command's output.
4. Exit with the `exit_code` the plugin returned. An optional `output.stdout` string (a devctl
   extension) is written to devctl's stdout, so a command can produce pipeable data.

`command.run` has no deadline unless `--timeout` is given: a database reset may take minutes,
and the user watching it can press Ctrl-C, which stops the plugin's process group.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from devctl.errors import ConfigError, PluginError
from devctl.plugin_commands.discover import ensure_fresh
from devctl.plugin_commands.names import BUILTIN, BUILTIN_NAMES, Listing, PluginCommand, resolve
from devctl.util.records import replace

TYPE_CHECKING = False  # not `typing.TYPE_CHECKING`: a plugin command imports this before its spawn
if TYPE_CHECKING:
    from typing import Any

    from devctl.config import Config, PluginSpec
    from devctl.plugin_commands.cache import CommandCache
    from devctl.plugins.early import EarlyStarts

#: "No deadline" for command.run, as a finite number (deadline_ms must be an integer): a day.
NO_DEADLINE = 24 * 3600.0


def find_command(cfg: Config, name: str, *, strict: bool, on_warning: Callable[[str], None],
                 commands: CommandCache | None = None) -> tuple[PluginCommand, PluginSpec, list[Listing]]:
    """The declared command `name`, its provider and what every plugin declared (from
    `commands`, a cache the caller just found fresh, else from the cache, refreshed if stale);
    ConfigError if nobody declares `name`."""

    listings = (commands or ensure_fresh(cfg, on_warning=on_warning)).listings
    res = resolve(listings, BUILTIN_NAMES)
    if strict:
        res.check_strict()
    for collision in res.collisions:
        if collision.name == name and collision.winner != BUILTIN:
            on_warning(collision.message())
    cmd = res.commands.get(name)
    if cmd is None:
        raise ConfigError(f"no plugin declares the command {name!r}",
                          details=["`devctl plugins list` shows every plugin and its commands"])
    spec = cfg.plugin(cmd.plugin)
    if spec is None or not spec.enabled:
        raise ConfigError(f"command {name!r} comes from plugin {cmd.plugin!r}, which is not enabled")
    return cmd, spec, listings


def mutators(cfg: Config, listings: list[Listing]) -> Config:
    """`cfg` with only the plugins the config.mutate phase would call: those whose handshake
    declared it, and any the cache knows nothing certain about. The phase result is the same —
    the pipeline never calls a plugin that did not declare the op — without starting the rest."""
    known = {item.plugin: item for item in listings}
    keep = [p for p in cfg.plugins if p.id not in known or known[p.id].mutates or known[p.id].error]
    return replace(cfg, plugins=keep)


def run_plugin_command(cfg: Config, name: str, argv: list[str], *, strict: bool = False,
                       dry_run: bool = False, timeout: float | None = None, verbose: int = 0,
                       on_warning: Callable[[str], None] = lambda message: None,
                       on_plugin_stderr: Callable[[str, str], None] | None = None,
                       commands: CommandCache | None = None) -> int:
    """Run `devctl <name> <argv...>`; returns the exit code the plugin chose. `commands`: the
    command cache, when the caller has just read it and found it fresh (not read again)."""
    from devctl.plugins.early import spawn_early

    cmd, spec, listings = find_command(cfg, name, strict=strict, on_warning=on_warning, commands=commands)
    mutating = mutators(cfg, listings)
    # Started now, while the plugin host and the pipeline are imported (see the docstring).
    with spawn_early([spec, *mutating.plugins]) as early:
        from devctl.pipeline import PipelineOptions

        opts = PipelineOptions(phases=("config.mutate",), strict=strict, dry_run=dry_run,
                               timeout=timeout or 30.0, verbose=verbose)
        output = _run(mutating, spec, cmd.name, list(argv), opts, timeout or NO_DEADLINE,
                      on_plugin_stderr or _raw_stderr, early)
    code = output.get("exit_code")
    if isinstance(code, bool) or not isinstance(code, int) or not 0 <= code <= 255:
        raise PluginError(spec.id, f"command.run for {name!r} answered exit_code {code!r}; expected an "
                          "integer from 0 to 255")
    text = output.get("stdout")
    if isinstance(text, str) and text:
        sys.stdout.write(text)
        sys.stdout.flush()
    return code


def _run(cfg: Config, spec: PluginSpec, name: str, argv: list[str], opts: Any, timeout: float,
               on_stderr: Callable[[str, str], None], early: EarlyStarts) -> dict[str, Any]:
    from devctl.pipeline import run_pipeline
    from devctl.plugins import start_plugin

    client: Any = None
    pipeline_stderr = _prefixed_stderr if opts.verbose else None
    # The provider's stderr is the command's output once command.run is sent; before that (its
    # own config.mutate) it is treated like every other plugin's in the phase.
    shown: list[Callable[[str, str], None] | None] = [pipeline_stderr]

    def provider_stderr(plugin: str, line: str) -> None:
        if shown[0] is not None:
            shown[0](plugin, line)

    try:
        client = start_plugin(spec, cfg.repo_root, on_stderr=provider_stderr, strict=opts.strict, early=early)
        config: dict[str, Any] = {}
        if cfg.plugins:
            result = run_pipeline(cfg, opts, on_stderr=pipeline_stderr, early=early,
                                        running={spec.id: client})
            config = result.config
        shown[0] = on_stderr
        return client.request("command.run", {"name": name, "argv": argv, "config": config},
                                    timeout=timeout, dry_run=opts.dry_run, cwd=os.getcwd())
    finally:
        if client is not None:
            client.close()


def _raw_stderr(plugin: str, line: str) -> None:
    """The provider's stderr is the command's output: shown as is, as it arrives."""
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _prefixed_stderr(plugin: str, line: str) -> None:
    """-v: the other plugins' stderr, prefixed the way every -v command prefixes it."""
    sys.stderr.write(f"{plugin} | {line}\n")
    sys.stderr.flush()
