"""The Go devctl's command lines, accepted where they mean the same thing here.

Users coming from the Go devctl (go-go-golems/devctl) write its repository flags after the
command — `devctl plan --repo-root DIR --timeout 10s`, `devctl status --repo-root DIR` — and a
few options devctl spells differently or does not have. `adapt()` runs on each built-in
command as `devctl.cli.lazy` loads it:

- **Trailing global options.** Every built-in command also takes the root's repository options
  (`-C/--repo-root`, `--config`, `--strict`, `--dry-run`, `--timeout`, `-v`) after its name,
  unless it has an option of that spelling itself (`up --dry-run`, `down --timeout`, the
  dotagent commands' `--config`/`--timeout`, `dofek`'s `--config`): its own wins. The added
  options are hidden copies of the root's own parameters — same type, same checks, one
  declaration in `cli/app.py` — whose value is handed to the root's `AppContext`, as if it
  had been written before the command. Plugin commands are not adapted: their arguments
  belong to the plugin.
- **Options whose meaning differs** (`DIFFERENT`): a hidden option that stops with exit 2
  and a message naming devctl's equivalent, instead of click's bare "No such option".

Hidden aliases of existing options (`logs --tail`) are declared with the command itself. All
of it is listed in docs/coming-from-go-devctl.md.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import typer
from typer.core import TyperOption

#: Root parameters (by name) that a built-in command also takes after its name.
TRAILING: tuple[str, ...] = ("repo_root", "config", "strict", "dry_run", "timeout", "verbose")

#: The help's last line for a command that takes the trailing global options.
GLOBAL_NOTE = ("Global options ({options}) are options of devctl itself, not of this command: they go "
               "before it, as in `devctl --strict {command}` (see `devctl --help`); written after it, "
               "they are accepted too.")

#: (command path, Go devctl option) → what to use here, for options whose meaning differs.
DIFFERENT: dict[tuple[str, str], str] = {
    ("up", "--build-step"): (
        "this is the Go devctl's build-step filter; devctl has one filter for build.run and prepare.run: "
        "`devctl up --step NAME` (repeatable) runs only the named steps in both phases "
        "(add --skip-prepare to run no prepare step at all)"),
    ("up", "--prepare-step"): (
        "this is the Go devctl's prepare-step filter; devctl has one filter for build.run and prepare.run: "
        "`devctl up --step NAME` (repeatable) runs only the named steps in both phases "
        "(add --skip-build to run no build step at all)"),
    ("status", "--tail-lines"): (
        "in the Go devctl, status includes stderr tails of dead services; devctl's status does not: "
        "`devctl logs --stderr -n N SERVICE` shows a service's last N stderr lines, and `devctl up` "
        "prints them itself when a service fails"),
}


def adapt(path: str, cmd: Any, root: Any) -> None:
    """Add the trailing global options and the `DIFFERENT` stops to `cmd` and its subcommands."""
    subcommands = getattr(cmd, "commands", None)
    if isinstance(subcommands, dict):  # a group: its options are its subcommands' business
        for name, sub in subcommands.items():
            adapt(f"{path} {name}", sub, root)
        return
    taken = {opt for param in cmd.params for opt in (*param.opts, *param.secondary_opts)}
    added = []
    for param in root.params:
        if param.name in TRAILING and not taken & {*param.opts, *param.secondary_opts}:
            cmd.params.append(_trailing(param))
            added.append(param.opts[-1])
    if added:  # hidden copies: say where they are documented, and where they belong
        note = GLOBAL_NOTE.format(options=", ".join(added), command=path)
        cmd.epilog = f"{cmd.epilog}\n\n{note}" if cmd.epilog else note
    for (where, option), message in DIFFERENT.items():
        if where == path and option not in taken:
            cmd.params.append(_different(option, message))


def _trailing(param: Any) -> Any:
    """A hidden copy of root option `param` that hands its value to the root."""
    clone = copy.copy(param)
    clone.name = f"devctl_root_{param.name}"  # never mixes with the command's own parameters
    clone.hidden = True
    clone.expose_value = False
    clone.is_eager = False
    clone.callback = _to_root(param.name)
    return clone


def _to_root(name: str) -> Any:
    def callback(ctx: Any, param: Any, value: Any) -> Any:
        source = ctx.get_parameter_source(param.name)
        if source is None or source.name != "COMMANDLINE":
            return value  # not given after the command: what came before it stands
        from devctl.cli.context import app_context

        app = app_context(ctx)
        root = ctx.find_root()
        if name == "verbose":
            app.verbose += int(value)
            value = app.verbose
        elif name in ("repo_root", "config"):
            value = Path(value)
            setattr(app, f"{name}_opt", value)
        else:
            setattr(app, name, value)
        root.params[name] = value
        root.set_parameter_source(name, source)
        return value

    return callback


def _different(option: str, message: str) -> Any:
    def callback(ctx: Any, param: Any, value: Any) -> Any:
        if value is not None:
            raise typer.BadParameter(f"{message}.", ctx=ctx, param=param)
        return value

    return TyperOption(param_decls=[option], type=str, default=None, hidden=True, expose_value=False,
                       callback=callback)
