"""`devctl dotagent …`: find, inspect, check and call dotagent verb plugins; run agent jobs.

Only typer and the standard library are imported here; the host (`devctl.dotagent`),
jsonschema and rich are imported inside the commands that use them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from devctl.cli.durations import DURATION, duration

HELP = """\
Host dotagent plugins: executables named [bold]dotagent-plugin-NAME[/bold] that answer \
[bold]info[/bold], [bold]validate[/bold] and [bold]invoke[/bold], one process per call.

Search order, first match wins: $DOTAGENT_PLUGIN_PATH,
~/.config/dotagent/plugins/, /usr/local/lib/dotagent/plugins/, $PATH.

  devctl dotagent plugins            list plugins; do they work here?
  devctl dotagent invoke NAME ...    call one plugin once, print its reply
  devctl dotagent doctor agent.toml  check every plugin an agent uses
  devctl dotagent run agent.toml     run one job of an agent now

Exit codes: 0 ok, 1 failed, 2 usage or config error, 124 job timed out (run).
See docs/dotagent.md.
"""

app = typer.Typer(name="dotagent", help=HELP, no_args_is_help=True, rich_markup_mode="rich",
                  add_completion=False)  # completion is installed once, from the root command

JSON_OPT = typer.Option(False, "--json", help="Machine-readable output on stdout.")


def _verbose(ctx: typer.Context, local: bool) -> bool:
    from devctl.cli.context import app_context

    return local or app_context(ctx).verbose > 0


@app.command("plugins")
def plugins_cmd(json_out: bool = JSON_OPT) -> None:
    """List every dotagent plugin on the search path with its info and platform support.

    Each plugin's [bold]info[/bold] is run (10 s timeout); broken plugins are listed with their error.
    """
    from devctl.cli import dotagent_render as render
    from devctl.dotagent import discovery

    rows = render.survey(discovery.list_plugins())
    if json_out:
        from devctl.cli.output import print_json

        print_json({"search": [str(d.path) for d in discovery.search_dirs()], "plugins": rows})
        return
    render.plugins_table(rows)


@app.command("info")
def info_cmd(
    name: str = typer.Argument(..., metavar="NAME",
                               help="Plugin name (dotagent-plugin-NAME) or a path to one."),
    json_out: bool = JSON_OPT,
) -> None:
    """Show a plugin's metadata: version, kinds, platforms and its config schema."""
    from devctl.cli import dotagent_render as render
    from devctl.dotagent.plugin import open_plugin

    plugin = open_plugin(name, base_dir=Path.cwd())
    info = plugin.info()
    if json_out:
        from devctl.cli.output import print_json

        print_json({"path": str(plugin.path), "source": plugin.source,
                    "platform_supported": info.supports_platform(), **info.as_dict()})
        return
    render.info_view(plugin, info)


@app.command("validate")
def validate_cmd(
    name: str = typer.Argument(..., metavar="NAME", help="Plugin name or path."),
    config_file: str = typer.Argument(None, metavar="[CONFIG_FILE | -]",
                                      help="JSON config to check ('-' = stdin; default {})."),
    timeout: float = typer.Option(None, "--timeout", parser=duration(0.1), metavar=DURATION,
                                  help="Time for validate: seconds or 10s, 2m (default 30s)."),
    json_out: bool = JSON_OPT,
) -> None:
    """Check a config against the plugin's info.schema, then with its own [bold]validate[/bold].

    Every schema error is listed with its JSON path. Exit 1 when the config is not valid."""
    from devctl.cli import dotagent_render as render
    from devctl.cli.json_args import read_json
    from devctl.dotagent.plugin import open_plugin

    config = read_json(config_file, "config") if config_file else {}
    outcome = open_plugin(name, base_dir=Path.cwd()).validate(config, timeout=timeout)
    render.outcome(outcome, json_out=json_out, verbose=True, ok_text=f"{name}: config is valid")
    if not outcome.ok:
        raise typer.Exit(1)


