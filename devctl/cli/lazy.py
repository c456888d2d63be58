"""A typer group whose sub-commands are imported only when used.

`devctl status` must not pay for importing the supervisor, the plugin host, anyio or httpx.
Each built-in command is registered here by module path; its module is imported when the
command runs (`devctl --help` lists it from the summary kept here instead). Command modules
therefore import only typer and the standard library at top level, and pull heavy modules
inside their functions.

Plugin-defined commands are resolved last, through `devctl.cli.plugin_commands`, so a
built-in name always wins. The names are reserved in the core
(`devctl.plugin_commands.names.BUILTIN_NAMES`); this table maps each one to its module.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

import typer
from typer.core import TyperCommand, TyperGroup

from devctl.cli import go_compat, plugin_commands


@dataclass(frozen=True)
class Builtin:
    module: str
    attr: str
    panel: str
    #: The line `devctl --help` shows for the command: the first paragraph of its help, kept
    #: here so listing the commands imports none of their modules (a unit test keeps each one
    #: equal to the command's own help).
    summary: str


#: Built-in commands, in the order `--help` lists them. `attr` names either a function
#: (a single command) or a `typer.Typer` (a command group).
BUILTINS: dict[str, Builtin] = {
    "up": Builtin(
        "devctl.cli.supervisor_cmds", "up", "Services",
        "Run the pipeline, start every planned service, wait until all are ready."),
    "down": Builtin(
        "devctl.cli.supervisor_cmds", "down", "Services",
        "Stop every service, dependents first, and remove the supervisor's socket, lock and state."),
    "status": Builtin(
        "devctl.cli.supervisor_cmds", "status", "Services",
        "What runs and how it is doing: state, pid, uptime, restarts, health, log file."),
    "logs": Builtin(
        "devctl.cli.supervisor_cmds", "logs", "Services",
        "Show service output from .devctl/logs/ (works after the supervisor stopped or died)."),
    "restart": Builtin(
        "devctl.cli.supervisor_cmds", "restart", "Services",
        "Restart services (default: all) through the supervisor and wait until they are ready."),
    "stop": Builtin(
        "devctl.cli.supervisor_cmds", "stop", "Services",
        "Stop these services (dependents of them keep running); `devctl start` brings them back."),
    "start": Builtin(
        "devctl.cli.supervisor_cmds", "start", "Services",
        "Start stopped (or exited, failed) services, and whatever they depend on, and wait until ready."),
    "run": Builtin(
        "devctl.cli.run_cmd", "app", "Services",
        "Bring the environment up, run CMD against it, then stop what was started."),
    "tui": Builtin(
        "devctl.cli.tui_cmd", "tui", "Services",
        "A live dashboard of the dev environment: services, logs, events, pipeline, plugins."),
    "plan": Builtin(
        "devctl.cli.pipeline_cmds", "plan", "Pipeline",
        "Show the merged config and the services `up` would start."),
    "build": Builtin(
        "devctl.cli.pipeline_cmds", "build", "Pipeline",
        "Run the plugins' build steps (after config.mutate)."),
    "prepare": Builtin(
        "devctl.cli.pipeline_cmds", "prepare", "Pipeline",
        "Run the plugins' prepare steps (after config.mutate): migrations, seed data, installs."),
    "validate": Builtin(
        "devctl.cli.pipeline_cmds", "validate", "Pipeline",
        "Check prerequisites: every plugin's validate.run (after config.mutate)."),
    "plugins": Builtin(
        "devctl.cli.plugins_group", "app", "Plugins",
        "Inspect the repo's plugins: their handshakes, ops, streams and commands."),
    "stream": Builtin(
        "devctl.cli.stream_cmd", "stream", "Plugins",
        "Start a plugin stream and print its events as they arrive."),
    "doctor": Builtin(
        "devctl.cli.doctor_cmd", "doctor", "Plugins",
        "Check the config, every plugin's handshake and the dotagent plugins it uses, in one report."),
    "schema": Builtin(
        "devctl.cli.schema_cmd", "schema", "Plugins",
        "Print the JSON Schema of .devctl.yaml, for editors."),
    "dofek": Builtin(
        "devctl.cli.dofek_cmds", "app", "Other plugin protocols",
        "Host Dofek polling plugins: a live dashboard of panels, metrics and process labels."),
    "dotagent": Builtin(
        "devctl.cli.dotagent_cmds", "app", "Other plugin protocols",
        "Host dotagent plugins: executables named [bold]dotagent-plugin-NAME[/bold] that answer "
        "[bold]info[/bold], [bold]validate[/bold] and [bold]invoke[/bold], one process per call."),
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


def _listed(name: str, spec: Builtin) -> Any:
    """A stand-in that carries just what the root help shows of a built-in: name, line, panel."""
    return TyperCommand(name, help=spec.summary, rich_help_panel=spec.panel)


class LazyGroup(TyperGroup):
    """Root group: built-ins from `BUILTINS`, then plugin commands, all resolved on demand."""

    def list_commands(self, ctx: Any) -> list[str]:
        names = list(BUILTINS)
        names += [n for n in plugin_commands.plugin_command_names(ctx) if n not in BUILTINS]
        return names

    #: True while the root's own help is being written: built-ins are then listed from their
    #: summaries, without importing their modules.
    _listing = False

    def format_help(self, ctx: Any, formatter: Any) -> None:
        self._listing = True
        try:
            super().format_help(ctx, formatter)
        finally:
            self._listing = False

    def get_command(self, ctx: Any, cmd_name: str) -> Any | None:
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if self._listing and cmd_name in BUILTINS:
            return _listed(cmd_name, BUILTINS[cmd_name])  # not cached: not the real command
        if cmd_name in BUILTINS:
            cmd = _load_builtin(cmd_name, BUILTINS[cmd_name])
            go_compat.adapt(cmd_name, cmd, ctx.find_root().command)  # the Go devctl's spellings
        else:
            cmd = plugin_commands.get_plugin_command(ctx, cmd_name)
        if cmd is not None:
            self.commands[cmd_name] = cmd
        return cmd
