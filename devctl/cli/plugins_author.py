"""`devctl plugins new` and `devctl plugins check`: the plugin author's kit on the command line.

`register(app)` adds both to the `plugins` group (called from devctl/cli/plugins_group.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from typer.core import TyperCommand

from devctl.cli.durations import DURATION, duration

_ARGV_KEY = "devctl.check.argv"


class _CheckCommand(TyperCommand):
    """Everything after `--` is the plugin command line, kept verbatim (click would drop `--`)."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if "--" in args:
            cut = args.index("--")
            ctx.meta[_ARGV_KEY] = list(args[cut + 1 :])
            args = args[:cut]
        return super().parse_args(ctx, args)


def new(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME",
                               help="Plugin id, also the file name: plugins/NAME.py or .sh.",
                               show_default=False),
    lang: str = typer.Option("python", "--lang", help="python (uses devctl.sdk) or bash (no dependencies)."),
) -> None:
    """Write a working plugin under plugins/ and add it to .devctl.yaml.

    The plugin handles config.mutate, validate.run and launch.plan and adds an example command,
    `devctl NAME-hello`. .devctl.yaml keeps its comments and order (it is created if missing).
    An existing plugin file or id is never overwritten.

    Next: [bold]devctl plugins check NAME[/bold], then [bold]devctl plan[/bold].
    """
    from devctl.cli.context import app_context
    from devctl.cli.output import info
    from devctl.scaffold import new_plugin

    app = app_context(ctx)
    root = app.repo_root()
    config = None
    if app.config_opt is not None:
        config = app.config_opt if app.config_opt.is_absolute() else root / app.config_opt
    made = new_plugin(root, name, lang.lower(), config_file=config)
    info(f"created {_rel(made.plugin_file)}")
    info(f"{'created' if made.created_config else 'updated'} {_rel(made.config_file)}: plugin {name!r}")
    steps = [(f"devctl plugins check {name}", "conformance checks"),
             ("devctl plan", "its config in the merged plan"),
             (f"devctl {name}-hello", "its example command")]
    width = max(len(cmd) for cmd, _ in steps)
    for index, (cmd, why) in enumerate(steps):
        info(f"{'next:' if index == 0 else '':<5} {cmd:<{width}}   # {why}")


def check(
    ctx: typer.Context,
    plugin_id: str | None = typer.Argument(None, metavar="[ID]", help="A plugin id from .devctl.yaml.",
                                           show_default=False),
    timeout: float = typer.Option(5.0, "--timeout", parser=duration(0.1), metavar=DURATION,
                                  help="Time each request may take: seconds or 500ms, 10s."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON on stdout."),
) -> None:
    """Run the protocol conformance checks against a plugin.

    [bold]devctl plugins check ID[/bold] checks a configured plugin;
    [bold]devctl plugins check -- CMD ARGS...[/bold] checks any executable.

    Checks: the handshake (within 2 s, valid shape), stdout clean, every declared op answers a
    minimal request (empty config, dry_run) with the right output shape, an undeclared op gets
    E_UNSUPPORTED, request ids are echoed, the plugin exits when stdin closes. Each failure
    comes with its fix. Exit codes: 0 all pass, 1 a check failed, 2 usage error.
    """
    from rich.text import Text

    from devctl.cli.context import app_context
    from devctl.cli.output import err, print_json, spinner
    from devctl.conformance import run_checks
    from devctl.errors import ConfigError

    command = ctx.meta.get(_ARGV_KEY)
    if (plugin_id is None) == (command is None) or command == []:
        raise ConfigError("give a plugin id (devctl plugins check ID) or a command after -- "
                          "(devctl plugins check -- python3 plugins/x.py)")
    if command:
        argv, cwd, env, target = list(command), Path.cwd(), {}, " ".join(command)
        before, config = [], {}
    else:
        cfg = app_context(ctx).load_config()
        spec = cfg.plugin(plugin_id or "")
        if spec is None:
            known = ", ".join(p.id for p in cfg.all_plugins) or "none"
            raise ConfigError(f"no plugin {plugin_id!r} in the config (configured: {known})")
        argv, cwd, env, target = spec.argv(), spec.workdir, dict(spec.env), f"plugin {spec.id!r}"
        before, config = _config_before(cfg, spec, app_context(ctx).timeout)
    with spinner(f"checking {target}…"):
        report = run_checks(argv, cwd=cwd, env=env, timeout=timeout, target=target, config=config)
    if json_out:
        print_json({**report.to_json(), "config_from": before})
    else:
        _render(report)
        from devctl.plugins.hints import missing_sdk_hint

        for line in missing_sdk_hint(argv, report.stderr_tail):
            err().print(Text(line, style="yellow"))
    if not report.ok:
        raise typer.Exit(1)


def _config_before(cfg: Any, spec: Any, timeout: float) -> tuple[list[str], dict[str, Any]]:
    """The config the plugins before `spec` (in (priority, id) order) make with config.mutate:
    what `devctl plan` hands it. A plugin that reads a key another one sets is checked with it.
    Says so on stderr; if they fail, says that too and checks with an empty config."""
    from devctl.cli.output import info, warn
    from devctl.errors import DevctlError
    from devctl.pipeline import PipelineOptions, run_pipeline
    from devctl.util.records import replace

    before = sorted((p for p in cfg.plugins if p.sort_key() < spec.sort_key()), key=lambda p: p.sort_key())
    if not before:
        return [], {}
    ids = ", ".join(p.id for p in before)
    try:
        result = run_pipeline(replace(cfg, plugins=before, preflight=[]),
                                   PipelineOptions(phases=("config.mutate",), dry_run=True, timeout=timeout))
    except DevctlError as exc:
        warn(f"checking {spec.id!r} with an empty config: the plugins before it ({ids}) failed in "
             f"config.mutate: {exc.message}")
        return [], {}
    info(f"checking {spec.id!r} with the config the plugins before it made ({ids}), as `devctl plan` does")
    return [p.id for p in before], result.config


def _render(report: Any) -> None:
    from rich.text import Text

    from devctl.cli.output import err, out

    console = out()
    console.print(Text(f"Conformance of {report.target}", style="bold"))
    marks = {"pass": ("PASS", "green"), "fail": ("FAIL", "bold red"), "skip": ("SKIP", "dim")}
    for check in report.checks:
        label, style = marks[check.status]
        line = Text(f"  {label}  ", style=style)
        line.append(check.name, style="bold")
        if check.detail:
            line.append(f"  {check.detail}")
        console.print(line)
        if check.status == "fail" and check.fix:
            console.print(Text(f"        fix: {check.fix}", style="yellow"))
    failed = sum(c.status == "fail" for c in report.checks)
    passed = sum(c.status == "pass" for c in report.checks)
    summary = f"{passed} passed, {failed} failed"
    console.print(Text(summary, style="bold red" if failed else "bold green"))
    if failed and report.stderr_tail:
        err().print(Text("plugin stderr (last lines):", style="dim"))
        for line in report.stderr_tail:
            err().print(Text(f"  | {line}", style="dim"))


def _rel(path: Path) -> str:
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def register(app: typer.Typer) -> None:
    """Add `new` and `check` to the `devctl plugins` group."""
    app.command("new")(new)
    app.command("check", cls=_CheckCommand)(check)