@app.command("invoke")
def invoke_cmd(
    ctx: typer.Context,
    name: str = typer.Argument(..., metavar="NAME", help="Plugin name or path."),
    kind: str = typer.Option(None, "--kind",
                             help="notify | preflight | sink (default: the plugin's only kind)."),
    event: str = typer.Option(
        None, "--event", help="attempt_failed | timed_out | given_up | recovered | success | preflight."
    ),
    message: str = typer.Option(None, "--message", help="The message text."),
    message_file: str = typer.Option(None, "--message-file",
                                     help="Read the message from a file ('-' = stdin)."),
    agent: str = typer.Option("devctl", "--agent", help="Agent name sent in the payload."),
    schedule: str = typer.Option("manual", "--schedule", help="Schedule name sent in the payload."),
    config_file: str = typer.Option(None, "--config", help="JSON file with the plugin's config."),
    payload_file: str = typer.Option(None, "--payload", help="A whole InvokePayload as JSON ('-' = stdin)."),
    timeout: float = typer.Option(None, "--timeout", parser=duration(0.1), metavar=DURATION,
                                  help="Seconds or 10s, 2m (default by kind: 30s/300s/15s)."),
    verbose: bool = typer.Option(False, "--verbose", help="Show extra reply fields and stderr."),
    json_out: bool = typer.Option(False, "--json", help="Print the plugin's reply as JSON."),
) -> None:
    """Call a plugin's [bold]invoke[/bold] once and print its reply. Exit 0 only when ok is true.

    Build the payload from options, or pass a complete one with --payload.
    """
    from devctl.cli import dotagent_render as render
    from devctl.cli.json_args import read_json, read_source, require_object, source_label
    from devctl.dotagent.plugin import make_payload, open_plugin
    from devctl.errors import ConfigError

    plugin = open_plugin(name, base_dir=Path.cwd())
    if payload_file is not None:
        clash = [o for o, v in (("--kind", kind), ("--event", event), ("--message", message),
                                ("--message-file", message_file), ("--config", config_file)) if v is not None]
        if clash:
            raise ConfigError(f"--payload cannot be combined with {', '.join(clash)}")
        payload = require_object(read_json(payload_file, "payload"), source_label(payload_file), "payload")
    else:
        if message is not None and message_file is not None:
            raise ConfigError("use either --message or --message-file, not both")
        if kind is None:
            kinds = plugin.info().kinds
            if len(kinds) != 1:
                raise ConfigError(f"--kind is required: {name} has kinds {list(kinds)}")
            kind = kinds[0]
        if kind not in ("notify", "preflight", "sink"):
            raise ConfigError(f"--kind {kind!r}: use notify, preflight or sink")
        event = event or ("preflight" if kind == "preflight" else "success")
        if message_file is not None:
            message = read_source(message_file)
        config = read_json(config_file, "config") if config_file else {}
        payload = make_payload(kind, agent, schedule, event, message or "", config)
    # The host never sends a config its plugin's schema refuses.
    outcome = plugin.check_config(payload.get("config", {}))
    if outcome.ok:
        outcome = plugin.invoke(payload, timeout=timeout)
    render.outcome(outcome, json_out=json_out, verbose=_verbose(ctx, verbose))
    if not outcome.ok:
        raise typer.Exit(1)


@app.command("doctor")
def doctor_cmd(
    ctx: typer.Context,
    manifests: list[Path] = typer.Argument(None, metavar="[MANIFEST]...",
                                           help="Agent manifests (TOML) to check."),
    json_out: bool = JSON_OPT,
) -> None:
    """Check every plugin the manifests and .devctl.yaml refer to, in one report.

    Each must resolve, answer a valid info whose kind fits the use, support this platform, and
    accept its config (schema, then validate). Exit 1 only on errors; warnings do not fail."""
    from devctl.cli import dotagent_render as render
    from devctl.cli.context import app_context
    from devctl.dotagent import doctor
    from devctl.errors import ConfigError

    uses, findings = [], []
    for path in manifests or []:
        u, f = doctor.manifest_uses(path)
        uses += u
        findings += f
    actx = app_context(ctx)
    root = actx.repo_root()
    if actx.config_opt is not None or (root / ".devctl.yaml").is_file():
        try:
            u, f = doctor.config_uses(actx.load_config())
            uses += u
            findings += f
        except ConfigError as exc:
            findings.append(doctor.Finding("error", exc.message, plugin="-", where=".devctl.yaml",
                                           details=exc.details))
    elif not manifests:
        raise ConfigError("nothing to check: pass agent manifests, or run inside a repo with .devctl.yaml")
    rows, more = doctor.run_doctor(uses)
    findings = findings + more
    render.doctor_report(rows, findings, json_out=json_out)
    if any(f.is_error for f in findings):
        raise typer.Exit(1)


@app.command("run")
def run_cmd(
    ctx: typer.Context,
    manifest: Path = typer.Argument(..., metavar="MANIFEST", help="The agent manifest (TOML).",
                                    dir_okay=False),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print what would run; start nothing."),
) -> None:
    """Run one job of an agent now: preflights, the command, sinks and notifiers.

    The command runs with its timeout and retries, its stdout shown live; sinks get that
    output on success, notifiers every event they subscribe to. Exit code: 0 on success, the
    job's exit code on failure, 124 when the last attempt timed out, 2 on a bad manifest.
    """
    from devctl.cli import dotagent_render as render
    from devctl.cli.context import app_context
    from devctl.dotagent.manifest import load_manifest
    from devctl.dotagent.runner import JobRunner

    m = load_manifest(manifest)
    runner = JobRunner(m, say=render.say, on_stdout=_write_stdout, on_stderr=_write_stderr)
    for warning in m.warnings:
        render.say("warn", warning)
    if dry_run or app_context(ctx).dry_run:
        for line in runner.plan():
            typer.echo(line)
        return
    report = runner.run()
    raise typer.Exit(report.exit_code)


def _write_stdout(chunk: bytes) -> None:
    sys.stdout.buffer.write(chunk)
    sys.stdout.buffer.flush()


def _write_stderr(chunk: bytes) -> None:
    sys.stderr.buffer.write(chunk)
    sys.stderr.buffer.flush()
