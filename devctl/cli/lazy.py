"""A typer group whose sub-commands are imported only when used.

`devctl status` must not pay for importing the supervisor, the plugin host, anyio or httpx.
Each built-in command is registered here by module path; its module is imported when the
command runs (or when `--help` lists it). Command modules therefore import only typer and
the standard library at top level, and pull heavy modules inside their functions.

Plugin-defined commands are resolved last, through `devctl.cli.plugin_commands`, so a
built-in name always wins. The names are reserved in the core
(`devctl.commands.names.BUILTIN_NAMES`); this table maps each one to its module.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperGroup

from devctl.cli import plugin_commands


@dataclass(frozen=True)
class Builtin:
    module: str
    attr: str
    panel: str


#: Built-in commands, in the order `--help` lists them. `attr` names either a function
#: (a single command) or a `typer.Typer` (a command group).
BUILTINS: dict[str, Builtin] = {
    "up": Builtin("devctl.cli.supervisor_cmds", "up", "Services"),
    "down": Builtin("devctl.cli.supervisor_cmds", "down", "Services"),
    "status": Builtin("devctl.cli.supervisor_cmds", "status", "Services"),
    "logs": Builtin("devctl.cli.supervisor_cmds", "logs", "Services"),
    "restart": Builtin("devctl.cli.supervisor_cmds", "restart", "Services"),
    "stop": Builtin("devctl.cli.supervisor_cmds", "stop", "Services"),
    "start": Builtin("devctl.cli.supervisor_cmds", "start", "Services"),
    "plan": Builtin("devctl.cli.pipeline_cmds", "plan", "Pipeline"),
    "build": Builtin("devctl.cli.pipeline_cmds", "build", "Pipeline"),
    "prepare": Builtin("devctl.cli.pipeline_cmds", "prepare", "Pipeline"),
    "validate": Builtin("devctl.cli.pipeline_cmds", "validate", "Pipeline"),
    "plugins": Builtin("devctl.cli.plugins_cmds", "app", "Plugins"),
    "stream": Builtin("devctl.cli.stream_cmd", "stream", "Plugins"),
    "doctor": Builtin("devctl.cli.doctor_cmd", "doctor", "Plugins"),
    "schema": Builtin("devctl.cli.schema_cmd", "schema", "Plugins"),
    "dofek": Builtin("devctl.cli.dofek_cmds", "app", "Other plugin protocols"),
    "dotagent": Builtin("devctl.cli.dotagent_cmds", "app", "Other plugin protocols"),
}


def _load_builtin(name: str, spec: Builtin) -> Any:
    """Import a built-in command's module and build its click command."""
    module = importlib.import_module(spec.module)
    target = getattr(module, spec.attr)
    if isinstance(target, typer.Typer):
        target.info.name = name
        cmd = typer.main.get_command(target)
        cmd.name = name
    else:
        single = typer.Typer(add_completion=False)
        single.command(name=name)(target)
        cmd = typer.main.get_command(single)
    cmd.rich_help_panel = spec.panel  # type: ignore[attr-defined]
    return cmd


class LazyGroup(TyperGroup):
    """Root group: built-ins from `BUILTINS`, then plugin commands, all resolved on demand."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(BUILTINS)
        names += [n for n in plugin_commands.plugin_command_names(ctx) if n not in BUILTINS]
        return names

    def get_command(self, ctx: Any, cmd_name: str) -> Any | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in BUILTINS:
            cmd = _load_builtin(cmd_name, BUILTINS[cmd_name])
        else:
            cmd = plugin_commands.get_plugin_command(ctx, cmd_name)
        if cmd is not None:
            self.commands[cmd_name] = cmd
        return cmd
